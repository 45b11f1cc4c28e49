// Package crmstub is the neutral CRM stub of the load benchmark: it
// answers the Deskera calls a new lead costs, as Deskera's API documents
// them (GET /v1/crm/contacts?email= search, POST /v1/crm/contacts
// create, PATCH /v1/crm/contacts/{id}, the label list and create), with
// contacts kept in a map by email, so a search costs O(1) however many
// contacts a run creates (the in-process fake, deskeratest, scans every
// contact). Any x-access-token is accepted. GET /_stats answers the
// calls served per operation; GET /readyz 200. bench/cmd/crmstub serves
// it as a process; handlers' benchmarks serve it in process.
package crmstub

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stub holds the contacts by normalised email and counts the calls.
type stub struct {
	mu       sync.Mutex
	byEmail  map[string]int64
	contacts map[int64]map[string]any
	encoded  map[int64][]byte // the contact's JSON, answered by searches
	labels   []map[string]any
	nextID   int64
	calls    [nOps]atomic.Int64
}

// Operations counted by /_stats.
const (
	opList = iota
	opCreate
	opUpdate
	opLabels
	opLabelCreate
	nOps
)

var opNames = [nOps]string{"contacts.list", "contacts.create", "contacts.update", "labels.list", "labels.create"}

// New returns the stub's handler, with no contacts and Deskera's four
// seeded labels.
func New() http.Handler {
	s := &stub{byEmail: map[string]int64{}, contacts: map[int64]map[string]any{}, encoded: map[int64][]byte{}, nextID: 1000}
	for i, n := range []string{"No label", "Cold lead", "Warm lead", "Hot lead"} {
		s.labels = append(s.labels, map[string]any{"id": i + 1, "name": n})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/crm/contacts", s.op(opList, s.search))
	mux.HandleFunc("POST /v1/crm/contacts", s.op(opCreate, s.create))
	mux.HandleFunc("PATCH /v1/crm/contacts/{id}", s.op(opUpdate, s.update))
	mux.HandleFunc("GET /v1/crm/contacts/labels", s.op(opLabels, s.listLabels))
	mux.HandleFunc("POST /v1/crm/contacts/labels", s.op(opLabelCreate, s.createLabel))
	mux.HandleFunc("GET /_stats", s.stats)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return mux
}

// op counts operation n and serves it to a request with a token.
func (s *stub) op(n int, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.calls[n].Add(1)
		if r.Header.Get("x-access-token") == "" {
			writeJSON(w, http.StatusUnauthorized, []byte(`{"message":"no x-access-token"}`))
			return
		}
		h(w, r)
	}
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// search answers GET /v1/crm/contacts?email=...: the contact with that
// email (or none), in Deskera's list shape.
func (s *stub) search(w http.ResponseWriter, r *http.Request) {
	email := normEmail(r.URL.Query().Get("email"))
	s.mu.Lock()
	b := s.encoded[s.byEmail[email]]
	s.mu.Unlock()
	out := make([]byte, 0, len(b)+64)
	out = append(out, `{"data":[`...)
	n := 0
	if b != nil {
		out, n = append(out, b...), 1
	}
	out = append(out, `],"paginationInfo":{"page":1,"totalRecords":`...)
	out = strconv.AppendInt(out, int64(n), 10)
	out = append(out, "}}"...)
	writeJSON(w, http.StatusOK, out)
}

// create answers POST /v1/crm/contacts with the contact saved (the body
// with an id and timestamps).
func (s *stub) create(w http.ResponseWriter, r *http.Request) {
	c, ok := readObject(w, r)
	if !ok {
		return
	}
	email, _ := c["email"].(string)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	c["createdAt"], c["updatedAt"] = now, now
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	c["id"] = id
	s.contacts[id] = c
	b, _ := json.Marshal(c)
	s.encoded[id] = b
	if email != "" {
		s.byEmail[normEmail(email)] = id
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, b)
}

// update answers PATCH /v1/crm/contacts/{id}: the body's fields overlay
// the contact; 201 with an empty body, as Deskera answers.
func (s *stub) update(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	patch, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.contacts[id]
	if err != nil || c == nil {
		writeJSON(w, http.StatusNotFound, []byte(`{"message":"contact not found"}`))
		return
	}
	for k, v := range patch {
		c[k] = v
	}
	c["updatedAt"] = time.Now().UTC().Format(time.RFC3339Nano)
	s.encoded[id], _ = json.Marshal(c)
	w.WriteHeader(http.StatusCreated)
}

func (s *stub) listLabels(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	b, _ := json.Marshal(s.labels)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, b)
}

func (s *stub) createLabel(w http.ResponseWriter, r *http.Request) {
	l, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	id := len(s.labels) + 1
	s.labels = append(s.labels, map[string]any{"id": id, "name": l["name"]})
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, []byte(`{"id":"`+strconv.Itoa(id)+`"}`))
}

// stats answers the calls served per operation (all of them: a client
// subtracts two readings).
func (s *stub) stats(w http.ResponseWriter, _ *http.Request) {
	m := make(map[string]int64, nOps)
	for i := range s.calls {
		m[opNames[i]] = s.calls[i].Load()
	}
	b, _ := json.Marshal(m)
	writeJSON(w, http.StatusOK, b)
}

func readObject(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	var m map[string]any
	if err == nil {
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		err = d.Decode(&m)
	}
	if err != nil || m == nil {
		writeJSON(w, http.StatusBadRequest, []byte(`{"message":"body is not a JSON object"}`))
		return nil, false
	}
	return m, true
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
