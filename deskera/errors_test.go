package deskera_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

// TestMalformedReply checks that a reply that is not the JSON expected
// gives a clear error naming the operation.
func TestMalformedReply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		path  string
		body  string
		call  func(ctx context.Context, c *deskera.Client) (any, error)
		wantS string
	}{
		{name: "TruncatedList", path: "/v1/crm/contacts", body: `{"data":[{"id":1,`,
			call:  func(ctx context.Context, c *deskera.Client) (any, error) { return c.ListContacts(ctx, nil) },
			wantS: "deskera: contacts.list: malformed reply"},
		{name: "DocumentedCreateSampleMissingComma", path: "/v1/crm/contacts", body: "contact_create_documented.json",
			call:  func(ctx context.Context, c *deskera.Client) (any, error) { return c.CreateContact(ctx, sampleCreate()) },
			wantS: "deskera: contacts.create: malformed reply"},
		{name: "LabelsObjectNotArray", path: "/v1/crm/contacts/labels", body: `{"labels":[]}`,
			call:  func(ctx context.Context, c *deskera.Client) (any, error) { return c.ListLabels(ctx) },
			wantS: "deskera: labels.list: malformed reply"},
		{name: "HTMLFromProxy", path: "/v1/crm/contacts/3", body: `<html>gateway</html>`,
			call:  func(ctx context.Context, c *deskera.Client) (any, error) { return c.GetContact(ctx, 3) },
			wantS: "deskera: contacts.get: malformed reply"},
		{name: "NonNumericID", path: "/v1/crm/contacts/labels", body: `{"id":"fourteen"}`,
			call:  createLabel,
			wantS: "deskera: labels.create: malformed reply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			body := replyBody(t, tc.body)
			mux.HandleFunc(tc.path, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })
			_, err := tc.call(context.Background(), c)
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantS) {
				t.Errorf("got %v, want prefix %q", err, tc.wantS)
			}
		})
	}
}

// decodeCase is a reply quirk the client must decode without error.
type decodeCase struct {
	name   string
	status int
	body   string
	call   func(ctx context.Context, c *deskera.Client) (any, error)
	check  func(t *testing.T, got any)
}

// createLabel is the call of the label cases.
func createLabel(ctx context.Context, c *deskera.Client) (any, error) {
	return c.CreateLabel(ctx, &deskera.LabelRequest{Name: "x"})
}

// wantLabelID checks the id CreateLabel returned.
func wantLabelID(want deskera.ID) func(t *testing.T, got any) {
	return func(t *testing.T, got any) {
		if got.(deskera.ID) != want {
			t.Errorf("got %v", got)
		}
	}
}

func decodeCases() []decodeCase {
	return []decodeCase{
		{name: "CreateLabelNumericID", status: 201, body: `{"id":14,"extra":true}`,
			call: createLabel, check: wantLabelID(14)},
		{name: "CreateLabelEmptyBody", status: 201, body: "",
			call: createLabel, check: wantLabelID(0)},
		{name: "CreateContactEmptyBody", status: 200, body: "",
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "Ada"})
			},
			check: func(t *testing.T, got any) {
				if ct := got.(*deskera.Contact); ct.ID != 0 || ct.Name != "Ada" {
					t.Errorf("got %+v", ct)
				}
			}},
		{name: "CreateContactDocumentedEmptyObjects", status: 200, body: "contact_create.json",
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "Test Contact"})
			},
			check: func(t *testing.T, got any) {
				if ct := got.(*deskera.Contact); ct.ID != 12 || ct.Email != "" || ct.CustomField[0].Value != "V2" {
					t.Errorf("got %+v", ct)
				}
			}},
		{name: "UpdateWithBody", status: 200, body: `{"id":"9","name":"Ada","unknown":{"x":1}}`,
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.UpdateContact(ctx, 9, &deskera.ContactSaveDto{Name: "Ada"})
			},
			check: func(t *testing.T, got any) {
				if ct := got.(*deskera.Contact); ct == nil || ct.ID != 9 {
					t.Errorf("got %+v", ct)
				}
			}},
		{name: "DeleteWithWhitespaceBody", status: 200, body: " \n",
			call: func(ctx context.Context, c *deskera.Client) (any, error) { return nil, c.DeleteContact(ctx, 9) }},
	}
}

// TestTolerantDecoding checks the documented quirks that must decode.
func TestTolerantDecoding(t *testing.T) {
	t.Parallel()
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			body := replyBody(t, tc.body)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write(body)
			})
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func TestAPIError(t *testing.T) {
	t.Parallel()
	c, mux, _ := setup(t)
	long := `{"message":"bad phone","detail":"` + strings.Repeat("x", 4000) + `"}`
	mux.HandleFunc("/v1/crm/contacts/8", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, long, http.StatusUnprocessableEntity)
	})
	_, err := c.UpdateContact(context.Background(), 8, &deskera.ContactSaveDto{Phone: "x"})
	var api *deskera.APIError
	if !errors.As(err, &api) {
		t.Fatalf("got %v, want *APIError", err)
	}
	want := deskera.APIError{Op: "contacts.update", StatusCode: 422, Method: "PATCH", Path: "/v1/crm/contacts/8", Message: "bad phone"}
	got := *api
	got.Body = ""
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if n := len(api.Body); n == 0 || n > 600 {
		t.Errorf("body excerpt length %d, want 1..600", n)
	}
	if s := err.Error(); s != "deskera: contacts.update: PATCH /v1/crm/contacts/8: 422 Unprocessable Entity: bad phone" {
		t.Errorf("Error(): %q", s)
	}
	if errors.Is(err, deskera.ErrNotFound) {
		t.Error("422 must not match ErrNotFound")
	}
}

func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []deskera.Option
	}{
		{"NoCredentials", nil},
		{"EmptyToken", []deskera.Option{deskera.WithAccessToken("")}},
		{"RelativeBaseURL", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithBaseURL("bifrost.deskera.com")}},
		{"FTPBaseURL", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithBaseURL("ftp://x")}},
		{"OAuthMissingSecret", []deskera.Option{deskera.WithOAuth("id", "", "rt")}},
		{"NilHTTPClient", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithHTTPClient(nil)}},
		{"ZeroTimeout", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithTimeout(0)}},
		{"ZeroAttempts", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithRetry(0, 1)}},
		{"NegativeRate", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithRateLimit(-1, 1)}},
		{"ZeroBurst", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithRateLimit(5, 0)}},
		{"BackoffDecreasing", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithBackoff(2, 1)}},
		{"NilLogger", []deskera.Option{deskera.WithAccessToken("t"), deskera.WithLogger(nil)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := deskera.NewClient(tc.opts...); err == nil {
				t.Errorf("got %v, want an error", c)
			}
		})
	}
	if _, err := deskera.NewClient(deskera.WithAccessToken("t")); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
