package queue_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/queue"
	"github.com/leadhook/leadhook/internal/pgtest"
)

// TestPostgresStore: on PostgreSQL the queue takes deliveries once per
// id, works them, dead-letters and retries them like the embedded store,
// and shares its pool and a database/sql handle.
func TestPostgresStore(t *testing.T) {
	r := newRig(t, "testdata/queued.yaml", queue.Options{URL: pgtest.SchemaURL(t)})
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
