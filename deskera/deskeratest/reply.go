package deskeratest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/leadhook/leadhook/deskera"
)

// maxBody bounds request bodies the fake reads.
const maxBody = 8 << 20

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	defer r.Body.Close()
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err == nil && len(b) > maxBody {
		err = errors.New("body too large")
	}
	return b, err
}

// decodeBody parses a JSON request body into v, rejecting empty or
// malformed input; when it cannot, it answers 400 and reports false (the
// handler then returns).
func decodeBody(w http.ResponseWriter, body []byte, v any) bool {
	err := errors.New("empty body")
	if len(bytes.TrimSpace(body)) > 0 {
		err = json.Unmarshal(body, v)
		if err == nil {
			return true
		}
		err = fmt.Errorf("malformed JSON: %v", err)
	}
	writeError(w, http.StatusBadRequest, err.Error())
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeEmpty answers with a status and no body, as Deskera does for PATCH,
// PUT and DELETE.
func writeEmpty(w http.ResponseWriter, status int) {
	w.WriteHeader(status)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"code": status, "message": msg})
}

// writeByID answers the GET of one record: 404 when s is not an id or
// lookup does not find it, else the record.
func writeByID[T any](w http.ResponseWriter, s, kind string, lookup func(deskera.ID) (T, bool)) {
	id, ok := parseID(w, s)
	if !ok {
		return
	}
	v, ok := lookup(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s %d not found", kind, id))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// deleteByID answers a DELETE of one record: 404 when s is not an id or
// remove (called with f.mu held) finds nothing to remove, else 200 with
// no body, as Deskera answers.
func (f *Fake) deleteByID(w http.ResponseWriter, s, kind string, remove func(deskera.ID) bool) {
	id, ok := parseID(w, s)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !remove(id) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s %d not found", kind, id))
		return
	}
	writeEmpty(w, http.StatusOK)
}

// modifyByID answers a PATCH or PUT of one record: 404 when s is not an
// id or lookup finds no record, 400 when the body does not decode into a
// Req; else apply changes the record and the answer is 201 with no body,
// as Deskera answers. lookup and apply are called with f.mu held; apply
// answers itself, and reports false, when it refuses the body.
func modifyByID[Req, V any](f *Fake, w http.ResponseWriter, s, kind string, body []byte,
	lookup func(deskera.ID) (V, bool), apply func(deskera.ID, V, *Req) bool) {
	id, ok := parseID(w, s)
	if !ok {
		return
	}
	var req Req
	if !decodeBody(w, body, &req) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := lookup(id)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s %d not found", kind, id))
		return
	}
	if apply(id, v, &req) {
		writeEmpty(w, http.StatusCreated)
	}
}

// parseID parses a path id; false (after answering 404) when it is not one.
func parseID(w http.ResponseWriter, s string) (deskera.ID, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no resource %q", s))
		return 0, false
	}
	return deskera.ID(n), true
}
