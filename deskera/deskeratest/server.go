package deskeratest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/leadhook/leadhook/deskera"
)

// ErrDropped is the error Transport returns for a dropped request: the
// request was read (and possibly applied) but never answered.
var ErrDropped = fmt.Errorf("deskeratest: connection dropped after the request was sent: %w", io.ErrUnexpectedEOF)

// TB is the part of testing.TB that NewServer uses. It is an interface of
// its own so that this package, which the service's sandbox links, does not
// import testing (as net/http/httptest does not).
type TB interface {
	Helper()
	Cleanup(func())
}

// Server is a Fake served by a net/http server on a loopback port.
type Server struct {
	*Fake
	URL    string
	srv    *http.Server
	client *http.Client
}

// NewServer starts a Fake on a local port; it closes when tb's test ends.
// Like httptest.NewServer it panics if it cannot listen (test-only setup).
func NewServer(tb TB, opts ...Option) *Server {
	tb.Helper()
	f := New(opts...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("deskeratest: listen on a loopback port: " + err.Error())
	}
	s := &Server{
		Fake:   f,
		URL:    "http://" + ln.Addr().String(),
		srv:    &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	go func() { _ = s.srv.Serve(ln) }()
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server and closes its connections.
func (s *Server) Close() {
	_ = s.srv.Close()
	s.client.CloseIdleConnections()
}

// HTTPClient returns an *http.Client that talks to the server.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Client returns a deskera.Client for the server, authenticated with
// DefaultToken, without rate limiting and with millisecond backoff so fault
// tests run fast. opts are applied last and may override any of these. It
// panics if the options are invalid (test-only setup).
func (s *Server) Client(opts ...deskera.Option) *deskera.Client {
	base := []deskera.Option{
		deskera.WithBaseURL(s.URL),
		deskera.WithAccessToken(DefaultToken),
		deskera.WithHTTPClient(s.client),
		deskera.WithRateLimit(0, 0),
		deskera.WithBackoff(time.Millisecond, 20*time.Millisecond),
	}
	c, err := deskera.NewClient(append(base, opts...)...)
	if err != nil {
		panic("deskeratest: " + err.Error())
	}
	return c
}

// Transport returns an http.RoundTripper that serves requests with f
// in-process, whatever the URL's host. Latency, faults and counters apply;
// a dropped request fails with ErrDropped.
func (f *Fake) Transport() http.RoundTripper { return transport{f} }

type transport struct{ f *Fake }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	// A shallow copy, as http.StripPrefix makes: the fake reads the
	// request's header and URL and changes neither (req.Clone copied
	// both on every call).
	sreq := new(http.Request)
	*sreq = *req
	sreq.Body = io.NopCloser(bytes.NewReader(body))
	sreq.RequestURI = req.URL.RequestURI()
	rec := &recorder{Response: http.Response{Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Request: req}}
	if t.f.serve(rec, sreq) {
		if err := req.Context().Err(); err != nil {
			return nil, err
		}
		return nil, ErrDropped
	}
	return rec.done(), nil
}

// recorder is the in-process http.ResponseWriter behind Transport: it
// fills the response the client gets.
type recorder struct {
	http.Response
	body bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.Response.Header }

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// WriteHeader keeps the first status.
func (r *recorder) WriteHeader(status int) {
	if r.StatusCode == 0 {
		r.StatusCode, r.Status = status, strconv.Itoa(status)+" "+http.StatusText(status)
	}
}

// done is the response once the handler has returned.
func (r *recorder) done() *http.Response {
	r.WriteHeader(http.StatusOK)
	if r.Response.Header.Get("Content-Type") == "" && r.body.Len() > 0 {
		r.Response.Header.Set("Content-Type", http.DetectContentType(r.body.Bytes()))
	}
	r.Body, r.ContentLength = io.NopCloser(&r.body), int64(r.body.Len())
	return &r.Response
}
