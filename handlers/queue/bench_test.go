package queue_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/queue"
	"github.com/leadhook/leadhook/handlers/queue/queuetest"
	"github.com/leadhook/leadhook/internal/pgtest"
)

// BenchmarkIntake: a queued browser-form lead answered 202 after it is
// committed to the embedded store, beside a bare Gin handler that reads
// the same body and answers 202, in the same run with the same client.
// Reports p99 of the answer latency.
func BenchmarkIntake(b *testing.B) {
	bare := gin.New()
	bare.POST("/hooks/form", func(c *gin.Context) {
		_, _ = io.ReadAll(c.Request.Body)
		c.JSON(http.StatusAccepted, gin.H{"status": "queued"})
	})
	bareSrv := httptest.NewServer(bare)
	defer bareSrv.Close()
	b.Run("gin-bare", func(b *testing.B) { benchPost(b, bareSrv) })
	b.Run("queued-sqlite", func(b *testing.B) {
		r := newRig(b, "testdata/queued.yaml", queue.Options{DataDir: b.TempDir()})
		benchPost(b, r.srv)
	})
	b.Run("queued-postgres", func(b *testing.B) {
		r := newRig(b, "testdata/queued.yaml", queue.Options{URL: pgtest.SchemaURL(b)})
		benchPost(b, r.srv)
	})
}

var benchSeq atomic.Int64

func benchPost(b *testing.B, srv *httptest.Server) {
	queuetest.PostParallel(b, srv.Client(), http.StatusAccepted, func() *http.Request {
		i := benchSeq.Add(1)
		form := url.Values{"name": {"Bench Lead"}, "email": {fmt.Sprintf("bench%d@acme.io", i)}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/form", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
		return req
	})
}

// BenchmarkProcessing: the workers' rate on queued leads against the
// fake Deskera over HTTP (each lead: a search and a create), 10 workers.
func BenchmarkProcessing(b *testing.B) {
	r := newRig(b, "testdata/queued.yaml", queue.Options{DataDir: b.TempDir()})
	for i := range b.N {
		d := &handlers.QueuedDelivery{
			Source: "form", DeliveryID: fmt.Sprintf("p-%d", i), Method: http.MethodPost, Path: "/hooks/form",
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body:   []byte(url.Values{"name": {"Lead"}, "email": {fmt.Sprintf("proc%d@acme.io", i)}}.Encode()),
		}
		if _, err := r.q.Enqueue(b.Context(), d); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	if err := r.q.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	for {
		s, err := r.q.Stats(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if s.Queued == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	if got := len(r.deskera.Contacts()); got != b.N {
		b.Fatalf("%d contacts, want %d", got, b.N)
	}
}
