package syncbuf_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/leadhook/leadhook/internal/syncbuf"
)

func TestConcurrentWrites(t *testing.T) {
	var b syncbuf.Buffer
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { fmt.Fprintf(&b, "line %d\n", i) })
	}
	wg.Wait()
	if got := strings.Count(b.String(), "\n"); got != 50 {
		t.Fatalf("got %d lines, want 50", got)
	}
}
