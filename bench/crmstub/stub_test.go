package crmstub

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

// The stub answers the deskera client the way Deskera does: a search
// finds the contact created, by email in any case, and the calls count.
func TestStubAnswersTheClient(t *testing.T) {
	srv := httptest.NewServer(New())
	defer srv.Close()
	c, err := deskera.NewClient(deskera.WithBaseURL(srv.URL), deskera.WithAccessToken("t"), deskera.WithRateLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	list, err := c.ListContacts(ctx, &deskera.ListContactsOptions{Email: "jane@acme.io", Limit: 10})
	if err != nil || len(list.Data) != 0 {
		t.Fatalf("search before create = %+v, %v; want none", list, err)
	}
	made, err := c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "Jane", Email: "Jane@Acme.io", LabelID: 4})
	if err != nil || made.ID == 0 {
		t.Fatalf("create = %+v, %v", made, err)
	}
	list, err = c.ListContacts(ctx, &deskera.ListContactsOptions{Email: "jane@acme.io", Limit: 10})
	if err != nil || len(list.Data) != 1 || list.Data[0].ID != made.ID || list.Data[0].LabelID != 4 {
		t.Fatalf("search after create = %+v, %v", list, err)
	}
	if _, err := c.UpdateContact(ctx, made.ID, &deskera.ContactSaveDto{Name: "Jane Doe"}); err != nil {
		t.Fatal(err)
	}
	list, _ = c.ListContacts(ctx, &deskera.ListContactsOptions{Email: "jane@acme.io", Limit: 10})
	if list.Data[0].Name != "Jane Doe" {
		t.Errorf("after PATCH the name is %q", list.Data[0].Name)
	}
	labels, err := c.ListLabels(ctx)
	if err != nil || len(labels) != 4 {
		t.Fatalf("labels = %v, %v", labels, err)
	}
	resp, err := srv.Client().Get(srv.URL + "/_stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		t.Fatal(err)
	}
	if stats["contacts.list"] != 3 || stats["contacts.create"] != 1 || stats["contacts.update"] != 1 {
		t.Errorf("stats = %v", stats)
	}
}
