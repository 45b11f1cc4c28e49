package rules_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// TestReferenceUpToDate fails when docs/rules-reference.md differs from
// what the code generates (run: go run ./rules/internal/gendoc).
func TestReferenceUpToDate(t *testing.T) {
	got, err := os.ReadFile("../docs/rules-reference.md")
	if err != nil {
		t.Fatalf("%v (run: go run ./rules/internal/gendoc)", err)
	}
	if string(got) != rules.Reference() {
		t.Errorf("docs/rules-reference.md is stale: run go run ./rules/internal/gendoc")
	}
}

// TestReferenceCoversDecoders checks that every key a decoder accepts is
// documented, and nothing else.
func TestReferenceCoversDecoders(t *testing.T) {
	for _, s := range rules.Sections() {
		var doc []string
		for _, k := range s.Keys {
			doc = append(doc, k.Key)
		}
		dec := rules.DecoderKeys(s)
		slices.Sort(doc)
		slices.Sort(dec)
		if !slices.Equal(doc, dec) {
			t.Errorf("section %q: documented %v, decoder accepts %v", s.Name, doc, dec)
		}
	}
	ref := rules.Reference()
	for _, name := range rules.ActionNames() {
		if !strings.Contains(ref, "### `"+name+"`") {
			t.Errorf("action %q is not in the reference", name)
		}
	}
	for _, h := range rules.Helpers() {
		if h.Doc == "" || h.Example == "" || h.Result == "" {
			t.Errorf("helper %q lacks doc, example or result", h.Name)
		}
	}
}

func TestActionExamplesLoad(t *testing.T) {
	for _, a := range rules.ActionSpecs() {
		t.Run(a.Name, func(t *testing.T) {
			doc := "labels: [Hot lead, Cold lead]\nowners: {sales: [1, 2]}\nthresholds: {Hot lead: 50, Cold lead: 0}\n" +
				"rules:\n  - name: r\n    when: 'true'\n    actions:\n      - " + strings.ReplaceAll(a.Example, "\n", "\n        ") + "\n"
			if _, err := rules.Load("example.yaml", []byte(doc)); err != nil {
				t.Errorf("example does not load: %v\n%s", err, doc)
			}
		})
	}
}
