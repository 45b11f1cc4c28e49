package webhook

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

const jotformCT = "multipart/form-data; boundary=------------------------J1JNT4vbVO4FCC1qLG4HSv"

func TestParseJotform(t *testing.T) {
	urlencoded := url.Values{"submissionID": {"42"}, "formID": {"7"}, "rawRequest": {`{"q1_fullName":{"first":"Ann","middle":"B","last":"Cole"},"q2_yourEmail":"ann@example.com","q3_phone":{"area":"555","phone":"0100"}}`}}
	runFormatCases(t, "jotform", []provParseCase{
		{
			name:     "MultipartFixture",
			req:      provRequest(jotformCT, provFixture(t, "jotform/submission.multipart")),
			delivery: "6084250982513018472",
			want: rules.Event{ID: "6084250982513018472", Kind: rules.KindForm, Email: "niloth@example.com",
				Name: "Niloth P", Phone: "(555) 010-2000"},
			fields: map[string]any{
				"studentsName": "Niloth P", "typeOf": "Online Tutoring", "grade": "12", "form_id": "243231271343446",
				"form_title": "Tutor Appointment Form",
				"reports":    []any{"https://www.jotform.com/uploads/UserNiloth/243231271343446/6111139644845227685/Report%20Card.pdf"},
				"date":       nil, // all-empty objects are dropped
				"slug":       nil, // non-answer keys are not fields
			},
		},
		{
			name:     "URLEncodedNameAndPhoneObjects",
			req:      provRequest("application/x-www-form-urlencoded", []byte(urlencoded.Encode())),
			delivery: "42",
			want:     rules.Event{ID: "42", Kind: rules.KindForm, Email: "ann@example.com", Name: "Ann B Cole", Phone: "555 0100"},
		},
		{name: "BadRawRequest", req: provRequest("application/x-www-form-urlencoded", []byte("rawRequest=%7Bnope")), wantStatus: http.StatusBadRequest, wantField: "rawRequest"},
		{name: "Empty", req: provRequest("application/x-www-form-urlencoded", nil), wantStatus: http.StatusBadRequest, wantField: "rawRequest"},
		{name: "NoBoundary", req: provRequest("multipart/form-data", []byte("x")), wantStatus: http.StatusBadRequest, wantField: "Content-Type"},
		{name: "TruncatedMultipart", req: provRequest(jotformCT, provFixture(t, "jotform/submission.multipart")[:300]), wantStatus: http.StatusBadRequest, wantField: "body"},
		{name: "JSONBody", req: provRequest("application/json", []byte(`{}`)), wantStatus: http.StatusUnsupportedMediaType},
	})
}

func FuzzParseJotform(f *testing.F) {
	provFuzzFormat(f, "jotform", jotformCT, provFixture(f, "jotform/submission.multipart"))
}
