package webhook

import (
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestParseTally(t *testing.T) {
	runFormatCases(t, "tally", []provParseCase{
		{
			name:     "FormResponseFixture",
			req:      provRequest("application/json", provFixture(t, "tally/form_response.json"), "User-Agent", "Tally Webhooks"),
			delivery: "a4cb511e-d513-4fa5-baee-b815d718dfd1",
			want: rules.Event{ID: "a4cb511e-d513-4fa5-baee-b815d718dfd1", Kind: rules.KindForm,
				Email: "alice@example.org", Name: "Alice Liddell"},
			fields: map[string]any{
				"Text":            "Hello",
				"Budget":          float64(12000),
				"Multiple choice": []any{"In progress"}, // option id mapped to its text
				"Checkboxes":      []any{"Sales", "Support"},
				"Consent":         true,
				"Upload":          []any{"https://storage.tally.so/private/brief.pdf"},
				"Matrix":          map[string]any{"row1": []any{"col1"}},
				"Optional":        nil,
				"utm_campaign":    "spring",
				"form_name":       "Webhook payload",
			},
		},
		{
			name:     "UnknownOptionIDKept",
			req:      provRequest("application/json", []byte(`{"eventId":"e1","eventType":"FORM_RESPONSE","data":{"fields":[{"key":"k","label":"","type":"DROPDOWN","value":["zz"],"options":[]}]}}`)),
			delivery: "e1",
			want:     rules.Event{ID: "e1", Kind: rules.KindForm},
			fields:   map[string]any{"k": []any{"zz"}},
		},
		{
			// issue 14: the answer "Company size: 51-200" became organization_name.
			name:     "CompanySizeIsNotTheCompany",
			req:      provRequest("application/json", []byte(`{"eventId":"e2","eventType":"FORM_RESPONSE","data":{"fields":[{"key":"q1","label":"Email","type":"INPUT_EMAIL","value":"ann@x.io"},{"key":"q2","label":"Company size","type":"INPUT_TEXT","value":"51-200"}]}}`)),
			delivery: "e2",
			want:     rules.Event{ID: "e2", Kind: rules.KindForm, Email: "ann@x.io"},
			fields:   map[string]any{"Company size": "51-200"},
		},
		{
			name:     "CompanyBesideItsSize",
			req:      provRequest("application/json", []byte(`{"eventId":"e3","eventType":"FORM_RESPONSE","data":{"fields":[{"key":"q2","label":"Company size","type":"INPUT_TEXT","value":"51-200"},{"key":"q3","label":"Company","type":"INPUT_TEXT","value":"Acme"}]}}`)),
			delivery: "e3",
			want:     rules.Event{ID: "e3", Kind: rules.KindForm, Company: "Acme"},
			fields:   map[string]any{"Company size": "51-200", "Company": "Acme"},
		},
		{name: "WrongEventType", req: provRequest("application/json", []byte(`{"eventType":"PING"}`)), wantStatus: http.StatusBadRequest, wantField: "eventType"},
		{name: "NoData", req: provRequest("application/json", []byte(`{"eventType":"FORM_RESPONSE"}`)), wantStatus: http.StatusBadRequest, wantField: "data"},
		{name: "NotJSON", req: provRequest("application/json", []byte(`nope`)), wantStatus: http.StatusBadRequest, wantField: "body"},
	})
}

func FuzzParseTally(f *testing.F) {
	provFuzzFormat(f, "tally", "application/json", provFixture(f, "tally/form_response.json"))
}
