package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server timeouts. WriteTimeout leaves room for a delivery's processing
// (DefaultProcessTimeout) including Deskera retries.
const (
	ReadHeaderTimeout      = 5 * time.Second
	ReadTimeout            = 30 * time.Second
	WriteTimeout           = 60 * time.Second
	IdleTimeout            = 120 * time.Second
	DefaultShutdownTimeout = 20 * time.Second
)

// NewHTTPServer wraps h in an http.Server with leadhook's timeouts.
func NewHTTPServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return srv
}

// ErrShutdownTimeout: requests were still in flight when the shutdown
// timeout ended; their connections were closed without an answer.
var ErrShutdownTimeout = errors.New("shutdown timeout passed with requests in flight")

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish within shutdownTimeout and
// returns nil. A listener failure is an error; so is an overrun shutdown
// (ErrShutdownTimeout), after which the remaining connections are closed.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, shutdownTimeout time.Duration, log *slog.Logger) error {
	if shutdownTimeout <= 0 {
		shutdownTimeout = DefaultShutdownTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // cut what is left rather than leak it
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("shutdown after %v: %w", shutdownTimeout, ErrShutdownTimeout)
		}
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
