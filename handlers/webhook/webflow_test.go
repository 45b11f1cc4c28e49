package webhook

import (
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestParseWebflow(t *testing.T) {
	runFormatCases(t, "webflow", []provParseCase{
		{
			name:     "FormSubmissionV2",
			req:      provRequest("application/json", provFixture(t, "webflow/form_submission_v2.json")),
			delivery: "6321ca84df3949bfc6752327",
			want: rules.Event{ID: "6321ca84df3949bfc6752327", Kind: rules.KindForm, Email: "zaphod@heartofgold.ai",
				Name: "Zaphod Beeblebrox", Phone: "15550000000"},
			fields: map[string]any{"First Name": "Zaphod", "Phone Number": float64(15550000000), "form_name": "Contact Us",
				"form_id": "65429eadebe8a9f3a30f62d0"},
		},
		{
			name:     "LegacyV1",
			req:      provRequest("application/json", provFixture(t, "webflow/form_submission_v1.json")),
			delivery: "6321ca84df3949bfc6752328",
			want: rules.Event{ID: "6321ca84df3949bfc6752328", Kind: rules.KindForm, Email: "arthur@example.com",
				Name: "Arthur Dent", Company: "Magrathea"},
			fields: map[string]any{"form_name": "Contact Us"},
		},
		{name: "OtherTrigger", req: provRequest("application/json", []byte(`{"triggerType":"site_publish","payload":{}}`)), wantStatus: http.StatusBadRequest, wantField: "triggerType"},
		{name: "NoPayload", req: provRequest("application/json", []byte(`{"triggerType":"form_submission"}`)), wantStatus: http.StatusBadRequest, wantField: "payload"},
		{name: "NoData", req: provRequest("application/json", []byte(`{"name":"x"}`)), wantStatus: http.StatusBadRequest, wantField: "data"},
		{name: "NotJSON", req: provRequest("application/json", []byte(`[1,2]`)), wantStatus: http.StatusBadRequest, wantField: "body"},
	})
}

func FuzzParseWebflow(f *testing.F) {
	provFuzzFormat(f, "webflow", "application/json",
		provFixture(f, "webflow/form_submission_v2.json"),
		provFixture(f, "webflow/form_submission_v1.json"),
	)
}
