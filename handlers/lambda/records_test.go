package lambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/lambda"
	"github.com/leadhook/leadhook/handlers/webhook"
)

// jsonCore answers 400 to bodies that are not valid JSON, 404 to sources
// other than known, 200 otherwise: a small stand-in for the service.
func jsonCore(known ...string) *fakeCore {
	return &fakeCore{answer: func(source string, req *webhook.Request) handlers.Response {
		found := false
		for _, k := range known {
			found = found || k == source
		}
		switch {
		case !found:
			return handlers.Response{Status: http.StatusNotFound, Body: map[string]string{"error": "unknown source"}}
		case !json.Valid(req.Body) && !strings.HasPrefix(req.Header.Get("Content-Type"), "text/plain; charset=UTF-8"):
			return handlers.Response{Status: http.StatusBadRequest, Body: map[string]string{"error": "invalid JSON"}}
		}
		return handlers.Response{Status: http.StatusOK, Body: map[string]bool{"ok": true}}
	}}
}

func sqsRecord(id, body, source, arn string) events.SQSMessage {
	rec := events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs", EventSourceARN: arn,
		Attributes: map[string]string{"SentTimestamp": "1764194400000"}}
	if source != "" {
		rec.MessageAttributes = map[string]events.SQSMessageAttribute{"source": {StringValue: &source, DataType: "String"}}
	}
	return rec
}

func sqsPayload(recs ...events.SQSMessage) []byte {
	b, _ := json.Marshal(events.SQSEvent{Records: recs})
	return b
}

func failedIDs(r events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestSQSBatch(t *testing.T) {
	const queue, fifo = "arn:aws:sqs:eu-west-1:210987654321:leads", "arn:aws:sqs:eu-west-1:210987654321:leads.fifo"
	tests := []struct {
		name          string
		cfg           lambda.Config
		payload       []byte
		wantFailed    []string
		wantSources   []string
		wantFirstBody string
	}{
		{
			name: "fixture: one good, one bad", payload: fixture(t, "sqs-event.json"),
			wantFailed:    []string{"7c1e5a52-0002-4b1e-9d2a-000000000002"},
			wantSources:   []string{"queue", "queue"},
			wantFirstBody: `{"email":"katherine@orbit.example","name":"Katherine Johnson","company":"Trajectory Labs","budget":"30000"}`,
		},
		{
			name: "default source for records without attribute", cfg: lambda.Config{SQSSource: "website"},
			payload:    sqsPayload(sqsRecord("m1", `{"email":"a@b.example"}`, "", queue), sqsRecord("m2", `{}`, "nowhere", queue)),
			wantFailed: []string{"m2"}, wantSources: []string{"website", "nowhere"}, wantFirstBody: `{"email":"a@b.example"}`,
		},
		{
			name:       "no source and no default fails the record only",
			payload:    sqsPayload(sqsRecord("m1", `{}`, "", queue), sqsRecord("m2", `{}`, "website", queue)),
			wantFailed: []string{"m1"}, wantSources: []string{"website"}, wantFirstBody: `{}`,
		},
		{
			name:       "fifo stops after the first failure",
			payload:    sqsPayload(sqsRecord("f1", `{}`, "website", fifo), sqsRecord("f2", `{bad`, "website", fifo), sqsRecord("f3", `{}`, "website", fifo)),
			wantFailed: []string{"f2", "f3"}, wantSources: []string{"website", "website"}, wantFirstBody: `{}`,
		},
		{
			name: "sns envelope unwrapped, source from sns attribute", payload: fixture(t, "sqs-sns-event.json"),
			wantFailed: []string{}, wantSources: []string{"queue"},
			wantFirstBody: `{"email": "dorothy@vaughan.example", "name": "Dorothy Vaughan", "company": "Fortran Works"}`,
		},
		{
			name: "sns envelope kept for an ses source", payload: fixture(t, "sqs-sns-event.json"),
			cfg:        lambda.Config{SourceFormat: func(s string) (string, bool) { return "ses", s == "queue" }},
			wantFailed: []string{}, wantSources: []string{"queue"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := jsonCore("website", "queue")
			tt.cfg.Core = core
			h := newHandler(t, tt.cfg)
			var resp events.SQSEventResponse
			mustInvoke(t, h.Invoke, tt.payload, &resp)
			if got := failedIDs(resp); !reflect.DeepEqual(got, tt.wantFailed) {
				t.Errorf("failed = %v, want %v", got, tt.wantFailed)
			}
			calls := core.recorded()
			var sources []string
			for _, c := range calls {
				sources = append(sources, c.Source)
				if c.Req.Method != http.MethodPost || c.Req.Path != "/hooks/"+c.Source || c.DryRun {
					t.Errorf("request %s %s dry=%v for %q", c.Req.Method, c.Req.Path, c.DryRun, c.Source)
				}
			}
			if !reflect.DeepEqual(sources, tt.wantSources) {
				t.Errorf("sources = %v, want %v", sources, tt.wantSources)
			}
			if tt.wantFirstBody != "" && (len(calls) == 0 || string(calls[0].Req.Body) != tt.wantFirstBody) {
				t.Errorf("first body = %q, want %q", firstBody(calls), tt.wantFirstBody)
			}
		})
	}
}

func firstBody(calls []coreCall) string {
	if len(calls) == 0 {
		return ""
	}
	return string(calls[0].Req.Body)
}

func TestSQSRecordRequest(t *testing.T) {
	ct, sig := "application/x-www-form-urlencoded", "sha256=abc"
	rec := sqsRecord("m1", "email=a%40b.example", "contact-form", "arn:aws:sqs:eu-west-1:1:q")
	rec.MessageAttributes["content_type"] = events.SQSMessageAttribute{StringValue: &ct, DataType: "String"}
	rec.MessageAttributes["X-Signature"] = events.SQSMessageAttribute{StringValue: &sig, DataType: "String"}
	rec.MessageAttributes["blob"] = events.SQSMessageAttribute{BinaryValue: []byte{1}, DataType: "Binary"}
	core := &fakeCore{}
	h := newHandler(t, lambda.Config{Core: core})
	var resp events.SQSEventResponse
	mustInvoke(t, h.Invoke, sqsPayload(rec), &resp)
	calls := core.recorded()
	if len(calls) != 1 || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("calls %d failures %v", len(calls), resp.BatchItemFailures)
	}
	req := calls[0].Req
	want := map[string]string{"Content-Type": ct, "X-Signature": sig, "Blob": "", "Source": ""}
	for k, v := range want {
		if got := req.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if !req.ReceivedAt.Equal(time.UnixMilli(1764194400000)) {
		t.Errorf("received at %v", req.ReceivedAt)
	}
}

func TestSQSUnwrappedSNSAttributesAsHeaders(t *testing.T) {
	env := `{"Type":"Notification","MessageId":"n1","TopicArn":"arn:aws:sns:eu-west-1:1:t","Message":"email=a%40b.example",` +
		`"MessageAttributes":{"source":{"Type":"String","Value":"contact-form"},"content_type":{"Type":"String","Value":"application/x-www-form-urlencoded"},` +
		`"X-Campaign":{"Type":"String","Value":"spring"},"blob":{"Type":"Binary","Value":"AQI="}}}`
	campaign := "autumn"
	rec := sqsRecord("m1", env, "", "arn:aws:sqs:eu-west-1:1:q")
	rec.MessageAttributes = map[string]events.SQSMessageAttribute{"X-Campaign": {StringValue: &campaign, DataType: "String"}}
	core := &fakeCore{}
	h := newHandler(t, lambda.Config{Core: core})
	var resp events.SQSEventResponse
	mustInvoke(t, h.Invoke, sqsPayload(rec), &resp)
	calls := core.recorded()
	if len(calls) != 1 || calls[0].Source != "contact-form" || string(calls[0].Req.Body) != "email=a%40b.example" {
		t.Fatalf("calls = %+v", calls)
	}
	want := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Campaign": "autumn", "Blob": "", "Idempotency-Key": "n1"}
	for k, v := range want {
		if got := calls[0].Req.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q (the SQS attribute wins over the SNS one)", k, got, v)
		}
	}
}

func TestSQSDeliveryID(t *testing.T) {
	own := "producer-key-1"
	withKey := sqsRecord("m2", `{}`, "website", "q")
	withKey.MessageAttributes["Idempotency-Key"] = events.SQSMessageAttribute{StringValue: &own, DataType: "String"}
	var env events.SQSEvent
	if err := json.Unmarshal(fixture(t, "sqs-sns-event.json"), &env); err != nil {
		t.Fatal(err)
	}
	core := &fakeCore{}
	h := newHandler(t, lambda.Config{Core: core})
	var resp events.SQSEventResponse
	mustInvoke(t, h.Invoke, sqsPayload(sqsRecord("m1", `{}`, "website", "q"), withKey, env.Records[0]), &resp)
	want := []string{"m1", own, "a1b2c3d4-5e6f-4a1b-8c9d-0e1f2a3b4c5d"}
	calls := core.recorded()
	if len(calls) != len(want) {
		t.Fatalf("calls = %d", len(calls))
	}
	for i, c := range calls {
		if got := c.Req.Header.Get("Idempotency-Key"); got != want[i] {
			t.Errorf("record %d: Idempotency-Key = %q, want %q", i, got, want[i])
		}
	}
}

func TestSQSEnvelopeHeadersForSESSource(t *testing.T) {
	core := &fakeCore{}
	h := newHandler(t, lambda.Config{Core: core, SourceFormat: func(string) (string, bool) { return "ses", true }})
	payload := fixture(t, "sqs-sns-event.json")
	var resp events.SQSEventResponse
	mustInvoke(t, h.Invoke, payload, &resp)
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	calls := core.recorded()
	if len(calls) != 1 {
		t.Fatalf("calls = %d", len(calls))
	}
	req := calls[0].Req
	if string(req.Body) != ev.Records[0].Body {
		t.Errorf("body changed: %q", req.Body)
	}
	want := map[string]string{"X-Amz-Sns-Message-Type": "Notification", "X-Amz-Sns-Message-Id": "a1b2c3d4-5e6f-4a1b-8c9d-0e1f2a3b4c5d",
		"X-Amz-Sns-Topic-Arn": "arn:aws:sns:eu-west-1:210987654321:leadhook-leads", "Content-Type": "text/plain; charset=UTF-8"}
	for k, v := range want {
		if got := req.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestSQSSubscriptionConfirmationSkippedForPlainSource(t *testing.T) {
	env := `{"Type":"SubscriptionConfirmation","MessageId":"x1","TopicArn":"arn:aws:sns:eu-west-1:1:t","Token":"tok","Message":"confirm","SubscribeURL":"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"}`
	core := &fakeCore{}
	h := newHandler(t, lambda.Config{Core: core, SQSSource: "website"})
	var resp events.SQSEventResponse
	mustInvoke(t, h.Invoke, sqsPayload(sqsRecord("m1", env, "", "arn:aws:sqs:eu-west-1:1:q")), &resp)
	if len(resp.BatchItemFailures) != 0 || len(core.recorded()) != 0 {
		t.Fatalf("failures %v, calls %d; want the handshake acknowledged and not delivered", resp.BatchItemFailures, len(core.recorded()))
	}
}

func TestSQSEndingInvocationFailsRemainingRecords(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{name: "cancelled", ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
		{name: "deadline within the margin", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 500*time.Millisecond)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := &fakeCore{}
			h := newHandler(t, lambda.Config{Core: core})
			ctx, cancel := tt.ctx()
			defer cancel()
			out, err := h.Invoke(ctx, sqsPayload(sqsRecord("m1", `{}`, "website", "q"), sqsRecord("m2", `{}`, "website", "q")))
			if err != nil {
				t.Fatal(err)
			}
			resp, ok := out.(events.SQSEventResponse)
			if !ok || !reflect.DeepEqual(failedIDs(resp), []string{"m1", "m2"}) || len(core.recorded()) != 0 {
				t.Fatalf("out = %#v, calls %d; want both reported failed unprocessed", out, len(core.recorded()))
			}
		})
	}
}

func TestSNSDirect(t *testing.T) {
	tests := []struct {
		name     string
		cfg      lambda.Config
		answer   int
		wantErr  bool
		wantBody string
	}{
		{name: "unwrapped for a plain source", answer: 200, wantBody: `{"email": "mary@jackson.example", "name": "Mary Jackson"}`},
		{name: "envelope with http spelling for an ses source", answer: 200,
			cfg: lambda.Config{SourceFormat: func(string) (string, bool) { return "ses", true }}},
		{name: "rejected delivery fails the invocation", answer: 422, wantErr: true,
			wantBody: `{"email": "mary@jackson.example", "name": "Mary Jackson"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := &fakeCore{answer: func(string, *webhook.Request) handlers.Response {
				return handlers.Response{Status: tt.answer, Body: map[string]string{"error": "nope"}}
			}}
			tt.cfg.Core = core
			h := newHandler(t, tt.cfg)
			_, err := invoke(t, h.Invoke, fixture(t, "sns-event.json"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			calls := core.recorded()
			if len(calls) != 1 || calls[0].Source != "website" {
				t.Fatalf("calls = %+v", calls)
			}
			body := string(calls[0].Req.Body)
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			if tt.wantBody == "" && (!strings.Contains(body, `"SigningCertURL"`) || !strings.Contains(body, `"Timestamp":"2026-11-26T22:00:00.000Z"`)) {
				t.Errorf("envelope = %s, want SigningCertURL and the timestamp unchanged", body)
			}
		})
	}
}

func TestSESEvent(t *testing.T) {
	tests := []struct {
		name       string
		source     string
		answer     int
		wantSource string
		wantErr    bool
	}{
		{name: "default source", answer: 200, wantSource: "ses"},
		{name: "configured source", source: "inbound-mail", answer: 202, wantSource: "inbound-mail"},
		{name: "core failure is an invocation error", answer: 503, wantSource: "ses", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := &fakeCore{answer: func(string, *webhook.Request) handlers.Response {
				return handlers.Response{Status: tt.answer, Body: map[string]string{"error": "deskera unavailable"}}
			}}
			h := newHandler(t, lambda.Config{Core: core, SESSource: tt.source})
			payload := bytes.TrimSpace(fixture(t, "ses-lambda-event.json"))
			raw, err := invoke(t, h.Invoke, payload)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "deskera unavailable") {
					t.Fatalf("err = %v, want the core's error", err)
				}
			} else if err != nil || string(raw) != `{"disposition":"CONTINUE"}` {
				t.Fatalf("= %s, %v; want CONTINUE", raw, err)
			}
			calls := core.recorded()
			if len(calls) != 1 || calls[0].Source != tt.wantSource || string(calls[0].Req.Body) != string(payload) {
				t.Fatalf("calls = %d, want one for %q with the event as body", len(calls), tt.wantSource)
			}
			if ct := calls[0].Req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestScheduledSweep(t *testing.T) {
	errBoom := errors.New("deskera down")
	tests := []struct {
		name       string
		payload    []byte
		noSweep    bool
		sweepErr   error
		wantDryRun bool
		wantErr    bool
	}{
		{name: "fixture runs the sweep", payload: fixture(t, "eventbridge-scheduled.json")},
		{name: "dry run from detail", payload: []byte(`{"version":"0","id":"e2","detail-type":"Scheduled Event","source":"aws.scheduler","detail":{"dry_run":true}}`), wantDryRun: true},
		{name: "sweep error", payload: fixture(t, "eventbridge-scheduled.json"), sweepErr: errBoom, wantErr: true},
		{name: "no sweep configured", payload: fixture(t, "eventbridge-scheduled.json"), noSweep: true, wantErr: true},
		{name: "bad detail", payload: []byte(`{"version":"0","id":"e3","detail-type":"Scheduled Event","source":"aws.events","detail":{"dry_run":"yes"}}`), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []bool
			cfg := lambda.Config{Core: &fakeCore{}}
			if !tt.noSweep {
				cfg.Sweep = func(_ context.Context, dryRun bool) (any, error) {
					calls = append(calls, dryRun)
					return map[string]int{"relabelled": 3}, tt.sweepErr
				}
			}
			h := newHandler(t, cfg)
			raw, err := invoke(t, h.Invoke, tt.payload)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("= %s, want an error", raw)
				}
				return
			}
			if err != nil || string(raw) != `{"relabelled":3}` {
				t.Fatalf("= %s, %v", raw, err)
			}
			if !reflect.DeepEqual(calls, []bool{tt.wantDryRun}) {
				t.Errorf("sweep calls = %v, want [%v]", calls, tt.wantDryRun)
			}
		})
	}
}

func TestScheduledReassign(t *testing.T) {
	errBoom := errors.New("deskera down")
	const head = `{"version":"0","id":"r1","detail-type":"Scheduled Event","source":"aws.scheduler","detail":`
	tests := []struct {
		name       string
		detail     string
		noReassign bool
		err        error
		want       *lambda.ReassignRequest
		wantErr    string
	}{
		{name: "to a pool", detail: `{"reassign":{"from_owner":99999,"pool":"sales"}}`, want: &lambda.ReassignRequest{FromOwner: 99999, Pool: "sales"}},
		{name: "to an owner, narrowed, dry run", detail: `{"reassign":{"from_owner":5,"to_owner":7,"when":"contact.label == \"Cold lead\"","dry_run":true}}`,
			want: &lambda.ReassignRequest{FromOwner: 5, ToOwner: 7, When: `contact.label == "Cold lead"`, DryRun: true}},
		{name: "outer dry run", detail: `{"dry_run":true,"reassign":{"from_owner":5,"pool":"sales"}}`, want: &lambda.ReassignRequest{FromOwner: 5, Pool: "sales", DryRun: true}},
		{name: "no from owner", detail: `{"reassign":{"pool":"sales"}}`, wantErr: "from_owner must be a positive user id"},
		{name: "reassign error", detail: `{"reassign":{"from_owner":5,"pool":"sales"}}`, err: errBoom, wantErr: "deskera down"},
		{name: "no reassign configured", detail: `{"reassign":{"from_owner":5,"pool":"sales"}}`, noReassign: true, wantErr: "no reassign configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []lambda.ReassignRequest
			swept := false
			cfg := lambda.Config{Core: &fakeCore{}, Sweep: func(context.Context, bool) (any, error) { swept = true; return nil, nil }}
			if !tt.noReassign {
				cfg.Reassign = func(_ context.Context, r lambda.ReassignRequest) (any, error) {
					got = append(got, r)
					return map[string]int{"reassigned": 4}, tt.err
				}
			}
			h := newHandler(t, cfg)
			raw, err := invoke(t, h.Invoke, []byte(head+tt.detail+"}"))
			if swept {
				t.Error("a reassign event ran the sweep")
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("= %s, %v; want an error with %q", raw, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(raw) != `{"reassigned":4}` {
				t.Fatalf("= %s, %v", raw, err)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], *tt.want) {
				t.Errorf("reassign calls = %+v, want [%+v]", got, *tt.want)
			}
		})
	}
}
