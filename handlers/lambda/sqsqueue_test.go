package lambda_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/lambda"
)

// sentMessage is a SendMessage request as the SQS JSON protocol carries it.
type sentMessage struct {
	QueueUrl               string
	MessageBody            string
	MessageAttributes      map[string]struct{ DataType, StringValue string }
	MessageGroupId         string
	MessageDeduplicationId string
}

// fakeSQS speaks the SQS JSON protocol (AwsJson1_0) for SendMessage:
// it keeps the messages and answers their id and body MD5, or, while
// refusing, AccessDenied (what a role without sqs:SendMessage gets).
type fakeSQS struct {
	srv *httptest.Server

	mu         sync.Mutex
	sent       []sentMessage
	visibility []visibility
	refusing   bool
}

func newFakeSQS(t *testing.T) *fakeSQS {
	f := &fakeSQS{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSQS) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if r.Header.Get("X-Amz-Target") == "AmazonSQS.ChangeMessageVisibility" {
		f.changeVisibility(w, r)
		return
	}
	if r.Header.Get("X-Amz-Target") != "AmazonSQS.SendMessage" || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.sqs#InvalidAction","message":"unexpected %q"}`, r.Header.Get("X-Amz-Target"))
		return
	}
	var m sentMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":%q}`, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refusing {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"com.amazon.coral.service#AccessDeniedException","message":"not authorized to perform sqs:SendMessage"}`)
		return
	}
	f.sent = append(f.sent, m)
	sum := md5.Sum([]byte(m.MessageBody))
	fmt.Fprintf(w, `{"MessageId":"msg-%d","MD5OfMessageBody":%q}`, len(f.sent), hex.EncodeToString(sum[:]))
}

// visibility is a ChangeMessageVisibility request.
type visibility struct {
	QueueUrl, ReceiptHandle string
	VisibilityTimeout       int
}

func (f *fakeSQS) changeVisibility(w http.ResponseWriter, r *http.Request) {
	var v visibility
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.visibility = append(f.visibility, v)
	f.mu.Unlock()
	fmt.Fprint(w, `{}`)
}

func (f *fakeSQS) visibilities() []visibility {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]visibility(nil), f.visibility...)
}

func (f *fakeSQS) messages() []sentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMessage(nil), f.sent...)
}

func (f *fakeSQS) refuse() {
	f.mu.Lock()
	f.refusing = true
	f.mu.Unlock()
}

// record is a sent message as the SQS trigger delivers it.
func (m sentMessage) record(id string) events.SQSMessage {
	attrs := map[string]events.SQSMessageAttribute{}
	for k, a := range m.MessageAttributes {
		attrs[k] = events.SQSMessageAttribute{DataType: a.DataType, StringValue: aws.String(a.StringValue)}
	}
	return events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, Body: m.MessageBody, MessageAttributes: attrs, EventSource: "aws:sqs",
		EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:leads", Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}

// queuedStack is a stack whose queued sources go to fake SQS through the
// real SDK client.
func queuedStack(t *testing.T) (*stack, *fakeSQS) {
	t.Helper()
	return queuedStackMax(t, 0)
}

// queuedStackMax is queuedStack whose messages hold at most maxBytes.
func queuedStackMax(t *testing.T, maxBytes int) (*stack, *fakeSQS) {
	t.Helper()
	f := newFakeSQS(t)
	client := sqs.New(sqs.Options{Region: "eu-west-1", BaseEndpoint: aws.String(f.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")})
	q, err := lambda.NewSQSQueue(client, "https://sqs.eu-west-1.amazonaws.com/123456789012/leads", maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, func(c *handlers.Config) { c.Queue = q })
	s.lambda = newHandler(t, lambda.Config{Core: s.svc, HTTP: s.router, Now: clock, Redeliver: q})
	return s, f
}

var queuedForm = "email=grace%40navy.example&name=Grace+Hopper&budget=2500"

func postQueued(t *testing.T, s *stack, id string) answer {
	t.Helper()
	return viaLambda(t, s.lambda, v2Of(httpCase{method: http.MethodPost, path: "/hooks/contact-form", body: queuedForm,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": id, "Cookie": "session=s3cret"}}))
}

// TestSQSQueueRoundTrip: a queued source's delivery is answered 202 once
// it is on SQS (the sender's bytes, its source and delivery id as
// attributes, no credentials), and the SQS trigger then acts on it.
func TestSQSQueueRoundTrip(t *testing.T) {
	s, f := queuedStack(t)
	if a := postQueued(t, s, "q-1"); a.Status != http.StatusAccepted {
		t.Fatalf("intake answered %d %s, want 202", a.Status, a.Body)
	}
	msgs := f.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages sent, want 1", len(msgs))
	}
	m := msgs[0]
	for k, want := range map[string]string{"leadhook_delivery": "1", "source": "contact-form", "delivery_id": "q-1"} {
		if a := m.MessageAttributes[k]; a.StringValue != want || a.DataType != "String" {
			t.Errorf("attribute %s = %+v, want String %q", k, a, want)
		}
	}
	if m.QueueUrl != "https://sqs.eu-west-1.amazonaws.com/123456789012/leads" {
		t.Errorf("queue url %q", m.QueueUrl)
	}
	var d handlers.QueuedDelivery
	if err := json.Unmarshal([]byte(m.MessageBody), &d); err != nil {
		t.Fatal(err)
	}
	if string(d.Body) != queuedForm || d.Source != "contact-form" || d.DeliveryID != "q-1" || d.Header.Get("Cookie") != "" || d.RemoteIP != "192.0.2.10" {
		t.Errorf("message body %+v, want the form's exact bytes, its ids, the sender's address and no cookie", d)
	}
	if n := len(s.fake.Contacts()); n != 0 {
		t.Fatalf("%d contacts before the trigger ran, want 0", n)
	}
	raw, err := invoke(t, s.lambda.Invoke, sqsPayload(m.record("msg-1")))
	if err != nil || string(raw) != `{"batchItemFailures":[]}` {
		t.Fatalf("trigger = %s, %v; want no failures", raw, err)
	}
	if cs := s.fake.Contacts(); len(cs) != 1 || cs[0].Email != "grace@navy.example" {
		t.Fatalf("contacts = %s, want grace", s.contactsJSON(t))
	}
}

// TestSQSQueueTooLargeAnsweredAsSync: a delivery larger than a message
// is acted on at once and answered as a sync source's: done is 2xx,
// Deskera refusing its data is that refusal, Deskera down is 503 with
// Retry-After. Never the 202 that would tell the sender it was stored.
func TestSQSQueueTooLargeAnsweredAsSync(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail      int // Deskera's answer to every call (0: it works)
		want      func(int) bool
		contacts  int
		retryHint bool
	}{
		{"done", 0, func(c int) bool { return c >= 200 && c < 300 && c != http.StatusAccepted }, 1, false},
		{"refused for good", http.StatusBadRequest, func(c int) bool { return c >= 400 && c < 500 }, 0, false},
		{"crm down", http.StatusServiceUnavailable, func(c int) bool { return c == http.StatusServiceUnavailable }, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, f := queuedStackMax(t, 64) // every delivery is larger
			if tc.fail != 0 {
				s.fake.FailNext(1000, tc.fail, 0)
			}
			a := postQueued(t, s, "big-1")
			if !tc.want(a.Status) {
				t.Fatalf("intake answered %d %s", a.Status, a.Body)
			}
			if tc.retryHint != (a.Header["Retry-After"] != "") {
				t.Errorf("Retry-After = %q (want one: %v)", a.Header["Retry-After"], tc.retryHint)
			}
			if n := len(f.messages()); n != 0 {
				t.Errorf("%d messages sent, want 0", n)
			}
			if n := len(s.fake.Contacts()); n != tc.contacts {
				t.Errorf("%d contacts, want %d", n, tc.contacts)
			}
		})
	}
}

// TestSQSQueueTooLargeOverTime: the sender's retry of a too-large
// delivery answered 503 acts once Deskera is back, and a repeat after
// that is a replay of the stored answer, not a second action.
func TestSQSQueueTooLargeOverTime(t *testing.T) {
	s, f := queuedStackMax(t, 64)
	s.fake.FailNext(1000, http.StatusServiceUnavailable, 0)
	if a := postQueued(t, s, "big-2"); a.Status != http.StatusServiceUnavailable {
		t.Fatalf("with Deskera down: %d %s, want 503", a.Status, a.Body)
	}
	s.fake.FailNext(0, 0, 0)
	first := postQueued(t, s, "big-2")
	if first.Status != http.StatusOK || first.Header[handlers.ReplayHeader] != "" {
		t.Fatalf("retry once Deskera is back: %d %v %s, want 200, not a replay", first.Status, first.Header, first.Body)
	}
	again := postQueued(t, s, "big-2")
	if again.Status != first.Status || again.Header[handlers.ReplayHeader] != "true" {
		t.Fatalf("repeat: %d %v %s, want the stored %d replayed", again.Status, again.Header, again.Body, first.Status)
	}
	if n := len(s.fake.Contacts()); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
	if n := len(f.messages()); n != 0 {
		t.Errorf("%d messages sent, want 0", n)
	}
}

// TestSQSQueueSendFailureIs503: when SQS refuses the message, the sender
// gets 503 with Retry-After (it must retry), never 202.
func TestSQSQueueSendFailureIs503(t *testing.T) {
	s, f := queuedStack(t)
	f.refuse()
	a := postQueued(t, s, "q-2")
	if a.Status != http.StatusServiceUnavailable || a.Header["Retry-After"] == "" {
		t.Fatalf("intake answered %d %v %s, want 503 with Retry-After", a.Status, a.Header, a.Body)
	}
	if secs, err := strconv.Atoi(a.Header["Retry-After"]); err != nil || secs <= 0 {
		t.Errorf("Retry-After = %q, want seconds", a.Header["Retry-After"])
	}
}

// TestSQSQueuedTemporaryFailureIsRetried: Deskera down, the record is a
// batch item failure (SQS delivers it again, then dead-letters it), made
// visible again later the more often it was received; once Deskera
// answers, the redelivered record completes.
func TestSQSQueuedTemporaryFailureIsRetried(t *testing.T) {
	s, f := queuedStack(t)
	if a := postQueued(t, s, "q-3"); a.Status != http.StatusAccepted {
		t.Fatalf("intake answered %d %s", a.Status, a.Body)
	}
	rec := f.messages()[0].record("msg-1")
	s.fake.FailNext(1000, http.StatusServiceUnavailable, 0)
	for _, n := range []string{"2", "9"} {
		rec.Attributes["ApproximateReceiveCount"] = n
		raw, err := invoke(t, s.lambda.Invoke, sqsPayload(rec))
		if err != nil || string(raw) != `{"batchItemFailures":[{"itemIdentifier":"msg-1"}]}` {
			t.Fatalf("trigger = %s, %v; want msg-1 failed", raw, err)
		}
	}
	want := []visibility{{"https://sqs.eu-west-1.amazonaws.com/123456789012/leads", "rh-msg-1", 360}, {"https://sqs.eu-west-1.amazonaws.com/123456789012/leads", "rh-msg-1", 43200}}
	if got := f.visibilities(); !reflect.DeepEqual(got, want) {
		t.Fatalf("visibility changes %+v, want %+v (6 min after the 2nd receive, the 12 h cap later)", got, want)
	}
	s.fake.FailNext(0, 0, 0)
	if raw, err := invoke(t, s.lambda.Invoke, sqsPayload(rec)); err != nil || string(raw) != `{"batchItemFailures":[]}` {
		t.Fatalf("redelivery = %s, %v; want done", raw, err)
	}
	if n := len(s.fake.Contacts()); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
}

// TestSQSQueuedMalformedFails: a marked message that is not a delivery
// fails (and so reaches the dead-letter queue), it is never dropped.
func TestSQSQueuedMalformedFails(t *testing.T) {
	s, _ := queuedStack(t)
	m := sentMessage{MessageBody: `{"source":`, MessageAttributes: map[string]struct{ DataType, StringValue string }{"leadhook_delivery": {"String", "1"}}}
	raw, err := invoke(t, s.lambda.Invoke, sqsPayload(m.record("bad-1")))
	if err != nil || string(raw) != `{"batchItemFailures":[{"itemIdentifier":"bad-1"}]}` {
		t.Fatalf("trigger = %s, %v; want bad-1 failed", raw, err)
	}
}

func TestNewSQSQueueValidates(t *testing.T) {
	client := sqs.New(sqs.Options{Region: "eu-west-1"})
	for name, tc := range map[string]struct {
		client lambda.SQSSender
		url    string
		max    int
	}{
		"nil client":   {nil, "https://sqs.eu-west-1.amazonaws.com/1/q", 0},
		"no queue":     {client, "https://sqs.eu-west-1.amazonaws.com/", 0},
		"not a url":    {client, "leads", 0},
		"negative max": {client, "https://sqs.eu-west-1.amazonaws.com/1/q", -1},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := lambda.NewSQSQueue(tc.client, tc.url, tc.max); err == nil {
				t.Fatal("NewSQSQueue succeeded, want an error")
			}
		})
	}
}

// TestSQSQueueFIFODeduplication: on a FIFO queue a delivery is sent with
// its source as the message group and a deduplication id that is the same
// for the same (source, delivery id), so SQS drops a repeat within its
// five-minute window; another delivery id, or another body without one,
// is another message. A standard queue gets neither.
func TestSQSQueueFIFODeduplication(t *testing.T) {
	send := func(t *testing.T, url string, ds ...*handlers.QueuedDelivery) []sentMessage {
		t.Helper()
		f := newFakeSQS(t)
		client := sqs.New(sqs.Options{Region: "eu-west-1", BaseEndpoint: aws.String(f.srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")})
		q, err := lambda.NewSQSQueue(client, url, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if _, err := q.Enqueue(t.Context(), d); err != nil {
				t.Fatal(err)
			}
		}
		return f.messages()
	}
	delivery := func(id, body string) *handlers.QueuedDelivery {
		return &handlers.QueuedDelivery{Source: "contact-form", DeliveryID: id, Method: http.MethodPost, Path: "/hooks/contact-form", Body: []byte(body)}
	}
	msgs := send(t, "https://sqs.eu-west-1.amazonaws.com/123456789012/leads.fifo",
		delivery("d-1", "email=a%40x.io"), delivery("d-1", "email=a%40x.io"), delivery("d-2", "email=a%40x.io"),
		delivery("", "email=b%40x.io"), delivery("", "email=c%40x.io"))
	if len(msgs) != 5 {
		t.Fatalf("%d messages, want 5", len(msgs))
	}
	for i, m := range msgs {
		if m.MessageGroupId != "contact-form" || m.MessageDeduplicationId == "" {
			t.Errorf("message %d: group %q, deduplication id %q", i, m.MessageGroupId, m.MessageDeduplicationId)
		}
	}
	ids := func(i int) string { return msgs[i].MessageDeduplicationId }
	if ids(0) != ids(1) {
		t.Errorf("the same delivery id got deduplication ids %q and %q", ids(0), ids(1))
	}
	if ids(0) == ids(2) || ids(3) == ids(4) {
		t.Errorf("different deliveries share a deduplication id: %q %q %q %q", ids(0), ids(2), ids(3), ids(4))
	}
	for i, m := range send(t, "https://sqs.eu-west-1.amazonaws.com/123456789012/leads", delivery("d-1", "email=a%40x.io")) {
		if m.MessageGroupId != "" || m.MessageDeduplicationId != "" {
			t.Errorf("standard queue message %d: group %q, deduplication id %q", i, m.MessageGroupId, m.MessageDeduplicationId)
		}
	}
}
