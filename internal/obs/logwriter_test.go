package obs_test

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/internal/obs"
	"github.com/leadhook/leadhook/internal/syncbuf"
)

// writes records each Write the LogWriter makes to its destination.
type writes struct {
	mu   sync.Mutex
	got  []string
	fail error
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail != nil {
		return 0, w.fail
	}
	w.got = append(w.got, string(p))
	return len(p), nil
}

func (w *writes) calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.got...)
}

// never is an interval no test waits for: only the explicit flushes
// (buffer full, Flush, Close, a warning) write.
const never = time.Hour

// TestLogWriterBatches: when kept lines are written, and in how many
// writes. A failed write drops the lines it held (as they would have
// been one by one, and the error is Flush's), a line that overfilled the
// buffer meanwhile is kept, and the destination gets the lines after it
// once it works again.
func TestLogWriterBatches(t *testing.T) {
	boom := errors.New("disk full")
	tests := []struct {
		name     string
		limit    int
		interval time.Duration
		failing  []string // written while the destination fails
		failed   bool     // then a Flush, which must report the failure
		lines    []string
		flush    bool // Flush after the lines
		want     []string
	}{
		{name: "a failed write drops what it held", limit: 64, interval: never, failing: []string{"lost\n"}, failed: true,
			lines: []string{"b\n"}, flush: true, want: []string{"b\n"}},
		{name: "the line that overfilled the buffer while a write failed is kept", limit: 4, interval: never,
			failing: []string{"a\n", "bc\n"}, flush: true, want: []string{"bc\n"}},
		{name: "kept until a flush", limit: 64, interval: never, lines: []string{"a\n", "b\n"}, want: nil},
		{name: "one write on Flush", limit: 64, interval: never, lines: []string{"a\n", "b\n"}, flush: true, want: []string{"a\nb\n"}},
		{name: "a full buffer writes what it kept first", limit: 4, interval: never, lines: []string{"a\n", "b\n", "c\n"}, want: []string{"a\nb\n"}},
		{name: "a line larger than the buffer goes as it is", limit: 4, interval: never, lines: []string{"a\n", "large\n"}, want: []string{"a\n", "large\n"}},
		{name: "nothing kept: Flush writes nothing", limit: 64, interval: never, flush: true, want: nil},
		{name: "interval 0: every line at once", limit: 64, interval: 0, lines: []string{"a\n", "b\n"}, want: []string{"a\n", "b\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := &writes{fail: boom}
			lw := obs.NewLogWriter(dst, tt.limit, tt.interval)
			defer lw.Close()
			for _, l := range tt.failing {
				if n, err := lw.Write([]byte(l)); n != len(l) || err != nil {
					t.Fatalf("Write(%q) while the destination fails = %d, %v; want it kept", l, n, err)
				}
			}
			if tt.failed {
				if err := lw.Flush(); !errors.Is(err, boom) {
					t.Fatalf("Flush while the destination fails = %v, want %v", err, boom)
				}
			}
			dst.mu.Lock()
			dst.fail = nil
			dst.mu.Unlock()
			for _, l := range tt.lines {
				if n, err := lw.Write([]byte(l)); n != len(l) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", l, n, err)
				}
			}
			if tt.flush {
				if err := lw.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if got := dst.calls(); !slices.Equal(got, tt.want) {
				t.Errorf("writes = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLogWriterClose: Close writes out what is kept, and a line written
// after it (a request still finishing when serve returns) goes out at
// once instead of waiting for a flush that never comes.
func TestLogWriterClose(t *testing.T) {
	dst := &writes{}
	lw := obs.NewLogWriter(dst, 64, never)
	fmt.Fprint(lw, "a\n")
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil { // a second Close is harmless
		t.Fatal(err)
	}
	fmt.Fprint(lw, "late\n")
	if got, want := dst.calls(), []string{"a\n", "late\n"}; !slices.Equal(got, want) {
		t.Errorf("writes = %q, want %q", got, want)
	}
}

// TestLogWriterFlushesOnItsInterval waits (up to a generous bound, so
// that a loaded machine only makes it slower) for the interval's flush,
// twice: the timer armed by the first line kept is armed again by the
// first line after its flush.
func TestLogWriterFlushesOnItsInterval(t *testing.T) {
	dst := &writes{}
	lw := obs.NewLogWriter(dst, 64, time.Millisecond)
	defer lw.Close()
	for i, line := range []string{"a\n", "b\n"} {
		fmt.Fprint(lw, line)
		deadline := time.Now().Add(10 * time.Second)
		for len(dst.calls()) <= i {
			if time.Now().After(deadline) {
				t.Fatalf("line %q was not written by the interval's flush", line)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if got, want := dst.calls(), []string{"a\n", "b\n"}; !slices.Equal(got, want) {
		t.Errorf("writes = %q, want %q", got, want)
	}
}

// TestFlushAbove: info lines wait; a warning is written at once, after
// the lines kept before it, in one write.
func TestFlushAbove(t *testing.T) {
	dst := &writes{}
	lw := obs.NewLogWriter(dst, 4096, never)
	defer lw.Close()
	h := slog.NewJSONHandler(lw, &slog.HandlerOptions{Level: slog.LevelDebug})
	log := slog.New(obs.FlushAbove(h, lw, slog.LevelWarn)).With("app", "leadhook").WithGroup("g")
	log.Info("first")
	log.Debug("second")
	if got := dst.calls(); len(got) != 0 {
		t.Fatalf("info and debug lines were written at once: %q", got)
	}
	log.Warn("third", "k", 1)
	got := dst.calls()
	if len(got) != 1 {
		t.Fatalf("writes = %q, want the three lines in one", got)
	}
	lines := strings.Split(strings.TrimSuffix(got[0], "\n"), "\n")
	for i, msg := range []string{"first", "second", "third"} {
		if i >= len(lines) || !strings.Contains(lines[i], `"msg":"`+msg+`"`) || !strings.Contains(lines[i], `"app":"leadhook"`) {
			t.Errorf("line %d = %q, want msg %q with the logger's attributes", i, lines, msg)
		}
	}
	if !strings.Contains(lines[2], `"g":{"k":1}`) {
		t.Errorf("the warning lost its group: %q", lines[2])
	}
	log.Error("fourth")
	if n := len(dst.calls()); n != 2 {
		t.Errorf("an error was not written at once (%d writes)", n)
	}
}

// TestLogWriterConcurrent: lines logged from many goroutines all arrive
// whole (run with -race).
func TestLogWriterConcurrent(t *testing.T) {
	var buf syncbuf.Buffer
	lw := obs.NewLogWriter(&buf, 256, time.Millisecond)
	log := slog.New(obs.FlushAbove(slog.NewJSONHandler(lw, nil), lw, slog.LevelWarn))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if i%50 == 0 {
					log.Warn("w", "g", g, "i", i)
				} else {
					log.Info("i", "g", g, "i", i)
				}
			}
		})
	}
	wg.Wait()
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
			t.Fatalf("a torn line: %q", l)
		}
	}
}
