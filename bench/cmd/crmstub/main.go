// Command crmstub serves the neutral CRM stub of the load benchmark
// (package bench/crmstub) as a process of its own, so that its CPU is
// not leadhook's: see that package for what it answers.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/leadhook/leadhook/bench/crmstub"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	flag.Parse()
	srv := &http.Server{Addr: *addr, Handler: crmstub.New(), ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "crmstub: %v\n", err)
		os.Exit(1)
	}
}
