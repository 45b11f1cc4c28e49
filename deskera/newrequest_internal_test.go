package deskera

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// newRequestCases are requests of every shape the client sends to its
// base URL.
func newRequestCases() []struct {
	name    string
	r       request
	payload []byte
} {
	body := []byte(`{"name":"Jane"}`)
	return []struct {
		name    string
		r       request
		payload []byte
	}{
		{"search", request{op: "contacts.list", method: http.MethodGet, path: contactsPath, rawQuery: "email=jane%40acme.example&limit=10"}, nil},
		{"query values", request{op: "contacts.list", method: http.MethodGet, path: contactsPath, query: url.Values{"page": {"2"}, "name": {"a b"}}}, nil},
		{"get", request{op: "contacts.get", method: http.MethodGet, path: contactPath(42)}, nil},
		{"create", request{op: "contacts.create", method: http.MethodPost, path: contactsPath}, body},
		{"update", request{op: "contacts.update", method: http.MethodPut, path: contactPath(42)}, body},
		{"empty body", request{op: "contacts.update", method: http.MethodPut, path: contactPath(42)}, []byte{}},
		{"delete", request{op: "contacts.delete", method: http.MethodDelete, path: contactPath(42)}, nil},
		{"escaped path", request{op: "labels.get", method: http.MethodGet, path: "/v1/crm/labels/a b"}, nil},
	}
}

// TestNewRequestAsNewRequestWithContext: a request newRequest builds
// itself is the one http.NewRequestWithContext builds (buildRequest), in
// every field the transport reads: method, URL, Host, protocol, body,
// GetBody, context and header (shared only when nothing is injected and
// the transport is net/http's).
func TestNewRequestAsNewRequestWithContext(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	traced := trace.ContextWithSpanContext(context.Background(), sc)
	for _, base := range []string{"http://127.0.0.1:8080", DefaultBaseURL, "https://sandbox.example/api/v1x", "http://[::1]:9000"} {
		for _, transport := range []http.RoundTripper{nil, roundTripFunc(nil)} {
			c, err := NewClient(WithBaseURL(base), WithAccessToken("tok-1"), WithHTTPClient(&http.Client{Transport: transport}))
			if err != nil {
				t.Fatal(err)
			}
			if c.base == nil {
				t.Fatalf("%s: no parsed base", base)
			}
			for _, tc := range newRequestCases() {
				for _, ctx := range []context.Context{context.Background(), traced} {
					actx, cancel := context.WithCancel(ctx)
					got, ggen, gerr := c.newRequest(ctx, actx, &tc.r, tc.payload)
					want, wgen, werr := c.buildRequest(ctx, actx, &tc.r, tc.payload)
					if gerr != nil || werr != nil {
						t.Fatalf("%s %s: %v, %v", base, tc.name, gerr, werr)
					}
					name := base + " " + tc.name
					if ggen != wgen || got.Context() != actx {
						t.Errorf("%s: generation %d (want %d), context kept %v", name, ggen, wgen, got.Context() == actx)
					}
					if got.Method != want.Method || !reflect.DeepEqual(*got.URL, *want.URL) || got.URL.String() != want.URL.String() ||
						got.Host != want.Host || got.Proto != want.Proto || got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor ||
						got.ContentLength != want.ContentLength || (got.GetBody == nil) != (want.GetBody == nil) {
						t.Errorf("%s:\n got %s %#v host %q %s %d\nwant %s %#v host %q %s %d", name,
							got.Method, *got.URL, got.Host, got.Proto, got.ContentLength, want.Method, *want.URL, want.Host, want.Proto, want.ContentLength)
					}
					if f := otherFieldDiffers(got, want); f != "" {
						t.Errorf("%s: field %s differs from NewRequestWithContext's", name, f)
					}
					if c.gzip && plainPath(tc.r.path) {
						want.Header[hdrAcceptEncoding] = gzipValue // the client asks for gzip, instead of the transport (gzip.go)
					}
					if !reflect.DeepEqual(got.Header, want.Header) {
						t.Errorf("%s: header %v, want %v", name, got.Header, want.Header)
					}
					if g, w := readBody(t, got.Body), readBody(t, want.Body); g != w {
						t.Errorf("%s: body %q, want %q", name, g, w)
					}
					if got.GetBody != nil {
						gb, _ := got.GetBody()
						wb, _ := want.GetBody()
						if g, w := readBody(t, gb), readBody(t, wb); g != w {
							t.Errorf("%s: GetBody %q, want %q", name, g, w)
						}
					}
					again, _, _ := c.newRequest(ctx, actx, &tc.r, tc.payload)
					shared := reflect.ValueOf(again.Header).UnsafePointer() == reflect.ValueOf(got.Header).UnsafePointer()
					if wantShared := transport == nil && ctx != traced && plainPath(tc.r.path); shared != wantShared {
						t.Errorf("%s: header shared %v, want %v", name, shared, wantShared)
					}
					cancel()
				}
			}
		}
	}
}

// TestNewRequestAllocations bounds what building the hot requests costs:
// the request with its URL and body reader in one allocation, the body's
// NopCloser and GetBody, and a shared header.
func TestNewRequestAllocations(t *testing.T) {
	c, err := NewClient(WithAccessToken("tok-1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range newRequestCases() {
		want := 1.0
		switch tc.name {
		case "create", "update":
			want = 3
		case "search", "get", "delete":
		default:
			continue // not a hot request
		}
		if n := testing.AllocsPerRun(200, func() { _, _, _ = c.newRequest(ctx, ctx, &tc.r, tc.payload) }); n > want {
			t.Errorf("%s: %v allocations, want at most %v", tc.name, n, want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func readBody(t *testing.T, b io.ReadCloser) string {
	t.Helper()
	if b == nil {
		return "<nil>"
	}
	defer b.Close()
	p, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// otherFieldDiffers names the first exported field of got that differs
// from want's, among those the test does not compare itself (the body
// and its reader functions, the URL, the header): a field a newer Go's
// NewRequestWithContext sets, and newRequest does not, fails here.
func otherFieldDiffers(got, want *http.Request) string {
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for _, f := range reflect.VisibleFields(gv.Type()) {
		switch {
		case !f.IsExported(), f.Type.Kind() == reflect.Func:
		case f.Name == "Body" || f.Name == "URL" || f.Name == "Header":
		default:
			if !reflect.DeepEqual(gv.FieldByIndex(f.Index).Interface(), wv.FieldByIndex(f.Index).Interface()) {
				return f.Name
			}
		}
	}
	return ""
}
