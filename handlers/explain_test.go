package handlers_test

import "testing"

// A dry run explains every sub-expression only when asked: explaining
// compiles expressions and costs milliseconds per event.
func TestDryRunExplainOnRequest(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		explain bool
	}{
		{"PlainDryRun", "?dry_run=1", false},
		{"ExplainRequested", "?dry_run=1&explain=1", true},
		{"ExplainFalse", "?dry_run=1&explain=0", false},
	}
	h := newHarness(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.post("/hooks/api"+tc.query, "application/json", `{"email":"plan@example.com","budget":50000}`,
				map[string]string{"Authorization": "Bearer " + adminToken})
			wantStatus(t, r, 200)
			if r.JSON["plan"] == nil {
				t.Fatalf("dry run without a plan: %s", r.Raw)
			}
			if _, got := r.JSON["explain"]; got != tc.explain {
				t.Fatalf("explain present = %v, want %v: %s", got, tc.explain, r.Raw)
			}
		})
	}
}
