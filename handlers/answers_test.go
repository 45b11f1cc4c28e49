package handlers

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// answerRow is one row of the README's "What each answer means" table.
type answerRow struct {
	final, stored, retried bool
	cause                  string
}

// readAnswerTable parses the table under "### What each answer means".
func readAnswerTable(t *testing.T) map[int]answerRow {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[int]answerRow{}
	in := false
	yes := func(col, v string, status int) bool {
		switch v {
		case "yes":
			return true
		case "no":
			return false
		}
		t.Fatalf("README answer table, status %d: %s is %q, want yes or no", status, col, v)
		return false
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "### What each answer means"):
			in = true
			continue
		case in && strings.HasPrefix(line, "#"):
			in = false
		}
		if !in || !strings.HasPrefix(line, "| ") {
			continue
		}
		cols := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		status, err := strconv.Atoi(cols[0])
		if err != nil {
			continue // the header and the separator
		}
		if len(cols) != 5 {
			t.Fatalf("README answer table, status %d: %d columns, want 5", status, len(cols))
		}
		rows[status] = answerRow{final: yes("final", cols[1], status), stored: yes("stored", cols[2], status),
			retried: yes("retried", cols[3], status), cause: cols[4]}
	}
	if len(rows) == 0 {
		t.Fatal(`README.md has no "What each answer means" table`)
	}
	return rows
}

// statusNames maps the net/http constants leadhook's code uses to codes.
var statusNames = map[string]int{
	"StatusOK": 200, "StatusAccepted": 202, "StatusBadRequest": 400, "StatusUnauthorized": 401, "StatusForbidden": 403,
	"StatusNotFound": 404, "StatusMethodNotAllowed": 405, "StatusRequestTimeout": 408,
	"StatusRequestEntityTooLarge": 413, "StatusUnsupportedMediaType": 415,
	"StatusUnprocessableEntity": 422, "StatusTooManyRequests": 429,
	"StatusInternalServerError": 500, "StatusServiceUnavailable": 503,
}

// answeredStatuses collects the http.Status* constants of the handlers'
// and the webhook parsers' code (408 is named only to keep it unstored:
// leadhook never answers it).
func answeredStatuses(t *testing.T) map[int]string {
	t.Helper()
	re := regexp.MustCompile(`http\.(Status[A-Za-z]+)`)
	out := map[int]string{}
	for _, glob := range []string{"*.go", "webhook/*.go"} {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				code, ok := statusNames[m[1]]
				if !ok {
					t.Errorf("%s uses http.%s: add it to statusNames and to the README table", name, m[1])
					continue
				}
				if code != http.StatusRequestTimeout {
					out[code] = name
				}
			}
		}
	}
	return out
}

// TestAnswerTableMatchesCode: the README's table lists every status the
// code answers, and its final / stored / retried columns are the code's
// own: final exactly when storable, retried exactly when not final, and
// the answers of processing (200, 422, 503) stored exactly when final.
func TestAnswerTableMatchesCode(t *testing.T) {
	rows := readAnswerTable(t)
	for code, file := range answeredStatuses(t) {
		if _, ok := rows[code]; !ok {
			t.Errorf("%s answers %d, which the README's answer table does not list", file, code)
		}
	}
	processed := map[int]bool{http.StatusOK: true, http.StatusUnprocessableEntity: true, http.StatusServiceUnavailable: true}
	for code, r := range rows {
		if r.final != storable(code) {
			t.Errorf("status %d: README final=%v, storable=%v", code, r.final, storable(code))
		}
		if r.retried == r.final {
			t.Errorf("status %d: README says final=%v and retried=%v", code, r.final, r.retried)
		}
		if processed[code] && r.stored != storable(code) {
			t.Errorf("status %d: README stored=%v, but the dedupe stores it: %v", code, r.stored, storable(code))
		}
		if !processed[code] && r.stored {
			t.Errorf("status %d is answered before dedupe and never stored, README says stored", code)
		}
		if r.cause == "" {
			t.Errorf("status %d: no example cause", code)
		}
	}
}

// TestFailureClassesMatchTable: every failure is answered with a status
// whose README row agrees on finality; only a rejected delivery is final.
func TestFailureClassesMatchTable(t *testing.T) {
	rows := readAnswerTable(t)
	api := func(status int, msg string) error {
		return fmt.Errorf("rules: create contact: %w", &deskera.APIError{Op: "contacts.create", StatusCode: status, Message: msg})
	}
	tests := []struct {
		name      string
		err       error
		wantCause engine.Cause
		wantFinal bool
	}{
		{"field rejected", api(400, "phone is invalid"), engine.CauseDelivery, true},
		{"field unprocessable", api(422, "email is invalid"), engine.CauseDelivery, true},
		{"label gone", api(400, "label 4 not found"), engine.CauseStaleLabel, false},
		{"label does not exist", api(400, "Label does not exist"), engine.CauseStaleLabel, false},
		{"contact gone", api(404, "contact 9 not found"), engine.CauseCRMState, false},
		{"conflict", api(409, "duplicate"), engine.CauseCRMState, false},
		{"deskera down", api(503, "down"), engine.CauseDeskera, false},
		{"owner refused", api(400, "owner_id 99999 is not a user of this organisation"), engine.CauseConfig, false},
		{"visibility refused", api(422, "invalid visibility_type"), engine.CauseConfig, false},
		{"undeclared label", fmt.Errorf("rules: %w: %q", rules.ErrLabelNotFound, "Partner"), engine.CauseConfig, false},
		{"rule failed", &rules.RuleFailure{Rules: []string{"seats"}, Err: "int(many)"}, engine.CauseRule, false},
		{"unknown", fmt.Errorf("boom"), engine.CauseInternal, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := engine.Classify(tc.err)
			if f.Cause != tc.wantCause || f.Final != tc.wantFinal {
				t.Fatalf("Classify = %+v, want cause %s final %v", f, tc.wantCause, tc.wantFinal)
			}
			status := statusOf(f)
			row, ok := rows[status]
			if !ok {
				t.Fatalf("status %d is not in the README table", status)
			}
			if row.final != f.Final || storable(status) != f.Final {
				t.Errorf("status %d: README final=%v, storable=%v, failure final=%v", status, row.final, storable(status), f.Final)
			}
			if !f.Final && f.RetryAfter <= 0 {
				t.Errorf("temporary failure without a Retry-After: %+v", f)
			}
		})
	}
}
