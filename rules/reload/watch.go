package reload

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Run follows the rules file until ctx ends: it reloads on SIGHUP (or the
// WithSignals channel) unconditionally, and on any change in the file's
// folder once the folder has been quiet for the debounce period and the
// content differs. The folder, not the file, is watched: editors replace
// the file by renaming a new one over it and Kubernetes swaps the ..data
// symlink, both of which a watch on the file itself would miss.
func (r *Reloader) Run(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("reload: watch: %w", err)
	}
	defer w.Close()
	dir := filepath.Dir(r.path)
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("reload: watch folder %q: %w", dir, err)
	}
	sigs := r.signals
	if sigs == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGHUP)
		defer signal.Stop(ch)
		sigs = ch
	}
	r.log.Info("watching the rules file for changes", "file", r.path, "folder", dir)
	return r.loop(ctx, w, sigs)
}

func (r *Reloader) loop(ctx context.Context, w *fsnotify.Watcher, sigs <-chan os.Signal) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sigs:
			r.log.Info("reloading the rules file (signal)", "file", r.path)
			_ = r.Reload(ctx) // logged and counted
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op != fsnotify.Chmod {
				timer.Reset(r.debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.log.Warn("rules file watch error", "err", err.Error())
		case <-timer.C:
			_, _ = r.reload(ctx, false) // logged and counted
		}
	}
}
