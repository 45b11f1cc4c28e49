package webhook

import (
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

const sendgridCT = "multipart/form-data; boundary=xYzZY"

func TestParseSendgrid(t *testing.T) {
	const msgID = "<CAN_P_JDjTrv9XSWb=A2yEi+MK3zpsW=W9c3sDgdx_Zo6UOoU3A@mail.gmail.com>"
	raw := []byte("--B\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n" +
		"From: Raw Sender <raw@example.com>\r\nTo: in@example.org\r\nSubject: Raw\r\nMessage-ID: <raw-1@example.com>\r\n\r\nraw body\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"envelope\"\r\n\r\n{\"to\":[\"in@example.org\"],\"from\":\"raw@example.com\"}\r\n--B--\r\n")
	runFormatCases(t, "sendgrid", []provParseCase{
		{
			name: "ParsedFixture", req: provRequest(sendgridCT, provFixture(t, "sendgrid/inbound.multipart"), "User-Agent", "Sendlib/1.0"),
			delivery: msgID,
			want:     rules.Event{ID: msgID, Kind: rules.KindEmail, Email: "test@example.com", Name: "Example User"},
			fields:   map[string]any{"SPF": "pass", "sender_ip": "209.85.223.172", "attachments": "1", "headers": nil},
			check: func(t *testing.T, p *Parsed) {
				provCheckMail(t, p.Events[0].Mail, rules.Mail{
					From: "test@example.com", FromName: "Example User", To: []string{"inbound@inbound.example.com"},
					Cc: []string{"sales@example.com"}, Subject: "Test #1",
					Text:      "Café order: 25 units\n", // iso-8859-1 per charsets, converted to UTF-8
					HTML:      "<div dir=\"ltr\">Café order: 25 units<br></div>\n",
					MessageID: msgID, SpamScore: 0.011, Attachments: 1,
				})
			},
		},
		{
			name: "SendRaw", req: provRequest("multipart/form-data; boundary=B", raw), delivery: "<raw-1@example.com>",
			want: rules.Event{ID: "<raw-1@example.com>", Kind: rules.KindEmail, Email: "raw@example.com", Name: "Raw Sender"},
			check: func(t *testing.T, p *Parsed) {
				if m := p.Events[0].Mail; m.Subject != "Raw" || m.Text != "raw body" || len(m.To) != 1 {
					t.Errorf("Mail = %+v", m)
				}
			},
		},
		{
			name: "LongMessageIDHashed", req: provRequest("multipart/form-data; boundary=B", []byte("--B\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\na@x.io\r\n"+
				"--B\r\nContent-Disposition: form-data; name=\"headers\"\r\n\r\nMessage-ID: <"+strings.Repeat("x", 300)+"@x.io>\r\n--B--\r\n")),
			delivery: "sha256:",
			want:     rules.Event{Kind: rules.KindEmail, Email: "a@x.io"},
			check: func(t *testing.T, p *Parsed) {
				if len(p.DeliveryID) != len("sha256:")+64 || p.Events[0].ID != p.DeliveryID {
					t.Errorf("DeliveryID = %q, event ID = %q", p.DeliveryID, p.Events[0].ID)
				}
			},
		},
		{name: "BadCharsets", req: provRequest("multipart/form-data; boundary=B", []byte("--B\r\nContent-Disposition: form-data; name=\"charsets\"\r\n\r\n{\r\n--B--\r\n")), wantStatus: http.StatusBadRequest, wantField: "charsets"},
		{name: "BadEnvelope", req: provRequest("multipart/form-data; boundary=B", []byte("--B\r\nContent-Disposition: form-data; name=\"envelope\"\r\n\r\n[\r\n--B--\r\n")), wantStatus: http.StatusBadRequest, wantField: "envelope"},
		{name: "NoSender", req: provRequest("multipart/form-data; boundary=B", []byte("--B\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nx\r\n--B--\r\n")), wantStatus: http.StatusBadRequest, wantField: "from"},
	})
}

func FuzzParseSendgrid(f *testing.F) {
	provFuzzFormat(f, "sendgrid", sendgridCT, provFixture(f, "sendgrid/inbound.multipart"))
}
