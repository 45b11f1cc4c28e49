package chromium

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a T that keeps what Find said instead of stopping a test.
type recorder struct{ fatal, skip string }

func (r *recorder) Helper()                           {}
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skip = fmt.Sprintf(format, args...) }

func TestFind(t *testing.T) {
	withBrowser := t.TempDir()
	exe := filepath.Join(withBrowser, "chromium")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, ci    string
		want, fatal, skip string
	}{
		{name: "found on PATH", path: withBrowser, want: exe},
		{name: "missing: skipped, naming what did not run", path: t.TempDir(), skip: "the widget test did not run"},
		{name: "missing under CI: a failure", path: t.TempDir(), ci: "true", fatal: "CI requires it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			t.Setenv("CI", tt.ci)
			var r recorder
			if got := Find(&r, "the widget test"); got != tt.want {
				t.Errorf("Find: got %q, want %q", got, tt.want)
			}
			if !strings.Contains(r.fatal, tt.fatal) || (tt.fatal == "") != (r.fatal == "") {
				t.Errorf("fatal: got %q, want it to contain %q", r.fatal, tt.fatal)
			}
			if !strings.Contains(r.skip, tt.skip) || (tt.skip == "") != (r.skip == "") {
				t.Errorf("skip: got %q, want it to contain %q", r.skip, tt.skip)
			}
		})
	}
}
