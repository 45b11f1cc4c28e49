package groupcommit_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/leadhook/leadhook/internal/groupcommit"
)

// recorder is a Commit that doubles each item and remembers the batches.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	gate    chan struct{} // when set, the first commit waits for it
	err     error
	short   bool // return one result too few
}

func (r *recorder) commit(_ context.Context, items []int) ([]int, error) {
	r.mu.Lock()
	first := len(r.batches) == 0
	r.batches = append(r.batches, append([]int(nil), items...))
	r.mu.Unlock()
	if first && r.gate != nil {
		<-r.gate
	}
	if r.err != nil {
		return nil, r.err
	}
	out := make([]int, 0, len(items))
	for _, it := range items {
		out = append(out, 2*it)
	}
	if r.short {
		out = out[:len(out)-1]
	}
	return out, nil
}

func newBatcher(t *testing.T, r *recorder) *groupcommit.Batcher[int, int] {
	t.Helper()
	b, err := groupcommit.New(r.commit, 0, groupcommit.DefaultLinger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func TestConcurrentWritesShareCommits(t *testing.T) {
	r := &recorder{gate: make(chan struct{})}
	b := newBatcher(t, r)
	// The first write holds the writer in its commit; the others queue up
	// behind it and must then go in together.
	first := make(chan int, 1)
	go func() { v, _ := b.Do(t.Context(), 1000); first <- v }()
	for {
		r.mu.Lock()
		n := len(r.batches)
		r.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	const n = 50
	var wg sync.WaitGroup
	got := make([]int, n)
	started := make(chan struct{}, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			v, err := b.Do(t.Context(), i)
			if err != nil {
				t.Errorf("Do(%d): %v", i, err)
			}
			got[i] = v
		}()
	}
	for range n {
		<-started
	}
	close(r.gate)
	wg.Wait()
	if v := <-first; v != 2000 {
		t.Errorf("first Do = %d, want 2000", v)
	}
	for i, v := range got {
		if v != 2*i {
			t.Errorf("Do(%d) = %d, want %d (each writer gets its own result)", i, v, 2*i)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for _, bt := range r.batches {
		total += len(bt)
	}
	if total != n+1 {
		t.Errorf("%d items committed, want %d", total, n+1)
	}
	if len(r.batches) >= n+1 {
		t.Errorf("%d commits for %d writes: none shared", len(r.batches), n+1)
	}
}

func TestErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		rec     *recorder
		ctx     func(t *testing.T) context.Context
		close   bool
		wantErr error
		wantMsg string
	}{
		{name: "commit error reaches the writer", rec: &recorder{err: boom}, wantErr: boom},
		{name: "result count unlike the items", rec: &recorder{short: true}, wantMsg: "groupcommit: commit returned a result count unlike its items"},
		{name: "after Close", rec: &recorder{}, close: true, wantErr: groupcommit.ErrClosed},
		{name: "writer gave up first", rec: &recorder{}, ctx: func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, wantErr: context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBatcher(t, tc.rec)
			if tc.close {
				b.Close()
			}
			ctx := t.Context()
			if tc.ctx != nil {
				ctx = tc.ctx(t)
			}
			_, err := b.Do(ctx, 1)
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("Do: %v, want %v", err, tc.wantErr)
			case tc.wantMsg != "" && (err == nil || err.Error() != tc.wantMsg):
				t.Errorf("Do: %v, want %q", err, tc.wantMsg)
			}
			if tc.ctx != nil || tc.close {
				b.Close()
				tc.rec.mu.Lock()
				defer tc.rec.mu.Unlock()
				for _, bt := range tc.rec.batches {
					if len(bt) > 0 {
						t.Errorf("committed %v for a writer that was not written", bt)
					}
				}
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := groupcommit.New[int, int](nil, 0, 0); err == nil {
		t.Fatal("New(nil commit): no error")
	}
}
