package webhook

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// leadFormat is one format fed the same lead (testdata/lead/).
type leadFormat struct {
	format, ct, file string
	mail             bool // the lead is the sender: no phone or company
}

var leadFormats = []leadFormat{
	{"form", "application/x-www-form-urlencoded", "urlencoded", false},
	{"form", "multipart/form-data; boundary=LeadBoundary", "multipart", false},
	{"json", "application/json", "json", false},
	{"typeform", "application/json", "typeform.json", false},
	{"tally", "application/json", "tally.json", false},
	{"jotform", "multipart/form-data; boundary=LeadBoundary", "jotform.multipart", false},
	{"webflow", "application/json", "webflow.json", false},
	{"cloudevents", ceStructured, "cloudevents.json", false},
	{"mailgun", "application/x-www-form-urlencoded", "mailgun.urlencoded", true},
	{"sendgrid", "multipart/form-data; boundary=LeadBoundary", "sendgrid.multipart", true},
	{"postmark", "application/json", "postmark.json", true},
	{"ses", "text/plain; charset=UTF-8", "ses.json", true},
}

// TestSameLeadEveryFormat feeds one lead, with colliding keys ("Email"
// and "email" fold alike; "Work Email" is a later alias; "Cell" is a
// phone; "Business Name" a company, "Company size" not), to every format
// and wants the same normalised lead from each, 100 times over (map
// order must not matter). The email formats carry it as the sender, with
// a windows-1252 encoded-word subject and an ISO-8859-1 body. The same
// lead with an email that is not an address is a 400 naming the field.
func TestSameLeadEveryFormat(t *testing.T) {
	want := rules.Event{Email: "jane.doe@example.com", Name: "Jane Doe", Phone: "+65 8575 8458", Company: "Acme Pte Ltd"}
	for _, lf := range leadFormats {
		t.Run(lf.format+"/"+lf.file, func(t *testing.T) {
			p := provParser(t, rules.Source{Format: lf.format, Auth: rules.Auth{Type: "none"}}, Options{})
			body := provFixture(t, "lead/lead."+lf.file)
			bad := provFixture(t, "lead/bad."+lf.file)
			for range 100 {
				got, err := p.Parse(t.Context(), provRequest(lf.ct, body))
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(got.Events) != 1 {
					t.Fatalf("%d events, want 1", len(got.Events))
				}
				checkLead(t, lf, got.Events[0], want)
				_, err = p.Parse(t.Context(), provRequest(lf.ct, bad))
				wantField := "email"
				if lf.mail {
					wantField = "from"
				}
				var we *Error
				if !errors.As(err, &we) || we.Status != http.StatusBadRequest || we.Field != wantField {
					t.Fatalf("Parse(bad) = %v, want a 400 on %q", err, wantField)
				}
			}
		})
	}
}

func checkLead(t *testing.T, lf leadFormat, ev rules.Event, want rules.Event) {
	t.Helper()
	if lf.mail {
		want.Phone, want.Company = "", ""
		if ev.Mail.Subject != "Grüße" || ev.Mail.Text != "Grüße" && ev.Mail.Text != "Grüße\r\n" {
			t.Fatalf("Subject %q, Text %q, want Grüße (windows-1252 word, ISO-8859-1 body)", ev.Mail.Subject, ev.Mail.Text)
		}
	} else if ev.Fields["Business Name"] != "Acme Pte Ltd" || ev.Fields["Cell"] != "+65 8575 8458" {
		t.Fatalf("Fields = %v, want the lead's fields kept", ev.Fields)
	}
	if ev.Email != want.Email || ev.Name != want.Name || ev.Phone != want.Phone || ev.Company != want.Company {
		t.Fatalf("lead = %q %q %q %q, want %q %q %q %q", ev.Email, ev.Name, ev.Phone, ev.Company,
			want.Email, want.Name, want.Phone, want.Company)
	}
}

// TestParseURLEncodedAgreesWithNetURL: the form reader's urlencoded
// parser gives what url.ParseQuery gives, and refuses what it refuses.
func TestParseURLEncodedAgreesWithNetURL(t *testing.T) {
	for _, s := range []string{"", "a=1", "a=1&a=2&b=3", "a", "a=&=b", "&&a=1&", "k%20y=v+w%21", "a=%zz", "a=1;b=2",
		"tag[]=x&tag=y&tag[]=z", "e=J%C3%B6rg"} {
		want, wantErr := url.ParseQuery(s)
		got, err := parseURLEncoded(s)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("parseURLEncoded(%q) error %v, url.ParseQuery %v", s, err, wantErr)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("parseURLEncoded(%q) = %v, want %v", s, got, want)
		}
	}
}
