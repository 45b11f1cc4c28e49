package rules_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// The rules version a delivery's history names is what sha256sum prints
// for the file, so an operator can tell which file it ran on.
func TestDigestIsTheFileSHA256(t *testing.T) {
	data, err := os.ReadFile("../rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load("rules.example.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got, want := set.Digest(), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("digest %s, want %s", got, want)
	}
	other, err := rules.Load("x.yaml", append(data, []byte("\n# a comment\n")...))
	if err != nil {
		t.Fatal(err)
	}
	if other.Digest() == set.Digest() {
		t.Fatal("a changed file has the same digest")
	}
}
