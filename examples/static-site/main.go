// Command static-site serves the example page (index.html) the way a
// static host would, so its form can post to leadhook from an origin the
// `contact-form` source allows:
//
//	go run ./examples/static-site            # http://localhost:8000
//	go run ./examples/static-site -addr :9000
package main

import (
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"
)

//go:embed index.html
var site embed.FS

func main() {
	addr := flag.String("addr", "localhost:8000", "address to serve the page on")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*addr, log); err != nil {
		fmt.Fprintln(os.Stderr, "static-site:", err)
		os.Exit(1)
	}
}

func run(addr string, log *slog.Logger) error {
	root, err := fs.Sub(site, ".")
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: http.FileServerFS(root), ReadHeaderTimeout: 5 * time.Second}
	log.Info("serving the example page", "url", "http://"+addr+"/")
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
