package deskeratest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
)

// ErrDropped is the error Transport returns for a dropped request: the
// request was read (and possibly applied) but never answered.
var ErrDropped = fmt.Errorf("deskeratest: connection dropped after the request was sent: %w", io.ErrUnexpectedEOF)

// Server is a Fake served by an httptest.Server on 127.0.0.1.
type Server struct {
	*Fake
	URL string
	srv *httptest.Server
}

// NewServer starts a Fake on a local port; it closes when tb's test ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	f := New(opts...)
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	return &Server{Fake: f, URL: srv.URL, srv: srv}
}

// HTTPClient returns an *http.Client that talks to the server.
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// Client returns a deskera.Client for the server, authenticated with
// DefaultToken, without rate limiting and with millisecond backoff so fault
// tests run fast. opts are applied last and may override any of these. It
// panics if the options are invalid (test-only setup).
func (s *Server) Client(opts ...deskera.Option) *deskera.Client {
	base := []deskera.Option{
		deskera.WithBaseURL(s.URL),
		deskera.WithAccessToken(DefaultToken),
		deskera.WithHTTPClient(s.srv.Client()),
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
	sreq := req.Clone(req.Context())
	sreq.Body = io.NopCloser(bytes.NewReader(body))
	sreq.RequestURI = req.URL.RequestURI()
	rec := httptest.NewRecorder()
	if t.f.serve(rec, sreq) {
		if err := req.Context().Err(); err != nil {
			return nil, err
		}
		return nil, ErrDropped
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
