package lambda_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/lambda"
	"github.com/leadhook/leadhook/handlers/webhook"
)

func newHandler(t *testing.T, cfg lambda.Config) *lambda.Handler {
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

func TestHTTPTriggersBuildRequest(t *testing.T) {
	at := time.UnixMilli(1764194400000).UTC()
	tests := []struct {
		name       string
		fixture    string
		wantSource string
		wantPath   string
		wantBody   string
		wantHeader map[string]string
		wantQuery  url.Values
		wantIP     string
	}{
		{
			name: "rest v1", fixture: "apigw-v1-request.json", wantSource: "website", wantPath: "/hooks/website",
			wantBody:   `{"email":"Ada.Lovelace@Analytical.example","name":"Ada Lovelace","company":"Analytical Engines Ltd","budget":"25000"}`,
			wantHeader: map[string]string{"Content-Type": "application/json", "User-Agent": "leadhook-fixture/1.0"},
			wantQuery:  url.Values{"utm_source": {"newsletter"}}, wantIP: "198.51.100.23",
		},
		{
			name: "http api v2", fixture: "apigw-v2-request.json", wantSource: "website", wantPath: "/hooks/website",
			wantBody:   `{"email":"grace@navy.example","name":"Grace Hopper","company":"COBOL Inc","budget":"50000"}`,
			wantHeader: map[string]string{"Content-Type": "application/json", "Cookie": "session=abc123; theme=dark"},
			wantQuery:  url.Values{"utm_source": {"ads", "retarget"}, "ref": {"lp2"}}, wantIP: "203.0.113.9",
		},
		{
			name: "http api v2 base64 body", fixture: "apigw-v2-base64-request.json", wantSource: "website", wantPath: "/hooks/website",
			wantBody:   `{"email":"grace@navy.example","name":"Grace Hopper","company":"COBOL Inc","budget":"50000"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
			wantQuery:  url.Values{}, wantIP: "203.0.113.9",
		},
		{
			name: "function url base64 form", fixture: "lambda-url-request.json", wantSource: "contact-form", wantPath: "/hooks/contact-form",
			wantBody:   `email=linus%40kernel.example&name=Linus+T&company=Penguin+Co&budget=1200`,
			wantHeader: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			wantQuery:  url.Values{}, wantIP: "192.0.2.44",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := &fakeCore{}
			h := newHandler(t, lambda.Config{Core: core})
			var resp httpResponse
			mustInvoke(t, h.Invoke, fixture(t, tt.fixture), &resp)
			if resp.StatusCode != http.StatusOK || resp.Body != `{"ok":true}` {
				t.Errorf("response = %d %q, want 200 {\"ok\":true}", resp.StatusCode, resp.Body)
			}
			calls := core.recorded()
			if len(calls) != 1 {
				t.Fatalf("core called %d times, want 1", len(calls))
			}
			c := calls[0]
			if c.Source != tt.wantSource || c.Req.Path != tt.wantPath || c.Req.Method != http.MethodPost || c.DryRun {
				t.Errorf("call = %q %s %s dry=%v, want %q POST %s", c.Source, c.Req.Method, c.Req.Path, c.DryRun, tt.wantSource, tt.wantPath)
			}
			if string(c.Req.Body) != tt.wantBody {
				t.Errorf("body = %q, want %q", c.Req.Body, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if got := c.Req.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if !reflect.DeepEqual(c.Req.Query, tt.wantQuery) {
				t.Errorf("query = %v, want %v", c.Req.Query, tt.wantQuery)
			}
			if c.Req.RemoteIP != tt.wantIP || !c.Req.ReceivedAt.Equal(at) {
				t.Errorf("remote %q at %v, want %q at %v", c.Req.RemoteIP, c.Req.ReceivedAt, tt.wantIP, at)
			}
		})
	}
}

// v2Event builds a minimal HTTP API v2 POST event.
func v2Event(path, body string, isBase64 bool) []byte {
	return v2Request("POST", path, "", body, isBase64)
}

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

func TestHTTPTriggersAdapterAnswers(t *testing.T) {
	tests := []struct {
		name       string
		maxBody    int64
		payload    []byte
		wantStatus int
		wantCalls  int
		wantField  string
		wantDryRun bool
	}{
		{name: "dry run flag passed to the core", payload: v2Request("POST", "/hooks/website", "dry_run=1", `{}`, false), wantStatus: 200, wantCalls: 1, wantDryRun: true},
		{name: "dry run flag off", payload: v2Request("POST", "/hooks/website", "dry_run=0", `{}`, false), wantStatus: 200, wantCalls: 1},
		{name: "healthz", payload: v2Request("GET", "/healthz", "", "", false), wantStatus: 200},
		{name: "get on a hook is 405", payload: v2Request("GET", "/hooks/website", "", "", false), wantStatus: 405},
		{name: "stage prefix in path", payload: v2Event("/prod/hooks/website/", `{}`, false), wantStatus: 200, wantCalls: 1},
		{name: "invalid base64 body", payload: v2Event("/hooks/website", "%%%not-base64", true), wantStatus: 400, wantField: "body"},
		{name: "path without source", payload: v2Event("/leads", `{}`, false), wantStatus: 404},
		{name: "body over limit after decoding", maxBody: 4, payload: v2Event("/hooks/website", base64.StdEncoding.EncodeToString([]byte("12345")), true), wantStatus: 413, wantField: "body"},
		{name: "body at limit", maxBody: 5, payload: v2Event("/hooks/website", base64.StdEncoding.EncodeToString([]byte("12345")), true), wantStatus: 200, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := &fakeCore{}
			h := newHandler(t, lambda.Config{Core: core, MaxBody: tt.maxBody})
			var resp httpResponse
			mustInvoke(t, h.Invoke, tt.payload, &resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if id := resp.Headers["X-Request-Id"]; len(id) != 32 {
				t.Errorf("X-Request-Id = %q, want a new 32-hex-digit id on every answer", id)
			}
			calls := core.recorded()
			if len(calls) != tt.wantCalls {
				t.Fatalf("core called %d times, want %d", len(calls), tt.wantCalls)
			}
			if len(calls) == 1 && calls[0].DryRun != tt.wantDryRun {
				t.Errorf("dry run = %v, want %v", calls[0].DryRun, tt.wantDryRun)
			}
			if tt.wantStatus >= 400 {
				var body map[string]string
				if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body["error"] == "" || body["field"] != tt.wantField {
					t.Errorf("error body = %s (%v), want an error naming field %q", resp.Body, err, tt.wantField)
				}
			}
		})
	}
}

func TestHTTPResponseShapes(t *testing.T) {
	answer := func(string, *webhook.Request) handlers.Response {
		h := http.Header{}
		h.Set("Retry-After", "7")
		h.Add("Set-Cookie", "a=1")
		h.Add("Set-Cookie", "b=2")
		return handlers.Response{Status: http.StatusServiceUnavailable, Header: h, Body: map[string]string{"error": "deskera unavailable <retry>"}}
	}
	const wantBody = `{"error":"deskera unavailable \u003cretry\u003e"}`
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
			h := newHandler(t, lambda.Config{Core: &fakeCore{answer: answer}})
			var r httpResponse
			mustInvoke(t, h.Invoke, fixture(t, tt.fixture), &r)
			if r.StatusCode != http.StatusServiceUnavailable || r.Body != wantBody || r.IsBase64Encoded {
				t.Errorf("response = %d %s base64=%v, want 503 %s", r.StatusCode, r.Body, r.IsBase64Encoded, wantBody)
			}
			ct := r.Headers["Content-Type"]
			if ct == "" && len(r.MultiValueHeaders["Content-Type"]) > 0 {
				ct = r.MultiValueHeaders["Content-Type"][0]
			}
			if ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			tt.check(t, r)
		})
	}
}

func TestHTTPBinaryResponseIsBase64(t *testing.T) {
	raw := []byte{0xff, 0x00, 0xfe}
	core := &fakeCore{answer: func(string, *webhook.Request) handlers.Response {
		return handlers.Response{Status: 200, Header: http.Header{"Content-Type": {"application/octet-stream"}}, Body: raw}
	}}
	h := newHandler(t, lambda.Config{Core: core})
	var r httpResponse
	mustInvoke(t, h.Invoke, fixture(t, "apigw-v2-request.json"), &r)
	got, err := base64.StdEncoding.DecodeString(r.Body)
	if !r.IsBase64Encoded || err != nil || string(got) != string(raw) {
		t.Fatalf("body %q base64=%v, want base64 of %x", r.Body, r.IsBase64Encoded, raw)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  lambda.Config
	}{
		{name: "nil core", cfg: lambda.Config{}},
		{name: "negative max body", cfg: lambda.Config{Core: &fakeCore{}, MaxBody: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := lambda.New(tt.cfg); err == nil {
				t.Fatal("New succeeded, want an error")
			}
		})
	}
}

func TestInvokeUnrecognisedIsAnError(t *testing.T) {
	h := newHandler(t, lambda.Config{Core: &fakeCore{}})
	if _, err := invoke(t, h.Invoke, []byte(`{"hello":"world"}`)); err == nil {
		t.Fatal("invoke succeeded, want an error")
	}
}
