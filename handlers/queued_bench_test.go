package handlers_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/queue"
	"github.com/leadhook/leadhook/handlers/queue/queuetest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// queuedBenchRules is one HMAC-signed JSON source, queued.
const queuedBenchRules = `sources:
  website:
    format: json
    delivery: queued
    auth: {type: hmac-sha256, header: X-Signature, prefix: sha256=, secret: ` + benchSecret + `}
rules:
  - name: capture
    when: 'email_valid(event.email)'
    actions:
      - upsert_contact: {match_on: email, set: {email: lower(event.email)}}
`

// BenchmarkQueuedIntake is issue 18's intake goal, over HTTP with 8
// concurrent clients on the same machine: gin-hmac is a bare Gin handler
// that reads the body, checks its HMAC-SHA256 and answers 202; queued is
// leadhook's router on a queued source (verify, parse, commit the job and
// its "queued" history record to leadhook.db in one group-committed
// transaction, answer 202), with no workers running; queued-sqlite-fsync
// syncs each commit (synchronous=FULL). Each reports p99 of
// the answer latency; compare ns/op as a ratio of gin-hmac's in one run.
func BenchmarkQueuedIntake(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	bare := gin.New()
	bare.POST("/hooks/website", func(c *gin.Context) {
		body, _ := io.ReadAll(c.Request.Body)
		m := hmac.New(sha256.New, []byte(benchSecret))
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(c.GetHeader("X-Signature"))) {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"status": "queued"})
	})
	bareSrv := httptest.NewServer(bare)
	defer bareSrv.Close()
	b.Run("gin-hmac", func(b *testing.B) { benchIntake(b, bareSrv) })
	b.Run("queued-sqlite", func(b *testing.B) {
		benchIntake(b, queuedServer(b, queue.Options{DataDir: b.TempDir()}))
	})
	b.Run("queued-sqlite-fsync", func(b *testing.B) { // LEADHOOK_STORE_FSYNC=1
		benchIntake(b, queuedServer(b, queue.Options{DataDir: b.TempDir(), Fsync: true}))
	})
}

// queuedServer is leadhook's router on queuedBenchRules with the queue of
// opts and the history on the queue's handle, as leadhook serve wires it.
func queuedServer(b *testing.B, opts queue.Options) *httptest.Server {
	b.Helper()
	set, err := rules.Load("queued.yaml", []byte(queuedBenchRules))
	if err != nil {
		b.Fatal(err)
	}
	log := handlers.NewLogger(io.Discard, slog.LevelInfo)
	eng, err := engine.NewEngine(deskeratest.NewServer(b).Client(), engine.WithLogger(log))
	if err != nil {
		b.Fatal(err)
	}
	opts.Logger = log
	q, err := queue.Open(b.Context(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(q.Close)
	hist, err := q.History(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	metrics := handlers.NewMetrics()
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: eng, Metrics: metrics, Logger: log, Queue: q, History: hist})
	if err != nil {
		b.Fatal(err)
	}
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: svc, Metrics: metrics, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(router)
	b.Cleanup(srv.Close)
	return srv
}

var intakeSeq atomic.Int64

// benchIntake posts signed leads with queuetest.PostParallel.
func benchIntake(b *testing.B, srv *httptest.Server) {
	queuetest.PostParallel(b, srv.Client(), http.StatusAccepted, func() *http.Request {
		i := intakeSeq.Add(1)
		body := benchLead(fmt.Sprintf("intake%d@acme.io", i))
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/website", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature", "sha256="+hexHMAC(benchSecret, string(body)))
		req.Header.Set("Idempotency-Key", fmt.Sprintf("intake-%d", i))
		return req
	})
}
