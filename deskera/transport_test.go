package deskera_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// TestConcurrentCallsReuseConnections: without WithHTTPClient the client
// keeps enough idle connections for concurrent callers, so a wave of
// concurrent calls can hand every connection back to the pool instead of
// closing it.
//
// Nothing here depends on timing. A barrier holds every request of a wave in
// the server until all have arrived, so each wave really holds `concurrency`
// connections at once, and httptrace's PutIdleConn reports each connection
// the transport refused to keep idle (errTooManyIdleHost with the stock
// limit of 2: the first wave alone returns 16). The test does not count
// dials or reused connections: net/http may dial while a connection is still
// going idle, which made such counts flaky under load. Instead it runs only
// as many calls in all as the pool holds (MaxIdleConnsPerHost): each call
// dials at most once, so however the calls and the idle hand-backs
// interleave, a pool of that size never has to refuse a connection, and a
// pool too small for one wave always does.
func TestConcurrentCallsReuseConnections(t *testing.T) {
	const concurrency = 16
	const waves = deskera.MaxIdleConnsPerHost / concurrency
	tests := []struct {
		name string
		opts []deskera.Option
	}{
		{"DefaultTransport", nil},
		{"HTTPClientWithoutTransport", []deskera.Option{deskera.WithHTTPClient(&http.Client{})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gate := newBarrier(concurrency)
			fake := deskeratest.New()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gate.wait()
				fake.ServeHTTP(w, r)
			}))
			defer srv.Close()
			opts := append([]deskera.Option{deskera.WithBaseURL(srv.URL), deskera.WithAccessToken(deskeratest.DefaultToken),
				deskera.WithRateLimit(0, 0)}, tc.opts...)
			c, err := deskera.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var kept, refused int
			trace := &httptrace.ClientTrace{PutIdleConn: func(err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					refused++
					return
				}
				kept++
			}}
			ctx := httptrace.WithClientTrace(context.Background(), trace)
			for range waves {
				var wg sync.WaitGroup
				for range concurrency {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := c.ListLabels(ctx); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
			}
			mu.Lock()
			defer mu.Unlock()
			if refused > 0 {
				t.Errorf("the transport closed %d connections instead of keeping them idle (kept %d) for waves of %d concurrent calls", refused, kept, concurrency)
			}
			if kept == 0 {
				t.Error("no connection was handed back to the idle pool")
			}
		})
	}
}

// barrier releases requests in groups of n: each wait returns once n
// callers of its group have arrived.
type barrier struct {
	mu      sync.Mutex
	n, seen int
	release chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, release: make(chan struct{})} }

func (b *barrier) wait() {
	b.mu.Lock()
	ch := b.release
	b.seen++
	if b.seen == b.n {
		close(ch)
		b.seen, b.release = 0, make(chan struct{})
	}
	b.mu.Unlock()
	<-ch
}

// TestClientWithJarOrTimeoutGoesThroughIt: calls skip http.Client only
// when it would add nothing; a client given a cookie jar or a timeout
// still applies them (the jar's cookie reaches the second call, the
// timeout ends a reply that never comes).
func TestClientWithJarOrTimeoutGoesThroughIt(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("email") == "slow@b.co" {
			<-release
		}
		if _, err := r.Cookie("session"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"data":[],"paginationInfo":{"page":1,"totalRecords":0}}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"id":7,"email":"a@b.co"}],"paginationInfo":{"page":1,"totalRecords":1}}`))
	}))
	defer srv.Close()
	defer close(release)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := deskera.NewClient(deskera.WithBaseURL(srv.URL), deskera.WithAccessToken("t"), deskera.WithRateLimit(0, 0),
		deskera.WithHTTPClient(&http.Client{Jar: jar}))
	if err != nil {
		t.Fatal(err)
	}
	opts := &deskera.ListContactsOptions{Email: "a@b.co", Limit: 10}
	if l, err := c.ListContacts(ctx, opts); err != nil || len(l.Data) != 0 {
		t.Fatalf("first call: %v, %v", l, err)
	}
	if l, err := c.ListContacts(ctx, opts); err != nil || len(l.Data) != 1 || l.Data[0].ID != 7 {
		t.Fatalf("second call did not carry the jar's cookie: %v, %v", l, err)
	}

	c, err = deskera.NewClient(deskera.WithBaseURL(srv.URL), deskera.WithAccessToken("t"), deskera.WithRateLimit(0, 0),
		deskera.WithRetry(1, time.Minute), deskera.WithHTTPClient(&http.Client{Timeout: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListContacts(ctx, &deskera.ListContactsOptions{Email: "slow@b.co", Limit: 10})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("the client's timeout did not end the call: %v", err)
	}
}

// lengthTransport answers every request with body, announcing length.
type lengthTransport struct {
	body   string
	length int64
}

func (l lengthTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(l.body)), ContentLength: l.length, Request: r}, nil
}

// TestReplyLengths: a reply is read whole whatever its announced length
// (-1 unknown; 0 as a hand-built Response leaves it), and one shorter than
// announced is an error, not a cut-off contact.
func TestReplyLengths(t *testing.T) {
	const body = `{"data":[{"id":7}],"paginationInfo":{"page":1,"totalRecords":1}}`
	for _, tc := range []struct {
		name   string
		length int64
		ok     bool
	}{
		{"Announced", int64(len(body)), true},
		{"Unknown", -1, true},
		{"Unset", 0, true},
		{"ShorterThanAnnounced", int64(len(body)) + 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := deskera.NewClient(deskera.WithAccessToken("t"), deskera.WithRateLimit(0, 0), deskera.WithRetry(1, time.Second),
				deskera.WithHTTPClient(&http.Client{Transport: lengthTransport{body, tc.length}}))
			if err != nil {
				t.Fatal(err)
			}
			l, err := c.ListContacts(context.Background(), &deskera.ListContactsOptions{Email: "a@b.co", Limit: 10})
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && (len(l.Data) != 1 || l.Data[0].ID != 7) {
				t.Fatalf("reply decoded as %+v", l)
			}
			if !tc.ok && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("err = %v, want an unexpected EOF", err)
			}
		})
	}
}
