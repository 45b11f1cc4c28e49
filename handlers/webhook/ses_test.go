package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

func TestParseSES(t *testing.T) {
	fake := newSNSFake(t, time.Now().Add(time.Hour))
	src := rules.Source{Format: "ses", Auth: rules.Auth{Type: "sns", TopicARNs: []string{snsTestTopic}}}
	p := provParser(t, src, Options{HTTPClient: fake.client})

	note := snsTestEnvelope(t, "ses/notification.json")
	b64 := note
	b64.Message = string(provFixture(t, "ses/ses_message_base64.json"))
	notSES := note
	notSES.Message = "Hello world!"
	otherTopic := note
	otherTopic.TopicArn = "arn:aws:sns:us-east-1:012345678912:other-topic"
	bounce := note
	bounce.Message = `{"notificationType":"Bounce","mail":{}}`
	const noteID = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"
	want := rules.Event{ID: noteID, Kind: rules.KindEmail, Email: "jane@example.com", Name: "Jane Döe"}
	wantMail := rules.Mail{
		From: "jane@example.com", FromName: "Jane Döe", To: []string{"leads@inbound.example.org"}, Cc: []string{"boss@example.com"},
		Subject: "Quote request – 50 seats", Text: "Hello, we need a quote for 50 seats. Café budget: 12000.",
		HTML: "<p>Hello, we need a quote.</p>", MessageID: "<CAE7vz3-quote@mail.example.com>", Spam: "pass", Attachments: 1,
	}
	checkMail := func(t *testing.T, p *Parsed) { provCheckMail(t, p.Events[0].Mail, wantMail) }
	runParseCases(t, p, []provParseCase{
		{name: "NotificationUTF8", req: provRequest("text/plain; charset=UTF-8", snsBody(t, note), "X-Amz-Sns-Message-Type", "Notification"),
			delivery: noteID, want: want, check: checkMail,
			fields: map[string]any{"dkim": "gray", "spf": "pass", "topic_arn": snsTestTopic, "recipients": "leads@inbound.example.org"}},
		{name: "NotificationBase64", req: provRequest("text/plain", snsBody(t, b64)), delivery: noteID, want: want, check: checkMail},
		// The SNS signature covers the envelope's signed keys only: a
		// Records key, with or without a signed envelope, is never mail.
		{name: "LambdaEventOnSNSSourceRefused", req: provRequest("application/json", provFixture(t, "ses/lambda_event.json")),
			wantStatus: http.StatusBadRequest, wantField: "Records"},
		{name: "RecordsAddedToSignedNotificationRefused", req: provRequest("text/plain", sesWithRecords(t, snsBody(t, note))),
			wantStatus: http.StatusBadRequest, wantField: "Records"},
		{name: "RecordsAddedToSignedConfirmationRefused",
			req:        provRequest("text/plain", sesWithRecords(t, snsBody(t, snsTestEnvelope(t, "ses/subscription_confirmation.json")))),
			wantStatus: http.StatusBadRequest, wantField: "Records"},
		{name: "UnsubscribeConfirmation", req: provRequest("text/plain", []byte(`{"Type":"UnsubscribeConfirmation","MessageId":"u1","TopicArn":"`+snsTestTopic+`"}`)),
			delivery: "u1", events: -1},
		{name: "TopicNotAllowed", req: provRequest("text/plain", snsBody(t, otherTopic)), wantStatus: http.StatusForbidden, wantField: "TopicArn"},
		{name: "MessageNotSES", req: provRequest("text/plain", snsBody(t, notSES)), wantStatus: http.StatusBadRequest, wantField: "Message"},
		{name: "BounceNotification", req: provRequest("text/plain", snsBody(t, bounce)), wantStatus: http.StatusBadRequest, wantField: "Message"},
		{name: "UnknownType", req: provRequest("text/plain", []byte(`{"Type":"Other"}`)), wantStatus: http.StatusBadRequest, wantField: "Type"},
		{name: "NotJSON", req: provRequest("text/plain", []byte(`Type=Notification`)), wantStatus: http.StatusBadRequest, wantField: "body"},
	})
}

// sesWithRecords adds the Lambda event's top-level Records (mail from an
// attacker-chosen sender) to an SNS body, leaving the signed keys alone.
func sesWithRecords(t *testing.T, body []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	var lambda map[string]json.RawMessage
	if err := json.Unmarshal(provFixture(t, "ses/lambda_event.json"), &lambda); err != nil {
		t.Fatal(err)
	}
	m["Records"] = lambda["Records"]
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestParseSESLambdaEvent: a Lambda SimpleEmailEvent is mail on a source
// that is not SNS-authenticated (the Lambda trigger, invoked by AWS).
func TestParseSESLambdaEvent(t *testing.T) {
	src := rules.Source{Format: "ses", Auth: rules.Auth{Type: "none"}}
	p := provParser(t, src, Options{})
	runParseCases(t, p, []provParseCase{
		{name: "LambdaSimpleEmailEvent", req: provRequest("application/json", provFixture(t, "ses/lambda_event.json")),
			delivery: "6n4thuhcbhpfiuf25gshf70rss364fuejrvmqko1",
			want:     rules.Event{ID: "6n4thuhcbhpfiuf25gshf70rss364fuejrvmqko1", Kind: rules.KindEmail, Email: "aws@amazon.com", Name: "Amazon Web Services"},
			check: func(t *testing.T, p *Parsed) {
				if m := p.Events[0].Mail; m.Subject != "Test Subject" || m.Spam != "pass" || m.Text != "" {
					t.Errorf("Mail = %+v", m)
				}
			}},
		{name: "EmptyRecords", req: provRequest("application/json", []byte(`{"Records":[]}`)), wantStatus: http.StatusBadRequest, wantField: "Records"},
	})
}

func TestParseSESSubscriptionConfirmation(t *testing.T) {
	sub := snsTestEnvelope(t, "ses/subscription_confirmation.json")
	otherTopic := sub
	otherTopic.TopicArn = "arn:aws:sns:us-east-1:012345678912:other-topic"
	badHost := sub
	badHost.SubscribeURL = "https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription&Token=x"
	plainHTTP := sub
	plainHTTP.SubscribeURL = strings.Replace(sub.SubscribeURL, "https://", "http://", 1)
	cases := []struct {
		name        string
		env         snsEnvelope
		confirmCode int
		status      int // 0 = confirmed
		confirms    int
	}{
		{name: "AllowedTopicConfirmed", env: sub, confirmCode: http.StatusOK, confirms: 1},
		{name: "TopicNotAllowed", env: otherTopic, confirmCode: http.StatusOK, status: http.StatusForbidden},
		{name: "SubscribeURLOtherHost", env: badHost, confirmCode: http.StatusOK, status: http.StatusBadRequest},
		{name: "SubscribeURLNotHTTPS", env: plainHTTP, confirmCode: http.StatusOK, status: http.StatusBadRequest},
		{name: "ConfirmationRefused", env: sub, confirmCode: http.StatusInternalServerError, status: http.StatusServiceUnavailable, confirms: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newSNSFake(t, time.Now().Add(time.Hour))
			fake.confirmCode = tc.confirmCode
			src := rules.Source{Name: "test", Format: "ses", Auth: rules.Auth{Type: "sns", TopicARNs: []string{snsTestTopic}}}
			opts := Options{HTTPClient: fake.client}
			got, err := provParser(t, src, opts).Parse(t.Context(), provRequest("text/plain", snsBody(t, tc.env)))
			if n := len(fake.confirmed()); n != 0 {
				t.Fatalf("Parse made %d confirmation GETs, want none (the caller confirms)", n)
			}
			if err == nil && got.Confirm != nil { // what handlers does with the request's context
				err = ConfirmSubscription(t.Context(), opts, got.Confirm)
			}
			if n := len(fake.confirmed()); n != tc.confirms {
				t.Errorf("confirmation GETs = %d, want %d", n, tc.confirms)
			}
			if tc.status != 0 {
				provWantError(t, err, tc.status, "")
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Reply == nil || got.Reply.Status != http.StatusOK || len(got.Events) != 0 || got.DeliveryID != sub.MessageID {
				t.Errorf("Parsed = %+v, want a 200 reply and no events", got)
			}
			if uri := fake.confirmed()[0]; !strings.Contains(uri, "Token="+sub.Token) {
				t.Errorf("confirmation GET %q lacks the token", uri)
			}
		})
	}
}

func FuzzParseSES(f *testing.F) {
	f.Add(provFixture(f, "ses/notification.json"))
	f.Add(provFixture(f, "ses/subscription_confirmation.json"))
	f.Add(provFixture(f, "ses/lambda_event.json"))
	// No network in fuzzing: confirmations fail fast with 503.
	client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, http.ErrHandlerTimeout })}
	src := rules.Source{Format: "ses", Auth: rules.Auth{Type: "sns", TopicARNs: []string{snsTestTopic}}}
	p := provParser(f, src, Options{HTTPClient: client})
	f.Fuzz(func(t *testing.T, body []byte) {
		provFuzzParse(t, p, provRequest("text/plain", body))
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzSESOverSNS: a validly signed SNS notification with attacker-chosen
// extra top-level keys (a Records array, duplicates of signed keys, ...).
// Property: when the verifier accepts the body, the parser acts on the
// signed Message alone: it either refuses the body or yields exactly the
// events the clean signed envelope yields (issue 13).
func FuzzSESOverSNS(f *testing.F) {
	fake := newSNSFake(f, time.Now().Add(24*time.Hour))
	src := rules.Source{Name: "ses", Format: "ses", Auth: rules.Auth{Type: "sns", TopicARNs: []string{snsTestTopic}}}
	v, err := NewVerifier(src, Options{HTTPClient: fake.client})
	if err != nil {
		f.Fatal(err)
	}
	p := provParser(f, src, Options{HTTPClient: fake.client})
	note := snsTestEnvelope(f, "ses/notification.json")
	var lambda map[string]json.RawMessage
	if err := json.Unmarshal(provFixture(f, "ses/lambda_event.json"), &lambda); err != nil {
		f.Fatal(err)
	}
	f.Add(note.Message, []byte(`{"Records":`+string(lambda["Records"])+`}`))
	f.Add(note.Message, []byte(`{"Message":"{\"notificationType\":\"Received\",\"mail\":{\"source\":\"eve@example.com\"}}"}`))
	f.Add(`{"notificationType":"Received","mail":{"source":"x@example.com","commonHeaders":{"from":["x@example.com"]}}}`, []byte(`{}`))
	f.Add("", []byte(`{"Type":"SubscriptionConfirmation"}`))
	f.Fuzz(func(t *testing.T, message string, extra []byte) {
		env := note
		env.Message = message
		env.Timestamp = time.Now().UTC().Format(time.RFC3339Nano)
		fake.sign(t, &env, "2")
		clean := snsBody(t, env)
		body := clean
		var add map[string]json.RawMessage
		if json.Unmarshal(extra, &add) == nil && len(add) > 0 {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(clean, &m); err != nil {
				t.Fatal(err)
			}
			for k, val := range add {
				m[k] = val
			}
			if body, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		req := provRequest("text/plain", body)
		if err := v.Verify(context.Background(), req); err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status > 503 {
				t.Fatalf("Verify: %v is not a 4xx/503 *Error", err)
			}
			return
		}
		got, err := p.Parse(context.Background(), req)
		if err != nil {
			return // refused: nothing acted on
		}
		want, wantErr := p.Parse(context.Background(), provRequest("text/plain", clean))
		if wantErr != nil {
			t.Fatalf("extra keys made mail of a signed message that is not mail: %+v", got.Events)
		}
		if len(got.Events) != len(want.Events) || got.DeliveryID != want.DeliveryID {
			t.Fatalf("parsed %d events (id %q), the signed Message gives %d (id %q)", len(got.Events), got.DeliveryID, len(want.Events), want.DeliveryID)
		}
		for i := range got.Events {
			if g, w := got.Events[i], want.Events[i]; g.Email != w.Email || g.Mail.From != w.Mail.From || g.Mail.Subject != w.Mail.Subject {
				t.Fatalf("event %d from %q (%q), the signed Message says %q (%q)", i, g.Email, g.Mail.Subject, w.Email, w.Mail.Subject)
			}
		}
	})
}

// TestSESForgedRecordsOnSignedMessage is the issue 13 reproduction end to
// end: a Records key added to a genuine, validly signed SNS notification
// still verifies (SNS signs only its own keys), so the parser must refuse
// it rather than take the mail from Records.
func TestSESForgedRecordsOnSignedMessage(t *testing.T) {
	fake := newSNSFake(t, time.Now().Add(time.Hour))
	src := rules.Source{Name: "ses", Format: "ses", Auth: rules.Auth{Type: "sns", TopicARNs: []string{snsTestTopic}}}
	v, err := NewVerifier(src, Options{HTTPClient: fake.client})
	if err != nil {
		t.Fatal(err)
	}
	p := provParser(t, src, Options{HTTPClient: fake.client})
	for _, name := range []string{"ses/notification.json", "ses/subscription_confirmation.json"} {
		t.Run(name, func(t *testing.T) {
			env := snsTestEnvelope(t, name)
			fake.sign(t, &env, "2")
			req := provRequest("text/plain", sesWithRecords(t, snsBody(t, env)))
			if err := v.Verify(context.Background(), req); err != nil {
				t.Fatalf("Verify: %v (the forgery keeps the signed keys intact)", err)
			}
			got, err := p.Parse(context.Background(), req)
			provWantError(t, err, http.StatusBadRequest, "Records")
			if got != nil {
				t.Fatalf("parsed %+v", got)
			}
		})
	}
}
