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
// else on the path makes; batched, it is one per interval. An idle one
// makes none: the interval's timer runs only while lines are kept.
//
// What a kill or a crash loses (not a shutdown, which calls Close) is at
// most the interval's info lines: warnings and errors are written as
// they are logged.
type LogWriter struct {
	mu       sync.Mutex
	w        io.Writer
	buf      []byte
	limit    int
	interval time.Duration
	timer    *time.Timer // flushes what is kept, interval after the first line
	pending  bool        // timer is set
	closed   bool
}

// NewLogWriter buffers writes to w, up to limit bytes, and writes them
// out interval after the first line kept, until Close. With interval 0
// (or less) nothing is kept: every write goes straight to w.
func NewLogWriter(w io.Writer, limit int, interval time.Duration) *LogWriter {
	lw := &LogWriter{w: w, interval: interval}
	if interval > 0 {
		lw.limit = max(limit, 0)
		lw.buf = make([]byte, 0, lw.limit)
	}
	return lw
}

// Write keeps p (one log line, as slog writes it) for the next flush. A
// line that would overfill the buffer first writes out what is kept; a
// line larger than the buffer, or one written after Close, goes to the
// destination as it is.
func (lw *LogWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.buf)+len(p) > lw.limit || lw.closed {
		// A failed write of the kept lines drops them (see flushLocked);
		// p is still kept or written.
		_ = lw.flushLocked()
		if len(p) > lw.limit || lw.closed {
			return lw.w.Write(p)
		}
	}
	lw.buf = append(lw.buf, p...)
	if len(lw.buf) > 0 && !lw.pending {
		lw.pending = true
		if lw.timer == nil {
			lw.timer = time.AfterFunc(lw.interval, lw.timed)
		} else {
			lw.timer.Reset(lw.interval)
		}
	}
	return len(p), nil
}

// timed is the interval's flush.
func (lw *LogWriter) timed() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.pending = false
	_ = lw.flushLocked()
}

// Flush writes out what is kept.
func (lw *LogWriter) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.flushLocked()
}

// flushLocked writes out what is kept. When the write fails, what was
// kept is dropped, as those lines would have been written one by one,
// and the next write tries again: a full disk that frees up, or a log
// reader that recovers, gets the lines after it.
func (lw *LogWriter) flushLocked() error {
	if len(lw.buf) == 0 {
		return nil
	}
	_, err := lw.w.Write(lw.buf)
	lw.buf = lw.buf[:0]
	return err
}

// Close writes out what is kept and stops keeping lines: those written
// after it (by a request still finishing when serve returns) go straight
// to the destination.
func (lw *LogWriter) Close() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.closed = true
	if lw.timer != nil {
		lw.timer.Stop()
		lw.pending = false
	}
	return lw.flushLocked()
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
