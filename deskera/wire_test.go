package deskera_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

// wireCase is one operation checked at the HTTP level against a bare server.
type wireCase struct {
	name    string
	method  string
	path    string
	query   string // expected raw query, compared as url.Values
	reqBody string // fixture name of the expected JSON body ("" for none)
	status  int
	reply   string // fixture name of the reply ("" for an empty body)
	call    func(ctx context.Context, c *deskera.Client) (any, error)
	check   func(t *testing.T, got any)
}

func contactWireCases() []wireCase {
	return []wireCase{
		{name: "ListContacts", method: "GET", path: "/v1/crm/contacts",
			query:  "columns=name,email&contains_email=true&limit=50&page=2&orderBy=name&order_by=email&order=desc&sort=name&search=qa&type=person&contact_ids=1,2&action=list&name=testing&email=jayhind@getnada.com&phone=%2B65",
			status: 200, reply: "contacts_list.json",
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.ListContacts(ctx, &deskera.ListContactsOptions{Columns: []string{"name", "email"},
					ContainsEmail: ptr(true), Limit: 50, Page: 2, OrderBy: "name", OrderByAlt: "email",
					Order: "desc", Sort: "name", Search: "qa", Type: "person", ContactIDs: []deskera.ID{1, 2},
					Action: "list", Name: "testing", Email: "jayhind@getnada.com", Phone: "+65"})
			},
			check: func(t *testing.T, got any) {
				l := got.(*deskera.ContactList)
				if len(l.Data) != 1 || l.Data[0].ID != 179 || l.PaginationInfo != (deskera.PaginationInfo{Page: 1, TotalRecords: 1}) {
					t.Errorf("got %+v", l)
				}
				checkSampleContact(t, &l.Data[0])
			}},
		{name: "WalkContacts", method: "GET", path: "/v1/crm/contacts", query: "limit=100&page=1&type=person",
			status: 200, reply: "contacts_list.json",
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				var all []deskera.Contact
				err := c.WalkContacts(ctx, &deskera.ListContactsOptions{Type: "person"}, func(cs []deskera.Contact) error {
					all = append(all, cs...)
					return nil
				})
				return all, err
			},
			check: func(t *testing.T, got any) {
				if cs := got.([]deskera.Contact); len(cs) != 1 || cs[0].ID != 179 {
					t.Errorf("got %+v", cs)
				}
			}},
		{name: "GetContact", method: "GET", path: "/v1/crm/contacts/179", status: 200, reply: "contact_get.json",
			call:  func(ctx context.Context, c *deskera.Client) (any, error) { return c.GetContact(ctx, 179) },
			check: func(t *testing.T, got any) { checkSampleContact(t, got.(*deskera.Contact)) }},
		{name: "GetContactsByIDs", method: "POST", path: "/v1/crm/contacts/multiple", reqBody: "multiple_request.json",
			status: 200, reply: "contacts_multiple.json",
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.GetContactsByIDs(ctx, []deskera.ID{1, 2})
			},
			check: func(t *testing.T, got any) {
				if cs := got.([]deskera.Contact); len(cs) != 1 || cs[0].Email != "jayhind@getnada.com" {
					t.Errorf("got %+v", cs)
				}
			}},
		{name: "CreateContact", method: "POST", path: "/v1/crm/contacts", reqBody: "contact_create_request.json",
			status: 200, reply: "contact_create.json",
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.CreateContact(ctx, sampleCreate())
			},
			check: func(t *testing.T, got any) {
				c := got.(*deskera.Contact)
				if c.ID != 12 || c.Name != "Test Contact" || c.Label == nil || c.Label.ID != 0 || c.OwnerDetails == nil {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "UpdateContact", method: "PATCH", path: "/v1/crm/contacts/1", reqBody: "contact_update_request.json",
			status: 201,
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.UpdateContact(ctx, 1, sampleUpdate())
			},
			check: wantNoContact},
		{name: "ReplaceContact", method: "PUT", path: "/v1/crm/contacts/1", reqBody: "contact_update_request.json",
			status: 201,
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.ReplaceContact(ctx, 1, sampleUpdate())
			},
			check: wantNoContact},
		{name: "DeleteContact", method: "DELETE", path: "/v1/crm/contacts/1", status: 200,
			call: func(ctx context.Context, c *deskera.Client) (any, error) { return nil, c.DeleteContact(ctx, 1) }},
		{name: "BulkUpdateContacts", method: "PATCH", path: "/v1/crm/contacts", reqBody: "bulk_update_request.json",
			status: 201,
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return nil, c.BulkUpdateContacts(ctx, &deskera.BulkUpdateContact{IDs: []deskera.ID{1, 2},
					LabelID: 3, OwnerID: 17826, VisibilityType: "team"})
			}},
	}
}

func labelWireCases() []wireCase {
	return []wireCase{
		{name: "ListLabels", method: "GET", path: "/v1/crm/contacts/labels", status: 200, reply: "labels_list.json",
			call: func(ctx context.Context, c *deskera.Client) (any, error) { return c.ListLabels(ctx) },
			check: func(t *testing.T, got any) {
				ls := got.([]deskera.Label)
				if len(ls) != 4 || ls[3] != (deskera.Label{ID: 4, Name: "Hot lead", Color: "deep-orange", Icon: "whatshot"}) {
					t.Errorf("got %+v", ls)
				}
			}},
		{name: "GetLabel", method: "GET", path: "/v1/crm/contacts/labels/1", status: 200, reply: "label_get.json",
			call: func(ctx context.Context, c *deskera.Client) (any, error) { return c.GetLabel(ctx, 1) },
			check: func(t *testing.T, got any) {
				if l := got.(*deskera.Label); *l != (deskera.Label{ID: 1, Name: "No label"}) {
					t.Errorf("got %+v", l)
				}
			}},
		{name: "CreateLabel", method: "POST", path: "/v1/crm/contacts/labels", reqBody: "label_request.json",
			status: 201, reply: "label_create.json",
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return c.CreateLabel(ctx, &deskera.LabelRequest{Name: "Test Label", Color: "green", Icon: "fiber_manual_record"})
			},
			check: func(t *testing.T, got any) {
				if id := got.(deskera.ID); id != 14 {
					t.Errorf("got id %d, want 14 (documented as the string \"14\")", id)
				}
			}},
		{name: "UpdateLabel", method: "PUT", path: "/v1/crm/contacts/labels/1", reqBody: "label_request.json", status: 201,
			call: func(ctx context.Context, c *deskera.Client) (any, error) {
				return nil, c.UpdateLabel(ctx, 1, &deskera.LabelRequest{Name: "Test Label", Color: "green", Icon: "fiber_manual_record"})
			}},
		{name: "DeleteLabel", method: "DELETE", path: "/v1/crm/contacts/labels/1", status: 200,
			call: func(ctx context.Context, c *deskera.Client) (any, error) { return nil, c.DeleteLabel(ctx, 1) }},
	}
}

// TestWire checks the exact method, path, query, headers and body of every
// operation against a bare server answering with the documented samples.
func TestWire(t *testing.T) {
	for _, tc := range append(contactWireCases(), labelWireCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mux, _ := setup(t)
			calls := 0
			mux.HandleFunc(tc.path, func(w http.ResponseWriter, r *http.Request) {
				calls++
				testMethod(t, r, tc.method)
				testQuery(t, r, tc.query)
				testHeader(t, r, "x-access-token", testToken)
				testHeader(t, r, "Accept", "application/json")
				var want []byte
				if tc.reqBody != "" {
					want = fixture(t, tc.reqBody)
					testHeader(t, r, "Content-Type", "application/json")
				}
				testJSONBody(t, r, want)
				w.WriteHeader(tc.status)
				if tc.reply != "" {
					_, _ = w.Write(fixture(t, tc.reply))
				}
			})
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if calls != 1 {
				t.Errorf("calls: got %d, want 1", calls)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func testQuery(t *testing.T, r *http.Request, want string) {
	t.Helper()
	w, err := url.ParseQuery(want)
	if err != nil {
		t.Fatalf("want query %q: %v", want, err)
	}
	if got := r.URL.Query(); !reflect.DeepEqual(got, w) && (len(got) != 0 || len(w) != 0) {
		t.Errorf("query:\n got %v\nwant %v", got, w)
	}
}

func checkSampleContact(t *testing.T, c *deskera.Contact) {
	t.Helper()
	if c.ID != 179 || c.Label == nil || *c.Label != (deskera.LabelRef{ID: 1, Name: "No label"}) {
		t.Errorf("contact: got %+v", c)
	}
	if c.OwnerDetails == nil || c.OwnerDetails.FirstName != "Test" || c.OwnerDetails.ID != 19311 {
		t.Errorf("owner_details: got %+v", c.OwnerDetails)
	}
	if len(c.DealDetails) != 1 || c.DealDetails[0].ContactID != 179 || c.CField["drop"] != "V2" {
		t.Errorf("deal_details/c_field: got %+v %+v", c.DealDetails, c.CField)
	}
	if len(c.CustomField) != 1 || c.CustomField[0].ShortName != "drop" || c.CreatedAt != "2020-06-12T07:07:56.232308Z" {
		t.Errorf("custom_field/created_at: got %+v %q", c.CustomField, c.CreatedAt)
	}
	var org map[string]any
	if err := json.Unmarshal(c.Organization, &org); err != nil {
		t.Errorf("organization %s: %v", c.Organization, err)
	}
}

func sampleCreate() *deskera.ContactSaveDto {
	return &deskera.ContactSaveDto{Name: "Test Contact", Email: "test@test.com", CountryCode: "+91",
		Phone: "9876543212", LabelID: 1, VisibilityType: "team", Type: "person", OwnerID: 17826,
		CustomField: []deskera.CustomField{{Label: "drop", Code: "D-0000013", Value: "V2"}}}
}

func sampleUpdate() *deskera.ContactSaveDto {
	return &deskera.ContactSaveDto{ID: 1, Name: "Rahul A", Email: "rahul.kaushik@deskera.org",
		CountryCode: "+232", LabelID: 1, VisibilityType: "team", Type: "person", OwnerID: 21584,
		SubOwnerIDs: []deskera.ID{2675},
		CustomField: []deskera.CustomField{{Label: "TT", Code: "D-0000005", Value: ""}}}
}

// wantNoContact checks that an empty 201 gives no contact.
func wantNoContact(t *testing.T, got any) {
	if c := got.(*deskera.Contact); c != nil {
		t.Errorf("got %+v, want nil for an empty 201", c)
	}
}
