package lambda_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/lambda"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// Secrets of testdata/rules.yaml and the service.
const (
	websiteSecret = "test-website-secret"
	adminToken    = "test-admin-token"
	parityMaxBody = 4096
)

var fixedNow = time.Date(2026, 11, 26, 22, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

// stack is one service over its own fake Deskera, reachable through the
// Gin router and through the Lambda handler.
type stack struct {
	fake   *deskeratest.Server
	router http.Handler
	lambda *lambda.Handler
}

func newStack(t *testing.T) *stack {
	t.Helper()
	fake := deskeratest.NewServer(t, deskeratest.WithClock(clock))
	set, err := rules.LoadFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.NewEngine(fake.Client(), engine.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Prepare(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: eng, AdminToken: adminToken})
	if err != nil {
		t.Fatal(err)
	}
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: svc, Metrics: handlers.NewMetrics(), MaxBody: parityMaxBody, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	h, err := lambda.New(lambda.Config{
		Core: svc, MaxBody: parityMaxBody, Now: clock,
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
	return &stack{fake: fake, router: router, lambda: h}
}

// contactsJSON is the fake's contacts, for comparison.
func (s *stack) contactsJSON(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(s.fake.Contacts())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// httpCase is one HTTP request, sent identically to every transport.
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

func viaGin(t *testing.T, s *stack, c httpCase) answer {
	t.Helper()
	target := c.path
	if c.query != "" {
		target += "?" + c.query
	}
	req := httptest.NewRequest(c.method, target, strings.NewReader(c.body))
	req.RemoteAddr = "192.0.2.10:40000"
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.router.ServeHTTP(rec, req)
	return answer{Status: rec.Code, Body: rec.Body.String(), Header: pick(rec.Header().Get)}
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

func viaLambda(t *testing.T, s *stack, ev any) answer {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var r httpResponse
	mustInvoke(t, s.lambda.Invoke, payload, &r)
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
	m := hmac.New(sha256.New, []byte(websiteSecret))
	m.Write([]byte(body))
	return map[string]string{"Content-Type": "application/json", "X-Signature": "sha256=" + hex.EncodeToString(m.Sum(nil)), "Idempotency-Key": key}
}

// navigate is what a browser sends with a plain form post.
var navigate = map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html,*/*;q=0.8",
	"Sec-Fetch-Mode": "navigate", "Origin": "https://www.example.com", "Referer": "https://www.example.com/contact"}

func parityCases() map[string][]httpCase {
	lead := `{"email":"Ada@Analytical.example","name":"Ada Lovelace","company":"Analytical Engines","budget":"25000"}`
	form := "email=grace%40navy.example&name=Grace+Hopper&budget=2500"
	big := `{"email":"big@example.com","note":"` + strings.Repeat("x", parityMaxBody) + `"}`
	post := func(path, body string, header map[string]string) httpCase {
		return httpCase{method: http.MethodPost, path: path, body: body, header: header}
	}
	return map[string][]httpCase{
		"signed json lead":  {post("/hooks/website", lead, signed(lead, "d-1"))},
		"base64 form":       {{method: http.MethodPost, path: "/hooks/contact-form", body: form, binary: true, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "d-2"}}},
		"signed base64":     {{method: http.MethodPost, path: "/hooks/website", body: lead, binary: true, header: signed(lead, "d-3")}},
		"bad signature":     {post("/hooks/website", lead, signed(lead+" ", "d-4"))},
		"invalid json":      {post("/hooks/website", `{"email":`, signed(`{"email":`, "d-5"))},
		"unknown source":    {post("/hooks/nowhere", lead, signed(lead, "d-6"))},
		"body too large":    {post("/hooks/website", big, signed(big, "d-7"))},
		"replayed delivery": {post("/hooks/website", lead, signed(lead, "d-8")), post("/hooks/website", lead, signed(lead, "d-8"))},
		"get is 405":        {{method: http.MethodGet, path: "/hooks/website"}},
		"unknown path":      {post("/leads", lead, nil)},
		"healthz":           {{method: http.MethodGet, path: "/healthz"}},
		"dry run": {{method: http.MethodPost, path: "/hooks/contact-form", query: "dry_run=1", body: form,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "d-9", "Authorization": "Bearer " + adminToken}}},
		"browser form lands on the thank-you redirect": {post("/hooks/page-form", form, navigate)},
		"browser honeypot answered like success":       {post("/hooks/page-form", form+"&_gotcha=x", navigate)},
		"browser post from another origin":             {post("/hooks/page-form", form, map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Sec-Fetch-Mode": "navigate", "Origin": "https://evil.example"})},
		"browser fetch gets JSON and CORS":             {post("/hooks/page-form", form, map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "Sec-Fetch-Mode": "cors", "Origin": "https://www.example.com", "Idempotency-Key": "d-11"})},
		"browser bad form gets the error redirect":     {post("/hooks/page-form", "{}", map[string]string{"Content-Type": "application/json", "Accept": "text/html", "Sec-Fetch-Mode": "navigate"})},
		"browser preflight": {{method: http.MethodOptions, path: "/hooks/page-form",
			header: map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}}},
		"browser preflight from another origin": {{method: http.MethodOptions, path: "/hooks/page-form",
			header: map[string]string{"Origin": "https://www.example.com.evil.com", "Access-Control-Request-Method": "POST"}}},
		"dry run without admin token": {{method: http.MethodPost, path: "/hooks/contact-form", query: "dry_run=1", body: form,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": "d-10"}}},
	}
}

// TestParityHTTP sends identical requests through Gin and through each
// Lambda HTTP event shape, each on a fresh service and fake Deskera, and
// wants the same answers and the same contacts in Deskera.
func TestParityHTTP(t *testing.T) {
	shapes := map[string]func(httpCase) any{"rest v1": v1Of, "http api v2": v2Of, "function url": urlOf}
	for name, steps := range parityCases() {
		t.Run(name, func(t *testing.T) {
			gs := newStack(t)
			var want []answer
			for _, c := range steps {
				want = append(want, viaGin(t, gs, c))
			}
			wantContacts := gs.contactsJSON(t)
			t.Logf("gin answers %+v", want)
			for shape, build := range shapes {
				ls := newStack(t)
				for i, c := range steps {
					got := viaLambda(t, ls, build(c))
					if !reflect.DeepEqual(got, want[i]) {
						t.Errorf("%s step %d:\n lambda %+v\n gin    %+v", shape, i, got, want[i])
					}
				}
				if got := ls.contactsJSON(t); got != wantContacts {
					t.Errorf("%s contacts:\n lambda %s\n gin    %s", shape, got, wantContacts)
				}
			}
			if want[0].Status == http.StatusOK && strings.HasPrefix(steps[0].path, "/hooks/") && !strings.Contains(steps[0].query, "dry_run") && wantContacts == "[]" {
				t.Errorf("a 200 delivery created no contact: %s", want[0].Body)
			}
		})
	}
}

// TestParityQueuedAndEmail delivers an SQS record and an SES receipt event
// through Lambda, and the same bodies through Gin, and wants the same
// contacts.
func TestParityQueuedAndEmail(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		gin     httpCase
		want    string
	}{
		{
			name:    "sqs record",
			payload: sqsPayload(sentNow(sqsRecord("m-1", `{"email":"katherine@orbit.example","name":"Katherine Johnson","budget":"30000"}`, "queue", "arn:aws:sqs:eu-west-1:1:q"))),
			gin: httpCase{method: http.MethodPost, path: "/hooks/queue", body: `{"email":"katherine@orbit.example","name":"Katherine Johnson","budget":"30000"}`,
				header: map[string]string{"Content-Type": "application/json", "Idempotency-Key": "m-1"}},
			want: `{"batchItemFailures":[]}`,
		},
		{
			name:    "ses receipt",
			payload: bytes.TrimSpace(fixture(t, "ses-lambda-event.json")),
			gin: httpCase{method: http.MethodPost, path: "/hooks/ses", body: string(bytes.TrimSpace(fixture(t, "ses-lambda-event.json"))),
				header: map[string]string{"Content-Type": "application/json"}},
			want: `{"disposition":"CONTINUE"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs, ls := newStack(t), newStack(t)
			if a := viaGin(t, gs, tt.gin); a.Status != http.StatusOK {
				t.Fatalf("gin answered %d %s", a.Status, a.Body)
			}
			raw, err := invoke(t, ls.lambda.Invoke, tt.payload)
			if err != nil || string(raw) != tt.want {
				t.Fatalf("lambda = %s, %v; want %s", raw, err, tt.want)
			}
			want, got := gs.contactsJSON(t), ls.contactsJSON(t)
			if got != want || want == "[]" {
				t.Errorf("contacts:\n lambda %s\n gin    %s", got, want)
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
	if a := viaGin(t, s, httpCase{method: http.MethodPost, path: "/hooks/website", body: lead, header: signed(lead, "s-1")}); a.Status != http.StatusOK {
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
