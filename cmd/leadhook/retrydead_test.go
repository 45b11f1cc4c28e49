package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/queue"
)

// failing never finishes a delivery: it goes to the dead letters at
// the first attempt past its maximum age.
type failing struct{}

func (failing) ProcessQueued(context.Context, *handlers.QueuedDelivery) handlers.QueuedResult {
	return handlers.QueuedResult{Status: http.StatusServiceUnavailable, Message: "rule failed"}
}

// deadLetters makes n dead letters of source in a new data dir.
func deadLetters(t *testing.T, n int, source string) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	q, err := queue.Open(ctx, queue.Options{DataDir: dir, MaxAge: time.Nanosecond, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q.SetProcessor(failing{})
	for i := range n {
		if _, err := q.Enqueue(ctx, &handlers.QueuedDelivery{Source: source, DeliveryID: "d" + string(rune('a'+i)), Method: "POST", Body: []byte("email=a%40b.io")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dead letters", 30*time.Second, func() bool { s, _ := q.Stats(ctx); return s.Dead == int64(n) })
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := q.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDeliveriesRetryDead(t *testing.T) {
	dir := deadLetters(t, 3, "form")
	tests := []struct {
		name     string
		args     []string
		vars     map[string]string
		code     int
		out, err string
	}{
		{name: "help", args: []string{"retry-dead", "--help"}, code: 0, out: "Usage: leadhook deliveries retry-dead [--source S]"},
		{name: "no store", args: []string{"retry-dead"}, code: 2, err: "no store"},
		{name: "bad flag", args: []string{"retry-dead", "--nope"}, code: 2, err: "flag provided but not defined"},
		{name: "other source", args: []string{"retry-dead", "--source", "other", "--data-dir", dir}, code: 0, out: "0 dead-lettered deliveries queued again"},
		{name: "from the environment", args: []string{"retry-dead", "--source", "form"}, vars: map[string]string{"LEADHOOK_DATA_DIR": dir}, code: 0, out: "3 dead-lettered deliveries queued again"},
		{name: "none left", args: []string{"retry-dead", "--data-dir", dir}, code: 0, out: "0 dead-lettered deliveries queued again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, out, errw := testEnv(tc.vars)
			code := run(context.Background(), append([]string{"deliveries"}, tc.args...), env)
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errw.String(), tc.err) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errw, tc.code, tc.out, tc.err)
			}
		})
	}
	q, err := queue.Open(context.Background(), queue.Options{DataDir: dir, ClientOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if s, _ := q.Stats(context.Background()); s.Queued != 3 || s.Dead != 0 {
		t.Fatalf("after retry-dead: %+v, want 3 queued, 0 dead", s)
	}
}
