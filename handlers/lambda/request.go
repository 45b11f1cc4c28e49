package lambda

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/handlers/webhook"
)

// hookSegment is the path segment before the source name: /hooks/{source}.
const hookSegment = "hooks"

// httpRequest is an HTTP trigger reduced to a webhook.Request and the
// source it is addressed to ("" when the path names none).
type httpRequest struct {
	source string
	req    *webhook.Request
}

// fromV1 converts an API Gateway REST (v1) proxy event. Multi-value
// headers and query parameters are preferred when present: they keep
// repeated values apart.
func fromV1(ev *events.APIGatewayProxyRequest, now time.Time) (*httpRequest, error) {
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	header := headerFrom(ev.Headers, ev.MultiValueHeaders)
	query := queryFrom(ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
	path := ev.Path
	if path == "" {
		path = ev.RequestContext.Path
	}
	req := &webhook.Request{
		Method:     strings.ToUpper(ev.HTTPMethod),
		Path:       path,
		Header:     header,
		Query:      query,
		Body:       body,
		RemoteIP:   ev.RequestContext.Identity.SourceIP,
		ReceivedAt: epochMillis(ev.RequestContext.RequestTimeEpoch, now),
	}
	return &httpRequest{source: sourceOf(ev.PathParameters, path), req: req}, nil
}

// v2Fields are the parts of HTTP API v2 and Function URL events the
// adapter uses; both triggers send the same "2.0" JSON.
type v2Fields struct {
	method, rawPath, rawQuery, body, sourceIP string
	base64                                    bool
	cookies                                   []string
	headers, queryParams, pathParams          map[string]string
	timeEpoch                                 int64
}

func v2FromAPIGateway(ev *events.APIGatewayV2HTTPRequest) v2Fields {
	return v2Fields{
		method: ev.RequestContext.HTTP.Method, rawPath: ev.RawPath, rawQuery: ev.RawQueryString,
		body: ev.Body, base64: ev.IsBase64Encoded, sourceIP: ev.RequestContext.HTTP.SourceIP,
		cookies: ev.Cookies, headers: ev.Headers, queryParams: ev.QueryStringParameters,
		pathParams: ev.PathParameters, timeEpoch: ev.RequestContext.TimeEpoch,
	}
}

func v2FromFunctionURL(ev *events.LambdaFunctionURLRequest) v2Fields {
	return v2Fields{
		method: ev.RequestContext.HTTP.Method, rawPath: ev.RawPath, rawQuery: ev.RawQueryString,
		body: ev.Body, base64: ev.IsBase64Encoded, sourceIP: ev.RequestContext.HTTP.SourceIP,
		cookies: ev.Cookies, headers: ev.Headers, queryParams: ev.QueryStringParameters,
		timeEpoch: ev.RequestContext.TimeEpoch,
	}
}

// fromV2 converts the "2.0" payload of HTTP APIs and Function URLs.
// Cookies arrive apart from the headers and are put back as one Cookie
// header; the raw query string is parsed so repeated keys stay apart.
func fromV2(f v2Fields, now time.Time) (*httpRequest, error) {
	body, err := decodeBody(f.body, f.base64)
	if err != nil {
		return nil, err
	}
	header := headerFrom(f.headers, nil)
	if len(f.cookies) > 0 && header.Get("Cookie") == "" {
		header.Set("Cookie", strings.Join(f.cookies, "; "))
	}
	query, err := url.ParseQuery(f.rawQuery)
	if err != nil || (len(query) == 0 && len(f.queryParams) > 0) {
		query = queryFrom(f.queryParams, nil)
	}
	req := &webhook.Request{
		Method:     strings.ToUpper(f.method),
		Path:       f.rawPath,
		Header:     header,
		Query:      query,
		Body:       body,
		RemoteIP:   f.sourceIP,
		ReceivedAt: epochMillis(f.timeEpoch, now),
	}
	return &httpRequest{source: sourceOf(f.pathParams, f.rawPath), req: req}, nil
}

// decodeBody returns the body bytes, base64-decoding them when the event
// says so: signatures are computed over the decoded bytes.
func decodeBody(body string, isBase64 bool) ([]byte, error) {
	if !isBase64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, &webhook.Error{Status: http.StatusBadRequest, Field: "body", Message: fmt.Sprintf("invalid base64 body: %v", err)}
	}
	return b, nil
}

// headerFrom builds canonical http.Header from single- and multi-value
// maps; multi-value entries win for the keys they carry.
func headerFrom(single map[string]string, multi map[string][]string) http.Header {
	h := make(http.Header, len(single))
	for k, v := range single {
		h.Set(k, v)
	}
	for k, vs := range multi {
		if len(vs) == 0 {
			continue
		}
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h
}

func queryFrom(single map[string]string, multi map[string][]string) url.Values {
	q := make(url.Values, len(single))
	for k, v := range single {
		q.Set(k, v)
	}
	for k, vs := range multi {
		if len(vs) > 0 {
			q[k] = append([]string(nil), vs...)
		}
	}
	return q
}

// sourceOf names the source a request is addressed to: the {source} path
// parameter when the route declares one, else the segment after the last
// "hooks" segment when it ends the path (/hooks/web, /prod/hooks/web/).
func sourceOf(pathParams map[string]string, path string) string {
	if s := pathParams["source"]; s != "" {
		return s
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	n := len(segs)
	if n >= 2 && segs[n-2] == hookSegment {
		if s, err := url.PathUnescape(segs[n-1]); err == nil {
			return s
		}
	}
	return ""
}

// epochMillis converts a request-context epoch in milliseconds; zero
// (absent) yields now.
func epochMillis(ms int64, now time.Time) time.Time {
	if ms <= 0 {
		return now
	}
	return time.UnixMilli(ms).UTC()
}
