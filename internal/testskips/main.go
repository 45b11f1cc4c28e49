// Command testskips reads `go test -json` on standard input and prints
// what a plain `go test` would (one line per package, the output of
// failed tests and build errors), then a summary of the skipped tests
// with their reasons, so a green run does not pass for one that covered
// them. It exits 1 when a test, package or build failed.
//
//	go test -json ./... | go run ./internal/testskips
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	ok, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testskips: %v\n", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// event is one test2json record (go doc test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Elapsed    float64
	Output     string
}

// skip is one skipped test and why.
type skip struct {
	pkg, test, reason string
}

// summarize copies the essentials of the stream to w and reports whether
// everything passed.
func summarize(r io.Reader, w io.Writer) (bool, error) {
	ok, tests := true, 0
	outputs := map[[2]string][]string{} // (package, test) -> output lines
	var skips []skip
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text()) // not test2json (e.g. a build error on stderr merged in)
			continue
		}
		key := [2]string{e.Package, e.Test}
		switch e.Action {
		case "output":
			outputs[key] = append(outputs[key], e.Output)
		case "build-output":
			fmt.Fprint(w, e.Output)
		case "build-fail":
			ok = false
		case "pass", "fail", "skip":
			lines := outputs[key]
			delete(outputs, key)
			if e.Test == "" {
				ok = ok && e.Action != "fail"
				printPackage(w, e, lines)
				continue
			}
			tests++
			switch e.Action {
			case "fail":
				ok = false
				fmt.Fprint(w, strings.Join(lines, ""))
			case "skip":
				skips = append(skips, skip{pkg: e.Package, test: e.Test, reason: reason(lines)})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	printSkips(w, skips, tests)
	return ok, nil
}

// printPackage prints the package's line as go test does ("ok", "FAIL",
// "?" for no test files), plus its own output when it failed.
func printPackage(w io.Writer, e event, lines []string) {
	if e.Action == "fail" {
		fmt.Fprint(w, strings.Join(lines, ""))
		return
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "?  ") || strings.HasPrefix(l, "--- FAIL") {
			fmt.Fprint(w, l)
		}
	}
}

// reason is what the test logged before "--- SKIP" (t.Skip's message,
// without the file:line prefix).
func reason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		if file, msg, found := strings.Cut(t, ": "); found && strings.HasSuffix(strings.SplitN(file, ":", 2)[0], ".go") {
			t = msg
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, " ")
}

// printSkips prints one summary line, then one line per reason with the
// tests it skipped.
func printSkips(w io.Writer, skips []skip, tests int) {
	if len(skips) == 0 {
		fmt.Fprintf(w, "SKIPPED: none of %d tests\n", tests)
		return
	}
	byReason := map[string][]string{}
	for _, s := range skips {
		k := s.pkg + ": " + s.reason
		byReason[k] = append(byReason[k], s.test)
	}
	keys := make([]string, 0, len(byReason))
	for k := range byReason {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "SKIPPED: %d of %d tests did not run (a green run does not cover them):\n", len(skips), tests)
	for _, k := range keys {
		names := byReason[k]
		sort.Strings(names)
		fmt.Fprintf(w, "  %s [%s]\n", k, strings.Join(names, ", "))
	}
}
