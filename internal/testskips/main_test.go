package main

import (
	"os"
	"strings"
	"testing"
)

// The fixtures are real `go test -json` streams: mixed.json from a module
// with skipped tests (with and without a reason, and subtests), a failing
// test and a package that does not build; green.json from one passing
// package.
func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		ok      bool
		want    []string
		notWant []string
	}{
		{
			name: "skips, a failure and a build error", fixture: "testdata/mixed.json", ok: false,
			want: []string{
				"SKIPPED: 4 of 8 tests did not run (a green run does not cover them):\n",
				"  example.com/skipmod/a: aws-lambda-rie not installed [TestEmulator/http, TestEmulator/sqs]\n",
				"  example.com/skipmod/a: no reason given [TestBare]\n",
				"  example.com/skipmod/a: redis not reachable at 127.0.0.1:6379 [TestRedis]\n",
				"    a_test.go:12: want 1, got 2\n--- FAIL: TestBroken",
				"FAIL\texample.com/skipmod/a",
				"c/c_test.go:5:34: undefined: undefined",
				"ok  \texample.com/skipmod/b",
			},
			notWant: []string{"=== RUN   TestOK", "=== RUN   TestRedis"},
		},
		{
			name: "green run without skips", fixture: "testdata/green.json", ok: true,
			want: []string{"ok  \texample.com/skipmod/b", "SKIPPED: none of 1 tests\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(tt.fixture)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out strings.Builder
			ok, err := summarize(f, &out)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Errorf("ok = %v, want %v", ok, tt.ok)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q (passing tests' output is not shown):\n%s", w, out.String())
				}
			}
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{name: "t.Skip message", lines: []string{"=== RUN   TestX\n", "    x_test.go:9: redis not reachable\n", "--- SKIP: TestX (0.00s)\n"}, want: "redis not reachable"},
		{name: "message with a colon", lines: []string{"    x_test.go:9: kubectl: not installed\n"}, want: "kubectl: not installed"},
		{name: "none", lines: []string{"=== RUN   TestX\n", "--- SKIP: TestX (0.00s)\n"}, want: "no reason given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reason(tt.lines); got != tt.want {
				t.Errorf("reason = %q, want %q", got, tt.want)
			}
		})
	}
}
