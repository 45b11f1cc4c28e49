package handlers_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers"
)

// TestShutdownOverrunIsAnError: a request still in flight when the
// shutdown timeout ends is cut off and Serve says so (ErrShutdownTimeout;
// serve exits 1), rather than reporting a clean stop.
func TestShutdownOverrunIsAnError(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	srv := handlers.NewHTTPServer(ln.Addr().String(), h, nil)
	served := make(chan error, 1)
	go func() { served <- handlers.Serve(ctx, srv, ln, 50*time.Millisecond, nil) }()
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	<-entered
	stop()
	if err := <-served; !errors.Is(err, handlers.ErrShutdownTimeout) {
		t.Fatalf("Serve = %v, want ErrShutdownTimeout", err)
	}
	if err := <-answered; err == nil {
		t.Fatal("the cut-off request got an answer")
	}
}
