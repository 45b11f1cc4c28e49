package lambda

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// httpEvent is what the three HTTP trigger shapes (REST v1, HTTP API v2,
// Function URL) carry, reduced to one request.
type httpEvent struct {
	// path is decoded (v1) or raw, percent-encoded (v2, Function URL).
	method, path, rawQuery, host, sourceIP string
	pathEncoded                            bool
	header                                 http.Header
	body                                   string
	base64                                 bool
}

// fromV1 reads a REST API (v1) proxy event. Its path is the resource path,
// without the stage; multi-value headers and query parameters win over the
// single-value maps, so repeated values stay apart.
func fromV1(ev *events.APIGatewayProxyRequest) httpEvent {
	q := url.Values{}
	for k, v := range ev.QueryStringParameters {
		q.Set(k, v)
	}
	for k, vs := range ev.MultiValueQueryStringParameters {
		if len(vs) > 0 {
			q[k] = append([]string(nil), vs...)
		}
	}
	return httpEvent{
		method: ev.HTTPMethod, path: cmp.Or(ev.Path, ev.RequestContext.Path), rawQuery: q.Encode(), host: ev.RequestContext.DomainName,
		sourceIP: ev.RequestContext.Identity.SourceIP, header: headerFrom(ev.Headers, ev.MultiValueHeaders),
		body: ev.Body, base64: ev.IsBase64Encoded,
	}
}

// fromV2 reads an HTTP API (payload 2.0) event. A named stage prefixes
// rawPath ("/prod/hooks/web") and is taken off; repeated headers arrive
// joined with commas and are kept as one value (a signature header such
// as "t=1,v1=ab" must not be split); cookies arrive apart and become one
// Cookie header.
func fromV2(ev *events.APIGatewayV2HTTPRequest) httpEvent {
	path := cmp.Or(ev.RawPath, ev.RequestContext.HTTP.Path)
	if st := ev.RequestContext.Stage; st != "" && st != "$default" {
		if rest, ok := strings.CutPrefix(path, "/"+st); ok && (rest == "" || rest[0] == '/') {
			path = rest
		}
	}
	return httpEvent{
		method: ev.RequestContext.HTTP.Method, path: path, pathEncoded: true, rawQuery: rawQuery(ev.RawQueryString, ev.QueryStringParameters),
		host: ev.RequestContext.DomainName, sourceIP: ev.RequestContext.HTTP.SourceIP,
		header: v2Header(ev.Headers, ev.Cookies), body: ev.Body, base64: ev.IsBase64Encoded,
	}
}

// fromURL reads a Function URL event (the same "2.0" JSON, no stage).
func fromURL(ev *events.LambdaFunctionURLRequest) httpEvent {
	return httpEvent{
		method: ev.RequestContext.HTTP.Method, path: cmp.Or(ev.RawPath, ev.RequestContext.HTTP.Path), pathEncoded: true,
		rawQuery: rawQuery(ev.RawQueryString, ev.QueryStringParameters),
		host:     ev.RequestContext.DomainName, sourceIP: ev.RequestContext.HTTP.SourceIP,
		header: v2Header(ev.Headers, ev.Cookies), body: ev.Body, base64: ev.IsBase64Encoded,
	}
}

// rawQuery is the raw query string, or the parameters encoded when an
// event has only those.
func rawQuery(raw string, params map[string]string) string {
	if raw != "" || len(params) == 0 {
		return raw
	}
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	return q.Encode()
}

func v2Header(single map[string]string, cookies []string) http.Header {
	h := headerFrom(single, nil)
	if len(cookies) > 0 && h.Get("Cookie") == "" {
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	return h
}

// headerFrom builds a canonical http.Header; multi-value entries win for
// the keys they carry.
func headerFrom(single map[string]string, multi map[string][]string) http.Header {
	h := make(http.Header, len(single))
	for k, v := range single {
		h.Set(k, v)
	}
	for k, vs := range multi {
		if len(vs) > 0 {
			h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		}
	}
	return h
}

// request is the event as the *http.Request a server would have read:
// the body bytes exactly as sent (base64 decoded, as signatures are
// computed over them), the peer API Gateway or the Function URL saw as
// RemoteAddr, and ctx (the invocation's, with its deadline). A body that
// is not valid base64 fails when read, which the router answers 400 as
// for any unreadable body.
func (e *httpEvent) request(ctx context.Context) *http.Request {
	path := e.path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Path: path, RawQuery: e.rawQuery}
	if dec, err := url.PathUnescape(path); e.pathEncoded && err == nil {
		u.Path, u.RawPath = dec, path
	}
	r := &http.Request{
		Method: strings.ToUpper(e.method), URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: e.header, Host: e.host, RemoteAddr: e.sourceIP, RequestURI: u.RequestURI(),
	}
	if h := e.header.Get("Host"); h != "" {
		r.Host = h
	}
	body := []byte(e.body)
	if e.base64 {
		var err error
		if body, err = base64.StdEncoding.DecodeString(e.body); err != nil {
			r.Body, r.ContentLength = io.NopCloser(errReader{fmt.Errorf("invalid base64 body: %w", err)}), -1
			return r.WithContext(ctx)
		}
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return r.WithContext(ctx)
}

// errReader is a body whose every read fails.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
