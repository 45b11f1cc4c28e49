package deskera_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

func TestListContacts(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	srv.SeedContacts(25)
	srv.AddContact(deskera.Contact{Name: "Ada Lovelace", Email: "Ada@Example.com", Phone: "+44 20 7946", Type: "person"})
	srv.AddContact(deskera.Contact{Name: "Acme Ltd", Type: "organization"})
	tests := []struct {
		name      string
		opts      *deskera.ListContactsOptions
		wantLen   int
		wantTotal int
		wantFirst string
	}{
		{name: "DefaultPage", opts: nil, wantLen: 10, wantTotal: 27, wantFirst: "Contact 1"},
		{name: "Page3", opts: &deskera.ListContactsOptions{Page: 3}, wantLen: 7, wantTotal: 27, wantFirst: "Contact 21"},
		{name: "ByEmailCaseInsensitive", opts: &deskera.ListContactsOptions{Email: "ada@example.com"}, wantLen: 1, wantTotal: 1, wantFirst: "Ada Lovelace"},
		{name: "Search", opts: &deskera.ListContactsOptions{Search: "lovelace"}, wantLen: 1, wantTotal: 1, wantFirst: "Ada Lovelace"},
		{name: "Type", opts: &deskera.ListContactsOptions{Type: "organization"}, wantLen: 1, wantTotal: 1, wantFirst: "Acme Ltd"},
		{name: "Phone", opts: &deskera.ListContactsOptions{Phone: "7946"}, wantLen: 1, wantTotal: 1, wantFirst: "Ada Lovelace"},
		{name: "ContactIDs", opts: &deskera.ListContactsOptions{ContactIDs: []deskera.ID{2, 3}}, wantLen: 2, wantTotal: 2, wantFirst: "Contact 2"},
		{name: "NameDesc", opts: &deskera.ListContactsOptions{Name: "contact 2", OrderBy: "name", Order: "desc", Limit: 3}, wantLen: 3, wantTotal: 7, wantFirst: "Contact 25"},
		{name: "NoMatch", opts: &deskera.ListContactsOptions{Email: "nobody@example.com"}, wantLen: 0, wantTotal: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := c.ListContacts(context.Background(), tc.opts)
			if err != nil {
				t.Fatalf("ListContacts: %v", err)
			}
			if got, want := len(l.Data), tc.wantLen; got != want {
				t.Errorf("len: got %d, want %d", got, want)
			}
			if got, want := l.PaginationInfo.TotalRecords, tc.wantTotal; got != want {
				t.Errorf("totalRecords: got %d, want %d", got, want)
			}
			if len(l.Data) > 0 && l.Data[0].Name != tc.wantFirst {
				t.Errorf("first: got %q, want %q", l.Data[0].Name, tc.wantFirst)
			}
		})
	}
}

func TestWalkContacts(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ids := srv.SeedContacts(10050)
	seen := make(map[deskera.ID]bool, len(ids))
	pages := 0
	err := c.WalkContacts(context.Background(), &deskera.ListContactsOptions{Limit: 100}, func(cs []deskera.Contact) error {
		pages++
		for _, ct := range cs {
			if seen[ct.ID] {
				t.Fatalf("contact %d seen twice", ct.ID)
			}
			seen[ct.ID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("WalkContacts: %v", err)
	}
	if got, want := len(seen), 10050; got != want {
		t.Errorf("contacts: got %d, want %d", got, want)
	}
	if got, want := pages, 101; got != want {
		t.Errorf("pages: got %d, want %d", got, want)
	}
	if got, want := srv.Count("contacts.list"), 101; got != want {
		t.Errorf("list calls: got %d, want %d", got, want)
	}
}

func TestWalkContactsStopsOnError(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	srv.SeedContacts(30)
	stop := errors.New("stop")
	err := c.WalkContacts(context.Background(), &deskera.ListContactsOptions{Limit: 10}, func([]deskera.Contact) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("got %v, want wrapped stop", err)
	}
	testCalls(t, srv, "contacts.list", 1)
}

func TestWalkContactsServerCapsLimit(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	srv.SeedContacts(250)
	n := 0
	err := c.WalkContacts(context.Background(), &deskera.ListContactsOptions{Limit: 500}, func(cs []deskera.Contact) error {
		n += len(cs)
		return nil
	})
	if err != nil || n != 250 {
		t.Errorf("got %d contacts, err %v; want 250", n, err)
	}
}

func TestGetContact(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	added := srv.AddContact(deskera.Contact{Name: "Ada", Email: "ada@example.com", LabelID: 4})
	got, err := c.GetContact(context.Background(), added.ID)
	if err != nil {
		t.Fatalf("GetContact: %v", err)
	}
	if got.Name != "Ada" || got.Label == nil || got.Label.Name != "Hot lead" || got.OwnerDetails == nil || got.CreatedAt == "" {
		t.Errorf("got %+v", got)
	}
	_, err = c.GetContact(context.Background(), 999)
	if !errors.Is(err, deskera.ErrNotFound) {
		t.Errorf("missing: got %v, want ErrNotFound", err)
	}
	var api *deskera.APIError
	if !errors.As(err, &api) || api.StatusCode != 404 || api.Path != "/v1/crm/contacts/999" || api.Op != "contacts.get" {
		t.Errorf("missing: got %#v", api)
	}
}

func TestGetContactsByIDs(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ids := srv.SeedContacts(5)
	got, err := c.GetContactsByIDs(context.Background(), []deskera.ID{ids[3], 999, ids[1]})
	if err != nil {
		t.Fatalf("GetContactsByIDs: %v", err)
	}
	if len(got) != 2 || got[0].ID != ids[3] || got[1].ID != ids[1] {
		t.Errorf("got %+v", got)
	}
	none, err := c.GetContactsByIDs(context.Background(), nil)
	if err != nil || none != nil || srv.Count("contacts.multiple") != 1 {
		t.Errorf("no ids: got %v, %v after %d calls", none, err, srv.Count("contacts.multiple"))
	}
}

func TestCreateContact(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	got, err := c.CreateContact(context.Background(), sampleCreate())
	if err != nil {
		t.Fatalf("CreateContact: %v", err)
	}
	stored, ok := srv.Contact(got.ID)
	if !ok || stored.Email != "test@test.com" || got.Email != "test@test.com" {
		t.Fatalf("stored %+v, got %+v", stored, got)
	}
	if got.Label == nil || got.Label.Name != "No label" || got.OwnerDetails == nil || got.CField["drop"] != "V2" {
		t.Errorf("reply shape: %+v", got)
	}
	_, err = c.CreateContact(context.Background(), &deskera.ContactSaveDto{Name: "x", LabelID: 99})
	var api *deskera.APIError
	if !errors.As(err, &api) || api.StatusCode != 400 {
		t.Errorf("unknown label: got %v, want 400", err)
	}
}

func TestUpdateContact(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ct := srv.AddContact(deskera.Contact{Name: "Ada", Email: "ada@example.com", Phone: "123"})
	got, err := c.UpdateContact(context.Background(), ct.ID, &deskera.ContactSaveDto{LabelID: 3, Note: "warm"})
	if err != nil || got != nil {
		t.Fatalf("UpdateContact: got %+v, %v; want nil, nil (empty 201)", got, err)
	}
	after, _ := srv.Contact(ct.ID)
	if after.LabelID != 3 || after.Label.Name != "Warm lead" || after.Note != "warm" || after.Phone != "123" {
		t.Errorf("after patch: %+v", after)
	}
	if _, err := c.UpdateContact(context.Background(), 999, &deskera.ContactSaveDto{Name: "x"}); !errors.Is(err, deskera.ErrNotFound) {
		t.Errorf("missing: got %v", err)
	}
}

func TestReplaceContact(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ct := srv.AddContact(deskera.Contact{Name: "Ada", Email: "ada@example.com", Phone: "123"})
	got, err := c.ReplaceContact(context.Background(), ct.ID, &deskera.ContactSaveDto{Name: "Ada L", Email: "ada@example.com"})
	if err != nil || got != nil {
		t.Fatalf("ReplaceContact: got %+v, %v", got, err)
	}
	after, _ := srv.Contact(ct.ID)
	if after.Name != "Ada L" || after.Phone != "" {
		t.Errorf("after put: %+v", after)
	}
}

func TestDeleteContact(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ct := srv.AddContact(deskera.Contact{Name: "Ada"})
	if err := c.DeleteContact(context.Background(), ct.ID); err != nil {
		t.Fatalf("DeleteContact: %v", err)
	}
	if _, ok := srv.Contact(ct.ID); ok {
		t.Error("contact still present")
	}
	if err := c.DeleteContact(context.Background(), ct.ID); !errors.Is(err, deskera.ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
}

func TestBulkUpdateContacts(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ids := srv.SeedContacts(3)
	err := c.BulkUpdateContacts(context.Background(), &deskera.BulkUpdateContact{IDs: ids[:2], LabelID: 4, VisibilityType: "team"})
	if err != nil {
		t.Fatalf("BulkUpdateContacts: %v", err)
	}
	for i, id := range ids {
		ct, _ := srv.Contact(id)
		want := deskera.ID(1)
		if i < 2 {
			want = 4
		}
		if ct.LabelID != want {
			t.Errorf("contact %d: label %d, want %d", id, ct.LabelID, want)
		}
	}
	if err := c.BulkUpdateContacts(context.Background(), &deskera.BulkUpdateContact{}); err == nil {
		t.Error("no ids: got nil error")
	}
}

func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"GetContactZeroID", func() error { _, err := c.GetContact(ctx, 0); return err }},
		{"CreateNil", func() error { _, err := c.CreateContact(ctx, nil); return err }},
		{"UpdateNil", func() error { _, err := c.UpdateContact(ctx, 1, nil); return err }},
		{"ReplaceNegativeID", func() error { _, err := c.ReplaceContact(ctx, -1, &deskera.ContactSaveDto{}); return err }},
		{"DeleteZero", func() error { return c.DeleteContact(ctx, 0) }},
		{"CreateLabelNil", func() error { _, err := c.CreateLabel(ctx, nil); return err }},
		{"UpdateLabelNil", func() error { return c.UpdateLabel(ctx, 1, nil) }},
		{"GetLabelZero", func() error { _, err := c.GetLabel(ctx, 0); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil {
				t.Error("got nil error")
			}
		})
	}
	if n := srv.Total(); n != 0 {
		t.Errorf("requests sent: got %d, want 0", n)
	}
}

func ExampleClient_WalkContacts() {
	c, err := deskera.NewClient(deskera.WithAccessToken("token"))
	if err != nil {
		panic(err)
	}
	_ = func(ctx context.Context) error {
		return c.WalkContacts(ctx, &deskera.ListContactsOptions{Type: "person"}, func(page []deskera.Contact) error {
			for _, ct := range page {
				fmt.Println(ct.ID, ct.Email)
			}
			return nil
		})
	}
	// Output:
}

// The search the engine makes per lead is encoded directly, exactly as
// url.Values would; any other options go through url.Values. AppendQuery
// appends the same.
func TestSearchQueryMatchesValues(t *testing.T) {
	yes := true
	for _, o := range []*deskera.ListContactsOptions{
		{Email: "jane+x@acme.io", Limit: 10},
		{Phone: "+65 8575 8458", Limit: 10},
		{Email: "a b&c=d@é.io", Limit: 1},
		{Email: "jane@acme.io", Limit: 10, Page: 2},
		{Email: "jane@acme.io", Phone: "1", Limit: 10},
		{Email: "jane@acme.io"},
		{Email: "jane@acme.io", Limit: 10, ContainsEmail: &yes},
	} {
		got, want := deskera.EncodeListQuery(o)
		if got != want {
			t.Errorf("%+v: query %q, want %q", o, got, want)
		}
		if got := string(o.AppendQuery([]byte("/v1/crm/contacts?"))); got != "/v1/crm/contacts?"+want {
			t.Errorf("%+v: AppendQuery %q, want the path and %q", o, got, want)
		}
	}
}
