// Command crmstub is the neutral CRM stub of the load benchmark: a small
// process answering the Deskera calls a new lead costs, as Deskera's API
// documents them (GET /v1/crm/contacts?email= search, POST
// /v1/crm/contacts create, PATCH /v1/crm/contacts/{id}, the label list
// and create), with contacts kept in a map by email, so a search costs
// O(1) however many contacts a run creates (the in-process fake,
// deskeratest, scans every contact). Any x-access-token is accepted.
// GET /_stats answers the calls served per operation; GET /readyz 200.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	flag.Parse()
	srv := &http.Server{Addr: *addr, Handler: newStub(), ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "crmstub: %v\n", err)
		os.Exit(1)
	}
}
