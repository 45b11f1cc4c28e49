package rules_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// TestDomainLists checks the shipped domain lists: one lowercase entry a
// line ("#" comments), sorted without duplicates, every entry loaded.
func TestDomainLists(t *testing.T) {
	tests := []struct {
		file    string
		sort    string // the command that sorts the file
		counter string
		loaded  func() int
		min     int    // entries the list has at least
		domains bool   // every entry a domain: a dot, no space or @
		source  string // a name the file must mention, "" none
	}{
		{file: "disposable.txt", sort: "LC_ALL=C sort -u", counter: "DisposableEmailDomains()", loaded: rules.DisposableEmailDomains,
			domains: true, source: "disposable-email-domains"},
		{file: "freemail.txt", sort: "sort -u", counter: "FreeEmailDomains()", loaded: rules.FreeEmailDomains, min: 150},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			var domains []string
			for _, line := range strings.Split(string(data), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					if line != strings.ToLower(line) || tt.domains && (strings.ContainsAny(line, " @") || !strings.Contains(line, ".")) {
						t.Errorf("%q is not a lowercase domain", line)
					}
					domains = append(domains, line)
				}
			}
			if !slices.IsSorted(domains) || len(slices.Compact(slices.Clone(domains))) != len(domains) {
				t.Errorf("%s must be sorted without duplicates (%s)", tt.file, tt.sort)
			}
			if got := tt.loaded(); got != len(domains) || got < tt.min {
				t.Errorf("%s = %d, file has %d", tt.counter, got, len(domains))
			}
			if tt.source != "" && !strings.Contains(string(data), tt.source) {
				t.Errorf("%s does not name its source", tt.file)
			}
		})
	}
}
