package deskeratest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// TestFailNextAfterApply: the request is applied (a create creates) and
// the answer is the injected status.
func TestFailNextAfterApply(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := deskeratest.NewServer(t)
			srv.FailNextAfterApply(1, status, 0)
			code, _, _ := do(t, srv, http.MethodPost, "/v1/crm/contacts", deskeratest.DefaultToken, `{"name":"Ada","email":"ada@example.com"}`)
			if code != status {
				t.Errorf("status %d, want %d", code, status)
			}
			if n := len(srv.Contacts()); n != 1 {
				t.Errorf("%d contacts, want 1 (applied before the fault)", n)
			}
			code, _, _ = do(t, srv, http.MethodGet, "/v1/crm/contacts", deskeratest.DefaultToken, "")
			if code != http.StatusOK {
				t.Errorf("next request: status %d, want 200 (one fault only)", code)
			}
		})
	}
}

// TestPatchReplacesCustomFields pins the fake's reading of PATCH: the
// custom_field list sent replaces the contact's list, so a client that
// sends only the changed entry loses the others.
func TestPatchReplacesCustomFields(t *testing.T) {
	srv := deskeratest.NewServer(t)
	c := srv.AddContact(deskera.Contact{Name: "Ada", Email: "ada@example.com", CustomField: []deskera.CustomField{
		{Code: "D-0000013", Label: "Field A", Value: "a"}, {Code: "D-0000014", Label: "Field B", Value: "keep-me"}}})
	ctx := context.Background()
	if _, err := srv.Client().UpdateContact(ctx, c.ID, &deskera.ContactSaveDto{
		CustomField: []deskera.CustomField{{Code: "D-0000013", Label: "Field A", Value: "new"}}}); err != nil {
		t.Fatal(err)
	}
	after, _ := srv.Contact(c.ID)
	if len(after.CustomField) != 1 || after.CustomField[0].Value != "new" {
		t.Errorf("custom_field after PATCH = %+v, want only Field A=new (the list is replaced)", after.CustomField)
	}
	// A PATCH without custom_field leaves the list alone.
	if _, err := srv.Client().UpdateContact(ctx, c.ID, &deskera.ContactSaveDto{Note: "n"}); err != nil {
		t.Fatal(err)
	}
	if after, _ = srv.Contact(c.ID); len(after.CustomField) != 1 {
		t.Errorf("a PATCH without custom_field changed it: %+v", after.CustomField)
	}
}
