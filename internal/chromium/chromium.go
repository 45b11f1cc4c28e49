// Package chromium finds a Chromium (or Chrome) executable for the tests
// that drive a real browser, with one rule for every package: missing, the
// test is skipped with a message saying what did not run, except under CI
// (CI=true), where .ci/run installs it and its absence is a failure.
//
// Only tests import it; it imports no testing package itself, so it takes
// the two methods it needs from testing.TB.
package chromium

import (
	"os"
	"os/exec"
)

// names are the executables tried, in order: Debian's chromium first.
var names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// T is the part of testing.TB that Find uses.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Find returns the path of the first browser found. Without one it fails
// t under CI and otherwise skips it, saying that what did not run.
func Find(t T, what string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("chromium not found, and CI requires it (.ci/run installs it: apt-get install chromium); %s needs it", what)
		return ""
	}
	t.Skipf("chromium not found (apt-get install -y chromium); %s did not run", what)
	return ""
}
