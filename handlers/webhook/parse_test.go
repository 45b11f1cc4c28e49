package webhook_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func parse(t *testing.T, format, ct, body string, opts webhook.Options) (*rules.Event, error) {
	t.Helper()
	p, err := webhook.NewParser(rules.Source{Name: "site", Format: format}, opts)
	if err != nil {
		t.Fatal(err)
	}
	req := request(body, map[string]string{"Content-Type": ct, "Authorization": "Bearer x", "User-Agent": "test", "X-Signature": "abc"})
	req.Query = map[string][]string{"utm_source": {"ads"}, "token": {"t"}}
	got, err := p.Parse(context.Background(), req)
	if err != nil {
		return nil, err
	}
	if len(got.Events) != 1 {
		t.Fatalf("got %d events, want 1", len(got.Events))
	}
	return &got.Events[0], nil
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name                        string
		format, ct, body            string
		email, nameWant, phone, org string
		fields                      map[string]any
	}{
		{
			name: "URLEncoded", format: "form", ct: "application/x-www-form-urlencoded",
			body:  "name=Jane+Doe&email=+Jane%40Example.com+&msg=line1%0D%0Aline2&_charset_=UTF-8&tag=a&tag=b",
			email: "jane@example.com", nameWant: "Jane Doe",
			fields: map[string]any{"name": "Jane Doe", "email": " Jane@Example.com ", "msg": "line1\r\nline2", "tag": []any{"a", "b"}},
		},
		{
			name: "FirstLastJoined", format: "form", ct: "application/x-www-form-urlencoded; charset=utf-8",
			body:  "first_name=Jane&last_name=Doe&Email=jane%40example.com&phone=%2B1+555+0100&company=Acme",
			email: "jane@example.com", nameWant: "Jane Doe", phone: "+1 555 0100", org: "Acme",
		},
		{
			name: "Multipart", format: "form", ct: "multipart/form-data; boundary=X",
			body:  fixture(t, "form/multipart.txt"),
			email: "jane@example.com", nameWant: "Jane Doe", phone: "+44 (0)20 7946 0018",
			fields: map[string]any{"email": "  Jane Doe <Jane@Example.COM>", "phone": "+44 (0)20 7946 0018", "interest": []any{"crm", "api"}, webhook.FilesField: int64(2)},
		},
		{
			name: "JSONNested", format: "json", ct: "application/json",
			body:  fixture(t, "json/nested.json"),
			email: "ada@example.org", nameWant: "Ada Lovelace", org: "Analytical Engines",
		},
		{
			name: "FormCompanySizeIsNotTheCompany", format: "form", ct: "application/x-www-form-urlencoded",
			body:   "email=jane%40example.com&company_size=51-200&business=SaaS&company_type=B2B",
			email:  "jane@example.com",
			fields: map[string]any{"company_size": "51-200"},
		},
		{
			name: "JSONCompanyName", format: "json", ct: "application/json",
			body:  `{"email":"jane@example.com","Company size":"51-200","Company Name":"Acme"}`,
			email: "jane@example.com", org: "Acme",
		},
		{
			name: "JSONNameAddress", format: "json", ct: "application/vnd.api+json",
			body:  `{"email":"\"Doe, Jane\" <JANE@example.com>","name":""}`,
			email: "jane@example.com", nameWant: "Doe, Jane",
		},
		{
			name: "JSONNoContentType", format: "json", ct: "",
			body: `{"budget": 12.5}`, fields: map[string]any{"budget": 12.5},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := parse(t, tc.format, tc.ct, tc.body, webhook.Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ev.Email != tc.email || ev.Name != tc.nameWant || ev.Phone != tc.phone || ev.Company != tc.org {
				t.Fatalf("got email=%q name=%q phone=%q company=%q", ev.Email, ev.Name, ev.Phone, ev.Company)
			}
			if ev.Source != "site" || ev.Kind != rules.KindForm {
				t.Fatalf("source/kind = %q/%q", ev.Source, ev.Kind)
			}
			for k, want := range tc.fields {
				if got := ev.Fields[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("fields[%q] = %#v, want %#v", k, got, want)
				}
			}
			if _, ok := ev.Fields["_charset_"]; ok {
				t.Error("_charset_ kept")
			}
			if ev.Headers["user-agent"] != "test" || ev.Headers["authorization"] != "" || ev.Headers["x-signature"] != "" {
				t.Errorf("headers = %v: want user-agent, no credentials", ev.Headers)
			}
			if ev.Query["utm_source"] != "ads" || ev.Query["token"] != "" {
				t.Errorf("query = %v", ev.Query)
			}
		})
	}
}

func TestParseJSONNumbers(t *testing.T) {
	ev, err := parse(t, "json", "application/json", fixture(t, "json/nested.json"), webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Fields["budget"]; got != int64(25000) {
		t.Errorf("budget = %#v, want int64 25000", got)
	}
	if got := ev.Fields["ratio"]; got != 0.5 {
		t.Errorf("ratio = %#v, want 0.5", got)
	}
}

func TestParseErrors(t *testing.T) {
	big := "--X\r\nContent-Disposition: form-data; name=\"msg\"\r\n\r\n" + strings.Repeat("a", 2048) + "\r\n--X--\r\n"
	tests := []struct {
		name             string
		format, ct, body string
		status           int
		field, contains  string
	}{
		{"JSONMalformed", "json", "application/json", `{"email": }`, 400, "body", "malformed JSON"},
		{"JSONTruncated", "json", "application/json", `{"email": "a@b.c"`, 400, "body", "unexpected end"},
		{"JSONTrailing", "json", "application/json", `{} {}`, 400, "body", "after the top-level value"},
		{"JSONArray", "json", "application/json", `[1,2]`, 400, "body", "not an array"},
		{"JSONEmpty", "json", "application/json", ``, 400, "body", "empty body"},
		{"JSONWrongType", "json", "text/html", `{}`, 415, "Content-Type", `"text/html"`},
		{"FormWrongType", "form", "application/json", `{}`, 415, "Content-Type", "multipart/form-data"},
		{"FormMalformed", "form", "application/x-www-form-urlencoded", "a=%zz", 400, "body", "malformed form data"},
		{"MultipartNoBoundary", "form", "multipart/form-data", "x", 400, "Content-Type", "boundary"},
		{"MultipartBroken", "form", "multipart/form-data; boundary=X", "--X\r\nnot a header\r\n", 400, "body", "malformed multipart"},
		{"MultipartOverMemory", "form", "multipart/form-data; boundary=X", big, 413, "body", "memory limit"},
		{"BadEmail", "form", "application/x-www-form-urlencoded", "email=not-an-email", 400, "email", `"not-an-email" is not an email address`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.format, tc.ct, tc.body, webhook.Options{MaxMemory: 1024})
			var we *webhook.Error
			if !errors.As(err, &we) {
				t.Fatalf("err = %v, want *webhook.Error", err)
			}
			if we.Status != tc.status || we.Field != tc.field || !strings.Contains(we.Message, tc.contains) {
				t.Fatalf("got %d %q %q, want %d %q containing %q", we.Status, we.Field, we.Message, tc.status, tc.field, tc.contains)
			}
		})
	}
}

func TestNewParserUnknown(t *testing.T) {
	_, err := webhook.NewParser(rules.Source{Name: "s", Format: "fax"}, webhook.Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown format "fax"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitAddress(t *testing.T) {
	tests := []struct{ in, name, addr string }{
		{"jane@example.com", "", "jane@example.com"},
		{" Jane Doe <Jane.Doe@Example.com> ", "Jane Doe", "jane.doe@example.com"},
		{`"Doe, Jane" <j@x.io>`, "Doe, Jane", "j@x.io"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			name, addr, err := webhook.SplitAddress(tc.in)
			if err != nil || name != tc.name || addr != tc.addr {
				t.Fatalf("SplitAddress = %q, %q, %v", name, addr, err)
			}
		})
	}
}
