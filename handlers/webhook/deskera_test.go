package webhook

import (
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestParseDeskera(t *testing.T) {
	runFormatCases(t, "deskera", []provParseCase{
		{
			name: "CreateContact", req: provRequest("application/json", provFixture(t, "deskera/create_crm_contact.json")),
			delivery: "evt-9f2c1d",
			want: rules.Event{ID: "evt-9f2c1d", Kind: rules.KindCRM, ContactID: 14, Email: "cathy@example.com",
				Name: "Cathy Lead", Phone: "+1 555 0199"},
			fields: map[string]any{"event_type": "CREATE_CRM_CONTACT", "budget": "25000", "industry": "Retail", "type": "PERSON",
				"owner_id": float64(17826)},
		},
		{
			name: "UpdateContactNestedStringID", req: provRequest("application/json", provFixture(t, "deskera/update_crm_contact.json")),
			delivery: "deskera-",
			want:     rules.Event{Kind: rules.KindCRM, ContactID: 15, Email: "dan@example.com", Name: "Dan Buyer"},
			fields:   map[string]any{"event_type": "UPDATE_CRM_CONTACT"},
			check: func(t *testing.T, p *Parsed) {
				if p.Events[0].ID != p.DeliveryID {
					t.Errorf("ID = %q, want the delivery id %q", p.Events[0].ID, p.DeliveryID)
				}
			},
		},
		{
			name: "BulkList", req: provRequest("application/json", provFixture(t, "deskera/bulk_update_crm_contact.json")),
			delivery: "deskera-", events: 2,
			want: rules.Event{Kind: rules.KindCRM, ContactID: 21, Email: "a@example.com"},
			check: func(t *testing.T, p *Parsed) {
				if e := p.Events[1]; e.ContactID != 22 || e.ID == p.Events[0].ID {
					t.Errorf("second event = %+v", e)
				}
			},
		},
		{
			name:     "TypeOnly",
			req:      provRequest("application/json", []byte(`{"event":"DELETE_CRM_CONTACT","id":"31","webhookId":"w1"}`)),
			delivery: "w1",
			want:     rules.Event{ID: "w1", Kind: rules.KindCRM, ContactID: 31},
		},
		{name: "Empty", req: provRequest("application/json", []byte(`{}`)), wantStatus: http.StatusBadRequest, wantField: "event"},
		{name: "NotObject", req: provRequest("application/json", []byte(`[]`)), wantStatus: http.StatusBadRequest, wantField: "body"},
	})
}

func FuzzParseDeskera(f *testing.F) {
	provFuzzFormat(f, "deskera", "application/json",
		provFixture(f, "deskera/create_crm_contact.json"),
		provFixture(f, "deskera/update_crm_contact.json"),
		provFixture(f, "deskera/bulk_update_crm_contact.json"),
	)
}
