package queue_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadhook/leadhook/handlers/queue"
)

const pgURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgSchema creates a fresh schema and returns the URL selecting it; it
// skips without PostgreSQL, and fails under CI=true.
func pgSchema(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at 127.0.0.1:5432 is required in CI: %v", err)
		}
		t.Skipf("PostgreSQL not reachable at 127.0.0.1:5432 (%v); skipping", err)
	}
	defer conn.Close(context.Background())
	schema := fmt.Sprintf("leadhook_queue_test_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), pgURL); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	return pgURL + "&search_path=" + schema
}

// TestPostgresStore: on PostgreSQL the queue takes deliveries once per
// id, works them, dead-letters and retries them like the embedded store,
// and shares its pool and a database/sql handle.
func TestPostgresStore(t *testing.T) {
	r := newRig(t, "testdata/queued.yaml", queue.Options{URL: pgSchema(t)})
	st := r.q.Store()
	if st.Dialect != "postgres" || st.DB == nil || st.Pool == nil {
		t.Fatalf("store %+v", st)
	}
	if err := st.DB.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if code, _, _ := r.post(0); code != http.StatusAccepted {
			t.Fatal(code)
		}
	}
	if s := r.stats(); s.Queued != 1 {
		t.Fatalf("queued %d, want 1 (the repeat is not stored)", s.Queued)
	}
	r.start()
	eventually(t, "the delivery to be done", time.Minute, func() bool { return r.stats().Queued == 0 })
	r.checkContacts(1)
}
