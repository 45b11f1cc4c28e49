package obs

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogWriter batches log lines into few writes: a line is written within
// the flush interval of being logged, or sooner when the buffer fills,
// when Flush or Close is called, or (through FlushAbove) when a record
// at or above a level is logged. A busy server logs a line per delivery,
// and one write(2) per line is a system call per request that nothing
// else on the path makes; batched, it is one per interval.
//
// What a crash loses (a kill, not a shutdown, which calls Close) is at
// most the interval's info lines: warnings and errors are written as
// they are logged.
type LogWriter struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	limit int

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewLogWriter buffers writes to w, up to limit bytes, and writes them
// out every interval until Close. With interval 0 (or less) nothing is
// kept: every write goes straight to w.
func NewLogWriter(w io.Writer, limit int, interval time.Duration) *LogWriter {
	lw := &LogWriter{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		close(lw.done)
		return lw
	}
	lw.buf, lw.limit = make([]byte, 0, limit), limit
	go lw.flushEvery(interval)
	return lw
}

func (lw *LogWriter) flushEvery(interval time.Duration) {
	defer close(lw.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = lw.Flush()
		case <-lw.stop:
			return
		}
	}
}

// Write keeps p (one log line, as slog writes it) for the next flush. A
// line that would overfill the buffer first writes out what is kept; a
// line larger than the buffer is written as it is.
func (lw *LogWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.buf)+len(p) > lw.limit {
		if err := lw.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > lw.limit {
			return lw.w.Write(p)
		}
	}
	lw.buf = append(lw.buf, p...)
	return len(p), nil
}

// Flush writes out what is kept.
func (lw *LogWriter) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.flushLocked()
}

// flushLocked writes out what is kept. When the write fails, what was
// kept is dropped, as those lines would have been written one by one,
// and the next write tries again: a full disk or a stalled reader that
// recovers gets the lines after it.
func (lw *LogWriter) flushLocked() error {
	if len(lw.buf) == 0 {
		return nil
	}
	_, err := lw.w.Write(lw.buf)
	lw.buf = lw.buf[:0]
	return err
}

// Close stops the periodic flush and writes out what is kept. Writes
// after Close still reach w, at the next Flush or Close (or when the
// buffer fills).
func (lw *LogWriter) Close() error {
	lw.once.Do(func() { close(lw.stop) })
	<-lw.done
	return lw.Flush()
}

// FlushAbove wraps h so that a record at level or above is written out
// at once, with every line kept before it, through lw.
func FlushAbove(h slog.Handler, lw *LogWriter, level slog.Level) slog.Handler {
	return &flushHandler{next: h, lw: lw, level: level}
}

type flushHandler struct {
	next  slog.Handler
	lw    *LogWriter
	level slog.Level
}

func (h *flushHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *flushHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.next.Handle(ctx, r)
	if r.Level >= h.level {
		if ferr := h.lw.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *flushHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &flushHandler{next: h.next.WithAttrs(as), lw: h.lw, level: h.level}
}

func (h *flushHandler) WithGroup(name string) slog.Handler {
	return &flushHandler{next: h.next.WithGroup(name), lw: h.lw, level: h.level}
}
