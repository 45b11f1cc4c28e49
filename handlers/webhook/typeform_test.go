package webhook

import (
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestParseTypeform(t *testing.T) {
	fixture := provFixture(t, "typeform/form_response.json")
	runFormatCases(t, "typeform", []provParseCase{
		{
			name:     "FormResponseFixture",
			req:      provRequest("application/json", fixture),
			delivery: "LtWXD3crgy",
			want: rules.Event{ID: "LtWXD3crgy", Kind: rules.KindForm, Email: "laura@example.com", Name: "Laura",
				Phone: "+15551234567", Company: "Acme Ltd"},
			fields: map[string]any{
				"readable_ref_email":          "Laura@Example.com",
				"first_name":                  "Laura",
				"readable_ref_picture_choice": []any{"London", "Sydney"},
				"readable_ref_number":         float64(5),
				"colour":                      "Blue",
				"readable_ref_yes_no":         false,
				"Your phone":                  "+15551234567", // no ref: keyed by title
				"user_id":                     "abc123456",    // hidden field
				"utm_source":                  "newsletter",
				"score":                       float64(9),
				"variable_price":              4.5,
				"variable_tier":               "gold",
				"form_id":                     "lT4Z3j",
				"How did you hear about us?":  "A friend", // generated ref: keyed by title
			},
		},
		{
			name:     "TokenWhenNoEventID",
			req:      provRequest("application/json", []byte(`{"event_type":"form_response_partial","form_response":{"token":"tok1","answers":[]}}`)),
			delivery: "tok1",
			want:     rules.Event{ID: "tok1", Kind: rules.KindForm},
		},
		{
			name:     "AnswerWithoutDefinitionKeyedByID",
			req:      provRequest("application/json", []byte(`{"event_id":"e","event_type":"form_response","form_response":{"answers":[{"type":"text","text":"x","field":{"id":"abc"}}]}}`)),
			delivery: "e",
			want:     rules.Event{ID: "e", Kind: rules.KindForm},
			fields:   map[string]any{"abc": "x"},
		},
		{name: "NotJSON", req: provRequest("application/json", []byte(`{"event_id":`)), wantStatus: http.StatusBadRequest, wantField: "body"},
		{name: "WrongEventType", req: provRequest("application/json", []byte(`{"event_type":"ping"}`)), wantStatus: http.StatusBadRequest, wantField: "event_type"},
		{name: "MissingFormResponse", req: provRequest("application/json", []byte(`{"event_type":"form_response"}`)), wantStatus: http.StatusBadRequest, wantField: "form_response"},
	})
}

func FuzzParseTypeform(f *testing.F) {
	provFuzzFormat(f, "typeform", "application/json",
		provFixture(f, "typeform/form_response.json"),
		[]byte(`{"event_type":"form_response","form_response":{"answers":[{"type":"choice","choice":null,"field":{}}]}}`),
	)
}
