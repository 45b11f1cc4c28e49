package webhook

import (
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

const mailgunMultipartCT = "multipart/form-data; boundary=MGBOUNDARY7f3a"

func TestParseMailgun(t *testing.T) {
	wantMail := rules.Mail{
		From: "bob@example.com", FromName: "Bob", To: []string{"alice@example.com"}, Cc: []string{"carol@example.com"},
		Subject:   "Re: Sample POST request",
		Text:      "Hi Alice,\r\n\r\nThis is Bob. We need 40 seats.\r\n\r\n> On 04/26/2013 11:29 AM, Alice wrote:\r\n",
		HTML:      "<html><body><p>Hi Alice,</p><p>This is Bob. We need 40 seats.</p></body></html>",
		MessageID: "<517ACC75.5010709@example.com>", Spam: "pass", SpamScore: 0.3,
	}
	withAttachment := wantMail
	withAttachment.Attachments = 1
	// The Message-Id is the delivery id: it survives Mailgun's retries.
	const token = "<517ACC75.5010709@example.com>"
	want := rules.Event{ID: token, Kind: rules.KindEmail, Email: "bob@example.com", Name: "Bob"}
	runFormatCases(t, "mailgun", []provParseCase{
		{
			name: "URLEncoded", req: provRequest("application/x-www-form-urlencoded", provFixture(t, "mailgun/route.urlencoded")),
			delivery: token, want: want,
			fields: map[string]any{"stripped-text": "Hi Alice,\r\n\r\nThis is Bob. We need 40 seats.", "recipient": "alice@example.com",
				"signature": nil, "token": nil, "body-plain": nil},
			check: func(t *testing.T, p *Parsed) {
				provCheckMail(t, p.Events[0].Mail, wantMail)
				if got := p.Events[0].Mail.Headers["Date"]; got != "Fri, 26 Apr 2013 11:50:29 -0700" {
					t.Errorf("Mail.Headers[Date] = %q", got)
				}
			},
		},
		{
			name: "MultipartWithAttachment", req: provRequest(mailgunMultipartCT, provFixture(t, "mailgun/route_attachments.multipart")),
			delivery: token, want: want,
			check: func(t *testing.T, p *Parsed) { provCheckMail(t, p.Events[0].Mail, withAttachment) },
		},
		{
			name:     "RawMIMENoMessageIDUsesToken",
			req:      provRequest("application/x-www-form-urlencoded", []byte("token=t1&body-mime=From%3A+Eve+%3Ceve%40example.com%3E%0D%0ASubject%3A+Hi%0D%0A%0D%0Ahello")),
			delivery: "t1",
			want:     rules.Event{ID: "t1", Kind: rules.KindEmail, Email: "eve@example.com", Name: "Eve"},
			check: func(t *testing.T, p *Parsed) {
				if m := p.Events[0].Mail; m.Subject != "Hi" || m.Text != "hello" {
					t.Errorf("Mail = %+v", m)
				}
			},
		},
		{name: "NotMailgun", req: provRequest("application/x-www-form-urlencoded", []byte("a=b")), wantStatus: http.StatusBadRequest, wantField: "from"},
		{name: "BadHeadersJSON", req: provRequest("application/x-www-form-urlencoded", []byte("from=a%40b.c&message-headers=%5B")), wantStatus: http.StatusBadRequest, wantField: "message-headers"},
		{name: "BadEncoding", req: provRequest("application/x-www-form-urlencoded", []byte("from=%zz")), wantStatus: http.StatusBadRequest, wantField: "body"},
		{name: "JSON", req: provRequest("application/json", []byte("{}")), wantStatus: http.StatusUnsupportedMediaType},
	})
}

func FuzzParseMailgun(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", provFixture(f, "mailgun/route.urlencoded"))
	f.Add(mailgunMultipartCT, provFixture(f, "mailgun/route_attachments.multipart"))
	p := provParser(f, rules.Source{Format: "mailgun"}, Options{})
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		provFuzzParse(t, p, provRequest(ct, body))
	})
}
