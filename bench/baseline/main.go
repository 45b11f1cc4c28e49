package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	srv := &http.Server{Addr: *addr, Handler: newRouter(), ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "baseline: %v\n", err)
		os.Exit(1)
	}
}

// maxBody matches leadhook's default LEADHOOK_MAX_BODY.
const maxBody = 1 << 20

func newRouter() *gin.Engine {
	r := gin.New()
	r.POST("/hooks/:source", hook)
	r.GET("/readyz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ready"}) })
	return r
}

// hook reads and parses the body like leadhook's JSON parser does and
// answers a small JSON document.
func hook(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		c.JSON(http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
		return
	}
	var lead map[string]any
	if err := json.Unmarshal(body, &lead); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "malformed JSON"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "source": c.Param("source"), "fields": len(lead)})
}
