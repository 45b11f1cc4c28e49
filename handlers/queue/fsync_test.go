package queue_test

import (
	"testing"

	"github.com/leadhook/leadhook/handlers/queue"
)

// TestEmbeddedStoreSynchronous: the embedded store commits with
// synchronous=NORMAL in WAL mode by default (durable across a killed
// process) and with FULL when Fsync is set (LEADHOOK_STORE_FSYNC: durable
// across power loss), as the README says.
func TestEmbeddedStoreSynchronous(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fsync bool
		want  int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{"default", false, 1},
		{"fsync", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := queue.Open(t.Context(), queue.Options{DataDir: t.TempDir(), Fsync: tc.fsync})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			db := q.Store().DB
			var sync int
			var mode string
			if err := db.QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&sync); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if sync != tc.want || mode != "wal" {
				t.Errorf("synchronous=%d journal_mode=%q, want %d and wal", sync, mode, tc.want)
			}
			// The commit path's settings (sqlite.go): statement journals in
			// memory, a checkpoint every 4,000 WAL pages.
			var temp, ckpt int
			if err := db.QueryRowContext(t.Context(), "PRAGMA temp_store").Scan(&temp); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(t.Context(), "PRAGMA wal_autocheckpoint").Scan(&ckpt); err != nil {
				t.Fatal(err)
			}
			if temp != 2 || ckpt != 4000 {
				t.Errorf("temp_store=%d wal_autocheckpoint=%d, want 2 (memory) and 4000", temp, ckpt)
			}
		})
	}
}
