package lambda_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/lambda"
)

func newHandler(t testing.TB, cfg lambda.Config) *lambda.Handler {
	t.Helper()
	h, err := lambda.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// httpResponse is the common part of the three proxy response shapes.
type httpResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
	Cookies           []string            `json:"cookies"`
}

// seen is what an http.Handler received.
type seen struct {
	method, path, remote string
	query                url.Values
	header               http.Header
	body                 string
	deadline             time.Time
}

// recorder is an http.Handler that keeps the request it served and
// answers 200 {"ok":true}.
func recorder(got *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		dl, _ := r.Context().Deadline()
		*got = seen{method: r.Method, path: r.URL.Path, remote: r.RemoteAddr, query: r.URL.Query(), header: r.Header, body: string(b), deadline: dl}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
}

// TestHTTPEventsBecomeRequests: each event shape becomes the request a
// server would have read: exact body bytes (base64 decoded), repeated
// query values and headers, cookies, the peer's address and the
// invocation's deadline.
func TestHTTPEventsBecomeRequests(t *testing.T) {
	tests := []struct {
		name, fixture, wantPath, wantBody, wantIP string
		wantHeader                                map[string]string
		wantQuery                                 url.Values
	}{
		{
			name: "rest v1", fixture: "apigw-v1-request.json", wantPath: "/hooks/website",
			wantBody:   `{"email":"Ada.Lovelace@Analytical.example","name":"Ada Lovelace","company":"Analytical Engines Ltd","budget":"25000"}`,
			wantHeader: map[string]string{"Content-Type": "application/json", "User-Agent": "leadhook-fixture/1.0", "X-Forwarded-For": "198.51.100.23"},
			wantQuery:  url.Values{"utm_source": {"newsletter"}}, wantIP: "198.51.100.23",
		},
		{
			name: "http api v2", fixture: "apigw-v2-request.json", wantPath: "/hooks/website",
			wantBody:   `{"email":"grace@navy.example","name":"Grace Hopper","company":"COBOL Inc","budget":"50000"}`,
			wantHeader: map[string]string{"Content-Type": "application/json", "Cookie": "session=abc123; theme=dark"},
			wantQuery:  url.Values{"utm_source": {"ads", "retarget"}, "ref": {"lp2"}}, wantIP: "203.0.113.9",
		},
		{
			name: "http api v2 base64 body", fixture: "apigw-v2-base64-request.json", wantPath: "/hooks/website",
			wantBody:   `{"email":"grace@navy.example","name":"Grace Hopper","company":"COBOL Inc","budget":"50000"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"}, wantQuery: url.Values{}, wantIP: "203.0.113.9",
		},
		{
			name: "function url base64 form", fixture: "lambda-url-request.json", wantPath: "/hooks/contact-form",
			wantBody:   `email=linus%40kernel.example&name=Linus+T&company=Penguin+Co&budget=1200`,
			wantHeader: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, wantQuery: url.Values{}, wantIP: "192.0.2.44",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			h := newHandler(t, lambda.Config{Core: &fakeCore{}, HTTP: recorder(&got)})
			deadline := time.Now().Add(time.Minute).Truncate(time.Second)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			out, err := h.Invoke(ctx, fixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			var resp httpResponse
			if err := json.Unmarshal(out.(json.RawMessage), &resp); err != nil || resp.StatusCode != 200 || resp.Body != `{"ok":true}` {
				t.Errorf("response = %+v (%v), want 200 {\"ok\":true}", resp, err)
			}
			if got.method != http.MethodPost || got.path != tt.wantPath || got.body != tt.wantBody {
				t.Errorf("request = %s %s %q, want POST %s %q", got.method, got.path, got.body, tt.wantPath, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if g := got.header.Values(k); len(g) != 1 || g[0] != v {
					t.Errorf("header %s = %q, want [%q]", k, g, v)
				}
			}
			if !reflect.DeepEqual(got.query, tt.wantQuery) || got.remote != tt.wantIP {
				t.Errorf("query %v from %q, want %v from %q", got.query, got.remote, tt.wantQuery, tt.wantIP)
			}
			if !got.deadline.Equal(deadline) {
				t.Errorf("request deadline %v, want the invocation's %v", got.deadline, deadline)
			}
		})
	}
}

// TestHTTPSignatureHeaderWithCommasStaysWhole: HTTP API v2 sends one
// value per header; a signature such as Stripe's "t=...,v1=..." reaches
// the handler whole.
func TestHTTPSignatureHeaderWithCommasStaysWhole(t *testing.T) {
	var got seen
	h := newHandler(t, lambda.Config{Core: &fakeCore{}, HTTP: recorder(&got)})
	c := httpCase{method: http.MethodPost, path: "/hooks/website", body: "{}", header: map[string]string{"Stripe-Signature": "t=1764194400,v1=abc,v0=def"}}
	viaLambda(t, h, v2Of(c))
	if g := got.header.Values("Stripe-Signature"); len(g) != 1 || g[0] != "t=1764194400,v1=abc,v0=def" {
		t.Fatalf("Stripe-Signature = %q, want the header whole", g)
	}
}

// TestHTTPThroughRouter sends requests in each event shape through the
// real router and service over a fake Deskera.
func TestHTTPThroughRouter(t *testing.T) {
	lead := `{"email":"Ada@Analytical.example","name":"Ada Lovelace","company":"Analytical Engines","budget":"25000"}`
	form := "email=grace%40navy.example&name=Grace+Hopper&budget=2500"
	big := `{"email":"big@example.com","note":"` + strings.Repeat("x", maxBody) + `"}`
	post := func(path, body string, header map[string]string) httpCase {
		return httpCase{method: http.MethodPost, path: path, body: body, header: header}
	}
	admin := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer " + adminToken}
	tests := []struct {
		name         string
		c            httpCase
		wantStatus   int
		wantContacts int
		wantHeader   map[string]string
	}{
		{name: "signed json lead", c: post("/hooks/website", lead, signed(lead, "d-1")), wantStatus: 200, wantContacts: 1},
		{name: "signed base64 lead", c: httpCase{method: http.MethodPost, path: "/hooks/website", body: lead, binary: true, header: signed(lead, "d-2")}, wantStatus: 200, wantContacts: 1},
		{name: "bad signature", c: post("/hooks/website", lead, signed(lead+" ", "d-3")), wantStatus: 401},
		{name: "unknown source", c: post("/hooks/nowhere", lead, nil), wantStatus: 404},
		{name: "unknown path", c: post("/leads", lead, nil), wantStatus: 404},
		{name: "get is 405", c: httpCase{method: http.MethodGet, path: "/hooks/website"}, wantStatus: 405},
		{name: "healthz", c: httpCase{method: http.MethodGet, path: "/healthz"}, wantStatus: 200},
		{name: "body too large", c: post("/hooks/website", big, signed(big, "d-4")), wantStatus: 413},
		{name: "dry run", c: httpCase{method: http.MethodPost, path: "/hooks/contact-form", query: "dry_run=1", body: form, header: admin}, wantStatus: 200},
		{name: "browser form redirects", c: post("/hooks/page-form", form, navigate), wantStatus: 303, wantContacts: 1,
			wantHeader: map[string]string{"Location": "https://www.example.com/thanks"}},
		{name: "browser preflight", c: httpCase{method: http.MethodOptions, path: "/hooks/page-form",
			header: map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "POST"}},
			wantStatus: 204, wantHeader: map[string]string{"Access-Control-Allow-Origin": "https://www.example.com"}},
	}
	shapes := map[string]func(httpCase) any{"rest v1": v1Of, "http api v2": v2Of, "function url": urlOf}
	for _, tt := range tests {
		for shape, build := range shapes {
			t.Run(tt.name+"/"+shape, func(t *testing.T) {
				s := newStack(t)
				got := viaLambda(t, s.lambda, build(tt.c))
				if got.Status != tt.wantStatus {
					t.Fatalf("status = %d %s, want %d", got.Status, got.Body, tt.wantStatus)
				}
				for k, v := range tt.wantHeader {
					if got.Header[k] != v {
						t.Errorf("%s = %q, want %q", k, got.Header[k], v)
					}
				}
				if n := len(s.fake.Contacts()); n != tt.wantContacts {
					t.Errorf("%d contacts, want %d", n, tt.wantContacts)
				}
			})
		}
	}
}

// TestHTTPInvalidBase64IsBadRequest: the router answers an unreadable
// body 400, naming the body.
func TestHTTPInvalidBase64IsBadRequest(t *testing.T) {
	s := newStack(t)
	got := viaLambda(t, s.lambda, json.RawMessage(v2Request("POST", "/hooks/contact-form", "", "%%%not-base64", true)))
	var body handlers.ErrorBody
	if err := json.Unmarshal([]byte(got.Body), &body); err != nil || got.Status != 400 || body.Field != "body" {
		t.Fatalf("answer %d %s, want 400 naming the body", got.Status, got.Body)
	}
}

// TestHTTPPaths: a named stage's prefix is taken off an HTTP API path,
// a percent-encoded raw path is decoded, and a REST event without a path
// uses its request context's.
func TestHTTPPaths(t *testing.T) {
	staged := v2Of(httpCase{method: http.MethodPost, path: "/prod/hooks/website"}).(events.APIGatewayV2HTTPRequest)
	staged.RequestContext.Stage = "prod"
	defaultStage := v2Of(httpCase{method: http.MethodPost, path: "/prod/hooks/website"}).(events.APIGatewayV2HTTPRequest)
	noPath := v1Of(httpCase{method: http.MethodPost}).(events.APIGatewayProxyRequest)
	noPath.RequestContext.Path = "/hooks/website"
	tests := []struct {
		name string
		ev   any
		want string
	}{
		{name: "named stage", ev: staged, want: "/hooks/website"},
		{name: "default stage keeps the path", ev: defaultStage, want: "/prod/hooks/website"},
		{name: "encoded raw path", ev: v2Of(httpCase{method: http.MethodPost, path: "/hooks/contact%2Dform"}), want: "/hooks/contact-form"},
		{name: "rest event without path", ev: noPath, want: "/hooks/website"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			viaLambda(t, newHandler(t, lambda.Config{Core: &fakeCore{}, HTTP: recorder(&got)}), tt.ev)
			if got.path != tt.want {
				t.Fatalf("path = %q, want %q", got.path, tt.want)
			}
		})
	}
}

// TestHTTPBrowserRateLimitPerSourceIP: a browser source's per-IP limit
// counts the source IP API Gateway saw, not an X-Forwarded-For the
// client wrote.
func TestHTTPBrowserRateLimitPerSourceIP(t *testing.T) {
	s := newStack(t)
	post := func(ip, forwarded string) string {
		ev := v2Of(httpCase{method: http.MethodPost, path: "/hooks/page-form", body: "email=a%40b.example", header: navigate}).(events.APIGatewayV2HTTPRequest)
		ev.RequestContext.HTTP.SourceIP = ip
		ev.Headers["x-forwarded-for"] = forwarded
		return viaLambda(t, s.lambda, ev).Header["Location"]
	}
	var got []string
	for i := range 3 {
		got = append(got, post("198.51.100.7", fmt.Sprintf("203.0.113.%d", i)))
	}
	got = append(got, post("198.51.100.8", "198.51.100.7"))
	thanks, oops := "https://www.example.com/thanks", "https://www.example.com/oops?error=rate_limited"
	if want := []string{thanks, thanks, oops, thanks}; !reflect.DeepEqual(got, want) {
		t.Fatalf("redirects %v, want %v (two per source IP a minute)", got, want)
	}
}

// TestHTTPReplayedDeliveryAnsweredAsReplay: the second delivery of one id
// is the router's replay.
func TestHTTPReplayedDeliveryAnsweredAsReplay(t *testing.T) {
	s := newStack(t)
	lead := `{"email":"ada@analytical.example","name":"Ada"}`
	c := httpCase{method: http.MethodPost, path: "/hooks/website", body: lead, header: signed(lead, "r-1")}
	first, second := viaLambda(t, s.lambda, v2Of(c)), viaLambda(t, s.lambda, v2Of(c))
	if first.Status != 200 || second.Status != 200 || second.Header[handlers.ReplayHeader] != "true" || first.Body != second.Body {
		t.Fatalf("answers %+v then %+v, want the same 200, the second marked a replay", first, second)
	}
}

// headersAnswer writes repeated Set-Cookie, Retry-After and a JSON error.
var headersAnswer = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Retry-After", "7")
	w.Header().Add("Set-Cookie", "a=1")
	w.Header().Add("Set-Cookie", "b=2")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"error":"deskera unavailable"}`))
})

func TestHTTPResponseShapes(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		check   func(t *testing.T, r httpResponse)
	}{
		{name: "rest v1 multi-value headers", fixture: "apigw-v1-request.json", check: func(t *testing.T, r httpResponse) {
			if got := r.MultiValueHeaders["Set-Cookie"]; !reflect.DeepEqual(got, []string{"a=1", "b=2"}) {
				t.Errorf("Set-Cookie = %v", got)
			}
			if got := r.MultiValueHeaders["Retry-After"]; !reflect.DeepEqual(got, []string{"7"}) {
				t.Errorf("Retry-After = %v", got)
			}
		}},
		{name: "http api v2 cookies apart", fixture: "apigw-v2-request.json", check: func(t *testing.T, r httpResponse) {
			if !reflect.DeepEqual(r.Cookies, []string{"a=1", "b=2"}) || r.Headers["Set-Cookie"] != "" || r.Headers["Retry-After"] != "7" {
				t.Errorf("cookies %v headers %v", r.Cookies, r.Headers)
			}
		}},
		{name: "function url cookies apart", fixture: "lambda-url-request.json", check: func(t *testing.T, r httpResponse) {
			if !reflect.DeepEqual(r.Cookies, []string{"a=1", "b=2"}) || r.Headers["Retry-After"] != "7" {
				t.Errorf("cookies %v headers %v", r.Cookies, r.Headers)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, lambda.Config{Core: &fakeCore{}, HTTP: headersAnswer})
			var r httpResponse
			mustInvoke(t, h.Invoke, fixture(t, tt.fixture), &r)
			if r.StatusCode != http.StatusServiceUnavailable || r.Body != `{"error":"deskera unavailable"}` || r.IsBase64Encoded {
				t.Errorf("response = %d %s base64=%v", r.StatusCode, r.Body, r.IsBase64Encoded)
			}
			tt.check(t, r)
		})
	}
}

func TestHTTPBinaryResponseIsBase64(t *testing.T) {
	raw := []byte{0xff, 0x00, 0xfe}
	h := newHandler(t, lambda.Config{Core: &fakeCore{}, HTTP: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(raw)
	})})
	var r httpResponse
	mustInvoke(t, h.Invoke, fixture(t, "apigw-v2-request.json"), &r)
	got, err := base64.StdEncoding.DecodeString(r.Body)
	if !r.IsBase64Encoded || err != nil || string(got) != string(raw) {
		t.Fatalf("body %q base64=%v, want base64 of %x", r.Body, r.IsBase64Encoded, raw)
	}
}

// TestHTTPAnswerOverLambdaLimit: an answer Lambda could not return
// (written in one piece, or escaped past the limit) is a 500 saying why.
func TestHTTPAnswerOverLambdaLimit(t *testing.T) {
	for name, body := range map[string]string{
		"written past the limit": strings.Repeat("x", lambda.MaxResponseBytes+1),
		"escaped past the limit": strings.Repeat("<", lambda.MaxResponseBytes/2),
		"binary past the limit":  strings.Repeat("\xff", lambda.MaxResponseBytes*4/5),
	} {
		t.Run(name, func(t *testing.T) {
			h := newHandler(t, lambda.Config{Core: &fakeCore{}, HTTP: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Request-Id", "abc")
				_, _ = io.WriteString(w, body)
			})})
			raw, err := invoke(t, h.Invoke, fixture(t, "apigw-v2-request.json"))
			if err != nil {
				t.Fatal(err)
			}
			var r httpResponse
			if err := json.Unmarshal(raw, &r); err != nil || len(raw) > lambda.MaxResponseBytes {
				t.Fatalf("%d bytes (%v), want a response within the limit", len(raw), err)
			}
			if r.StatusCode != 500 || !strings.Contains(r.Body, "lambda response limit") || r.Headers["X-Request-Id"] != "abc" {
				t.Fatalf("answer %d %s %v, want 500 naming the limit, with the request id", r.StatusCode, r.Body, r.Headers)
			}
		})
	}
}

func TestHTTPWithoutHandlerIsAnError(t *testing.T) {
	h := newHandler(t, lambda.Config{Core: &fakeCore{}})
	if _, err := invoke(t, h.Invoke, fixture(t, "apigw-v2-request.json")); err == nil {
		t.Fatal("invoke succeeded, want an error")
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := lambda.New(lambda.Config{}); err == nil {
		t.Fatal("New without a core succeeded, want an error")
	}
}

func TestInvokeUnrecognisedIsAnError(t *testing.T) {
	h := newHandler(t, lambda.Config{Core: &fakeCore{}})
	if _, err := invoke(t, h.Invoke, []byte(`{"hello":"world"}`)); err == nil {
		t.Fatal("invoke succeeded, want an error")
	}
}
