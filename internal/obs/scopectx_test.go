package obs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leadhook/leadhook/internal/obs"
)

type otherKey struct{}

// TestScopeContextIsItsParent: a scope's context is its parent in
// everything but the scope (values, deadline, cancellation and its
// cause, for the context itself and for contexts derived from it), and
// starting a scope is one allocation.
func TestScopeContextIsItsParent(t *testing.T) {
	dl := time.Now().Add(time.Hour)
	parent, cancel := context.WithDeadline(context.WithValue(context.Background(), otherKey{}, "v"), dl)
	ctx := obs.NewScope(parent)
	obs.Set(ctx, obs.KeyRequestID, "r1")
	child, stop := context.WithCancel(ctx)
	defer stop()
	if got := obs.Get(child, obs.KeyRequestID); got != "r1" {
		t.Fatalf("request id through a derived context = %q", got)
	}
	if got := child.Value(otherKey{}); got != "v" {
		t.Fatalf("parent's value = %v", got)
	}
	if got, ok := child.Deadline(); !ok || !got.Equal(dl) {
		t.Fatalf("deadline = %v, %v; want the parent's", got, ok)
	}
	boom := errors.New("boom")
	cancelCause, stopCause := context.WithCancelCause(parent)
	defer stopCause(nil)
	inner, innerStop := context.WithCancel(obs.NewScope(cancelCause))
	defer innerStop()
	stopCause(boom)
	<-inner.Done()
	if !errors.Is(context.Cause(inner), boom) {
		t.Fatalf("cause through the scope = %v, want %v", context.Cause(inner), boom)
	}
	cancel()
	<-child.Done()
	if ctx.Err() == nil || child.Err() == nil {
		t.Fatalf("after the parent's cancel: scope %v, derived %v", ctx.Err(), child.Err())
	}
	if n := testing.AllocsPerRun(100, func() { _ = obs.NewScope(parent) }); n != 1 {
		t.Errorf("NewScope: %v allocations, want 1", n)
	}
}
