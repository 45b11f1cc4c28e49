package history

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestPruneSearchesTheBodyIndex: the index of kept bodies holds only
// records with an expiry (a sync record adds no entry to it), and the
// pruner's statement still finds the expired bodies through it rather
// than by reading every record.
func TestPruneSearchesTheBodyIndex(t *testing.T) {
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var where string
	if err := s.db.QueryRowContext(t.Context(), `SELECT sql FROM sqlite_master WHERE name = 'leadhook_deliveries_body_kept'`).Scan(&where); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(where, "WHERE body_expires_at IS NOT NULL") {
		t.Errorf("index = %q, want a partial index on kept bodies", where)
	}
	rows, err := s.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+pruneBodiesSQL, int64(0))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "SEARCH leadhook_deliveries USING INDEX leadhook_deliveries_body_kept (body_expires_at<") {
		t.Errorf("prune plan %q does not search leadhook_deliveries_body_kept", got)
	}
}
