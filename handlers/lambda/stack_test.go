package lambda_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/lambda"
	"github.com/leadhook/leadhook/rules/engine"
)

// Secrets of testdata/rules.yaml and the service.
const (
	websiteSecret = "test-website-secret"
	adminToken    = "test-admin-token"
	maxBody       = 4096
)

var fixedNow = time.Date(2026, 11, 26, 22, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

// stack is one service over its own fake Deskera, its router, and the
// Lambda handler that serves HTTP events through that router.
type stack struct {
	fake   *deskeratest.Server
	svc    *handlers.Service
	router http.Handler
	lambda *lambda.Handler
}

func newStack(t testing.TB, configure ...func(*handlers.Config)) *stack {
	t.Helper()
	gin.SetMode(gin.ReleaseMode) // no route listing for every stack
	fake := deskeratest.NewServer(t, deskeratest.WithClock(clock))
	set := handlerstest.Rules(t, "testdata/rules.yaml")
	eng := handlerstest.Engine(t, fake.Client(), set, engine.WithClock(clock))
	cfg := handlers.Config{Rules: set, Engine: eng, AdminToken: adminToken}
	for _, c := range configure {
		c(&cfg)
	}
	svc, err := handlers.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: svc, Metrics: handlers.NewMetrics(), MaxBody: maxBody, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	h, err := lambda.New(lambda.Config{
		Core: svc, HTTP: router, Now: clock,
		SourceFormat: func(name string) (string, bool) {
			src, ok := svc.Rules().Source(name)
			return src.Format, ok
		},
		Sweep: func(ctx context.Context, dryRun bool) (any, error) {
			return eng.Sweep(ctx, svc.Rules(), engine.SweepOptions{DryRun: dryRun})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &stack{fake: fake, svc: svc, router: router, lambda: h}
}

// contactsJSON is the fake's contacts, for comparison.
func (s *stack) contactsJSON(t testing.TB) string {
	t.Helper()
	b, err := json.Marshal(s.fake.Contacts())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// httpCase is one HTTP request, sent in each of the three event shapes.
type httpCase struct {
	method, path, query, body string
	header                    map[string]string
	// binary bodies arrive base64-encoded in Lambda events.
	binary bool
}

// answer is what a transport answered: status, body and the headers that
// carry meaning to a sender.
type answer struct {
	Status int
	Body   string
	Header map[string]string
}

var comparedHeaders = []string{"Content-Type", "Retry-After", handlers.ReplayHeader, "Location", "Access-Control-Allow-Origin"}

func pick(get func(string) string) map[string]string {
	out := map[string]string{}
	for _, k := range comparedHeaders {
		if v := get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

func lambdaBody(c httpCase) string {
	if c.binary {
		return base64.StdEncoding.EncodeToString([]byte(c.body))
	}
	return c.body
}

// The three HTTP event shapes, built from one case as API Gateway and
// Lambda would deliver it.
func v1Of(c httpCase) any {
	q, _ := url.ParseQuery(c.query)
	ev := events.APIGatewayProxyRequest{
		Resource: "/{proxy+}", Path: c.path, HTTPMethod: c.method,
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
		QueryStringParameters: map[string]string{}, MultiValueQueryStringParameters: map[string][]string(q),
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "prod", Identity: events.APIGatewayRequestIdentity{SourceIP: "192.0.2.10"}},
		Body:           lambdaBody(c), IsBase64Encoded: c.binary,
	}
	for k, v := range q {
		ev.QueryStringParameters[k] = v[len(v)-1]
	}
	for k, v := range c.header {
		ev.Headers[k], ev.MultiValueHeaders[k] = v, []string{v}
	}
	return ev
}

func v2Headers(c httpCase) map[string]string {
	h := map[string]string{}
	for k, v := range c.header {
		h[strings.ToLower(k)] = v
	}
	return h
}

func v2Of(c httpCase) any {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: c.path, RawQueryString: c.query, Headers: v2Headers(c),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "h77pap12id.execute-api.eu-west-1.amazonaws.com", Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: c.method, Path: c.path, SourceIP: "192.0.2.10"},
		},
		Body: lambdaBody(c), IsBase64Encoded: c.binary,
	}
}

func urlOf(c httpCase) any {
	return events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: c.path, RawQueryString: c.query, Headers: v2Headers(c),
		RequestContext: events.LambdaFunctionURLRequestContext{
			DomainName: "k3y5url1d.lambda-url.eu-west-1.on.aws",
			HTTP:       events.LambdaFunctionURLRequestContextHTTPDescription{Method: c.method, Path: c.path, SourceIP: "192.0.2.10"},
		},
		Body: lambdaBody(c), IsBase64Encoded: c.binary,
	}
}

func viaLambda(t *testing.T, h *lambda.Handler, ev any) answer {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var r httpResponse
	mustInvoke(t, h.Invoke, payload, &r)
	body := r.Body
	if r.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	header := http.Header{}
	for k, v := range r.Headers {
		header.Set(k, v)
	}
	for k, vs := range r.MultiValueHeaders {
		header[http.CanonicalHeaderKey(k)] = vs
	}
	return answer{Status: r.StatusCode, Body: body, Header: pick(header.Get)}
}

func signed(body, key string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "X-Signature": "sha256=" + handlerstest.HexHMAC(websiteSecret, body), "Idempotency-Key": key}
}

// navigate is what a browser sends with a plain form post.
var navigate = map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html,*/*;q=0.8",
	"Sec-Fetch-Mode": "navigate", "Origin": "https://www.example.com", "Referer": "https://www.example.com/contact"}

// TestSQSAndSESThroughService delivers an SQS record and an SES receipt
// event to the real service and wants the contact each names.
func TestSQSAndSESThroughService(t *testing.T) {
	tests := []struct {
		name, want, email string
		payload           []byte
	}{
		{
			name:    "sqs record",
			payload: sqsPayload(sentNow(sqsRecord("m-1", `{"email":"katherine@orbit.example","name":"Katherine Johnson","budget":"30000"}`, "queue", "arn:aws:sqs:eu-west-1:1:q"))),
			want:    `{"batchItemFailures":[]}`, email: "katherine@orbit.example",
		},
		{name: "ses receipt", payload: bytes.TrimSpace(fixture(t, "ses-lambda-event.json")), want: `{"disposition":"CONTINUE"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t)
			raw, err := invoke(t, s.lambda.Invoke, tt.payload)
			if err != nil || string(raw) != tt.want {
				t.Fatalf("lambda = %s, %v; want %s", raw, err, tt.want)
			}
			cs := s.fake.Contacts()
			if len(cs) != 1 || (tt.email != "" && cs[0].Email != tt.email) {
				t.Errorf("contacts = %s, want one %s", s.contactsJSON(t), tt.email)
			}
		})
	}
}

// sentNow makes an SQS message sent at the stacks' clock, as the Gin
// request of the same lead arrives: the stored score's time is the event's
// received_at, so both paths store the same contact.
func sentNow(m events.SQSMessage) events.SQSMessage {
	m.Attributes = map[string]string{"SentTimestamp": strconv.FormatInt(fixedNow.UnixMilli(), 10)}
	return m
}

// TestScheduledSweepRelabels creates a Hot lead from a form (its budget
// scores 70, stored on the contact) next to a Hot lead created before
// scores were stored, and wants the scheduled sweep to keep the first (its
// stored score) and to relabel the second, which scores alone from its
// CRM fields (no form fields: 0), Cold lead in Deskera.
func TestScheduledSweepRelabels(t *testing.T) {
	s := newStack(t)
	lead := `{"email":"ada@analytical.example","name":"Ada","budget":"25000"}`
	if a := viaLambda(t, s.lambda, v2Of(httpCase{method: http.MethodPost, path: "/hooks/website", body: lead, header: signed(lead, "s-1")})); a.Status != http.StatusOK {
		t.Fatalf("seed: %d %s", a.Status, a.Body)
	}
	if got := contactLabel(t, s); got != "Hot lead" {
		t.Fatalf("label after the form = %q, want Hot lead", got)
	}
	ada := s.fake.Contacts()[0].ID
	old := s.fake.AddContact(deskera.Contact{Name: "Old", Email: "old@analytical.example", LabelID: s.fake.Contacts()[0].LabelID})
	raw, err := invoke(t, s.lambda.Invoke, fixture(t, "eventbridge-scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res engine.SweepResult
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.Scanned != 2 || res.Changed != 1 || res.Unchanged != 1 || res.ByLabel["Cold lead"] != 1 || res.DryRun {
		t.Fatalf("sweep result %s, want the old contact changed to Cold lead and Ada unchanged", raw)
	}
	names := map[deskera.ID]string{}
	for _, l := range s.fake.Labels() {
		names[l.ID] = l.Name
	}
	for id, want := range map[deskera.ID]string{ada: "Hot lead", old.ID: "Cold lead"} {
		if c, _ := s.fake.Contact(id); names[c.LabelID] != want {
			t.Errorf("contact %d is %q after the sweep, want %q", id, names[c.LabelID], want)
		}
	}
}

// contactLabel is the name of the label of the fake's only contact.
func contactLabel(t *testing.T, s *stack) string {
	t.Helper()
	cs := s.fake.Contacts()
	if len(cs) != 1 || cs[0].Label == nil {
		t.Fatalf("contacts = %+v, want one with a label", cs)
	}
	for _, l := range s.fake.Labels() {
		if l.ID == cs[0].Label.ID {
			return l.Name
		}
	}
	return ""
}

// v2Request builds a minimal HTTP API v2 event.
func v2Request(method, path, rawQuery, body string, isBase64 bool) []byte {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, RawQueryString: rawQuery, Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "abc.execute-api.eu-west-1.amazonaws.com",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "192.0.2.1"},
		},
		Body: body, IsBase64Encoded: isBase64,
	}
	b, _ := json.Marshal(ev)
	return b
}
