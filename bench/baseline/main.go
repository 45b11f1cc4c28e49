package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	secret := flag.String("hmac", "", "verify X-Signature (sha256=<hex HMAC-SHA256 of the body>) with this secret (Gin + HMAC)")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	srv := &http.Server{Addr: *addr, Handler: newRouter(*secret), ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "baseline: %v\n", err)
		os.Exit(1)
	}
}

// maxBody matches leadhook's default LEADHOOK_MAX_BODY.
const maxBody = 1 << 20

// newRouter serves the hook; a non-empty secret makes it verify the
// body's HMAC-SHA256 first (the Gin + HMAC row).
func newRouter(secret string) *gin.Engine {
	r := gin.New()
	r.POST("/hooks/:source", func(c *gin.Context) { hook(c, []byte(secret)) })
	r.GET("/readyz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ready"}) })
	r.GET("/debug/allocs", allocs)
	return r
}

// hook reads and parses the body like leadhook's JSON parser does and
// answers a small JSON document.
func hook(c *gin.Context, secret []byte) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
		return
	}
	if len(secret) > 0 && !signed(secret, body, c.GetHeader("X-Signature")) {
		c.JSON(http.StatusUnauthorized, gin.H{"error": "bad signature"})
		return
	}
	var lead map[string]any
	if err := json.Unmarshal(body, &lead); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "malformed JSON"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "source": c.Param("source"), "fields": len(lead)})
}

func signed(secret, body []byte, sig string) bool {
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// allocs answers the process's cumulative heap allocations (objects and
// bytes), as leadhook's /debug/allocs does, for allocations per request.
func allocs(c *gin.Context) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	c.JSON(http.StatusOK, gin.H{"objects": s[0].Value.Uint64(), "bytes": s[1].Value.Uint64()})
}
