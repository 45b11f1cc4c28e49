package history

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/leadhook/leadhook/internal/pgtest"
)

// A group commit whose transaction fails writes its rows one by one: the
// bad row fails only its own Record, the good ones are stored, and none
// is counted twice. (On PostgreSQL a failed statement aborts the whole
// transaction, so the fallback is what keeps the good rows.)
func TestCommitRecordsBadRowFailsAlone(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) *Store
	}{
		{"sqlite", func(t *testing.T) *Store {
			s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), FileName))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"postgres", func(t *testing.T) *Store {
			s, err := OpenPostgres(context.Background(), pgtest.SchemaURL(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.open(t)
			t.Cleanup(func() { s.Close() })
			ctx := context.Background()
			row := func(id string) []any {
				var args []any
				capture := func(_ context.Context, _ string, a ...any) error { args = a; return nil }
				if err := s.RecordOn(ctx, capture, &Record{ID: id, Source: "web", DeliveryID: id, Outcome: OutcomeOK}); err != nil {
					t.Fatal(err)
				}
				return args
			}
			bad := row("bad")
			bad = bad[:len(bad)-1] // one argument short: the statement fails
			errs, err := s.commitRecords(ctx, [][]any{row("a"), bad, row("b")})
			if err != nil {
				t.Fatal(err)
			}
			if errs[0] != nil || errs[1] == nil || errs[2] != nil {
				t.Fatalf("row errors %v, want only the middle (bad) one", errs)
			}
			for _, id := range []string{"a", "b"} {
				got, err := s.Get(ctx, id)
				if err != nil {
					t.Fatalf("Get(%q): %v (a good row of the failed transaction was not written)", id, err)
				}
				if got.Attempts != 1 {
					t.Errorf("%s: attempts %d, want 1 (rolled back, then written once)", id, got.Attempts)
				}
			}
			if _, err := s.Get(ctx, "bad"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(bad): %v, want ErrNotFound", err)
			}
		})
	}
}
