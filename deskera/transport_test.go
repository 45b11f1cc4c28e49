package deskera_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// TestConcurrentCallsReuseConnections: without WithHTTPClient the client
// keeps enough idle connections for concurrent callers, so waves of
// concurrent calls reuse connections instead of opening new ones.
func TestConcurrentCallsReuseConnections(t *testing.T) {
	const concurrency, waves = 16, 5
	tests := []struct {
		name string
		opts []deskera.Option
	}{
		{"DefaultTransport", nil},
		{"HTTPClientWithoutTransport", []deskera.Option{deskera.WithHTTPClient(&http.Client{})}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var conns atomic.Int64
			srv := httptest.NewUnstartedServer(deskeratest.New())
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()
			opts := append([]deskera.Option{deskera.WithBaseURL(srv.URL), deskera.WithAccessToken(deskeratest.DefaultToken),
				deskera.WithRateLimit(0, 0)}, tc.opts...)
			c, err := deskera.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			for range waves {
				var wg sync.WaitGroup
				for range concurrency {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := c.ListLabels(context.Background()); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
			}
			if got := conns.Load(); got > concurrency {
				t.Errorf("%d connections for %d waves of %d concurrent calls, want at most %d", got, waves, concurrency, concurrency)
			}
		})
	}
}
