package webhook

import (
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestParsePostmark(t *testing.T) {
	const id = "73e6d360-66eb-11e1-8e72-a8904824019b"
	runFormatCases(t, "postmark", []provParseCase{
		{
			name: "InboundFixture", req: provRequest("application/json", provFixture(t, "postmark/inbound.json")),
			delivery: id,
			want:     rules.Event{ID: id, Kind: rules.KindEmail, Email: "support@postmarkapp.com", Name: "Postmarkapp Support"},
			fields:   map[string]any{"mailbox_hash": "SampleHash", "tag": "TestTag", "stripped_text_reply": "This is the reply text"},
			check: func(t *testing.T, p *Parsed) {
				provCheckMail(t, p.Events[0].Mail, rules.Mail{
					From: "support@postmarkapp.com", FromName: "Postmarkapp Support",
					To:      []string{"yourhash+samplehash@inbound.postmarkapp.com"},
					Cc:      []string{"firstcc@postmarkapp.com", "secondcc@postmarkapp.com"},
					Subject: "Test subject", Text: "This is a test text body.",
					HTML:      "<html><body><p>This is a test html body.</p></body></html>",
					MessageID: "<CAK8XYxY@mail.example.com>", Spam: "pass", SpamScore: -0.1, Attachments: 1,
				})
			},
		},
		{
			name:     "PlainFromOnly",
			req:      provRequest("application/json", []byte(`{"From":"\"Ann Lee\" <Ann@Example.com>","MessageID":"m1","To":"a@x.io, b@x.io"}`)),
			delivery: "m1",
			want:     rules.Event{ID: "m1", Kind: rules.KindEmail, Email: "ann@example.com", Name: "Ann Lee"},
			check: func(t *testing.T, p *Parsed) {
				if m := p.Events[0].Mail; m.MessageID != "m1" || len(m.To) != 2 {
					t.Errorf("Mail = %+v", m)
				}
			},
		},
		{name: "NoFrom", req: provRequest("application/json", []byte(`{"Subject":"x"}`)), wantStatus: http.StatusBadRequest, wantField: "From"},
		{name: "NotJSON", req: provRequest("application/json", []byte(`<xml/>`)), wantStatus: http.StatusBadRequest, wantField: "body"},
	})
}

func FuzzParsePostmark(f *testing.F) {
	provFuzzFormat(f, "postmark", "application/json", provFixture(f, "postmark/inbound.json"))
}
