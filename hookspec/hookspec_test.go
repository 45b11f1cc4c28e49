package hookspec

import "testing"

// TestNamesUnique: a name listed twice would hide its second entry.
func TestNamesUnique(t *testing.T) {
	for what, list := range map[string][]string{"format": FormatNames(), "auth": AuthNames()} {
		seen := map[string]bool{}
		for _, n := range list {
			if n == "" || seen[n] {
				t.Errorf("%s name %q is empty or listed twice", what, n)
			}
			seen[n] = true
		}
	}
}

// TestAuthKeysDisjoint: a key is either required or optional, never both.
func TestAuthKeysDisjoint(t *testing.T) {
	for _, name := range AuthNames() {
		a, ok := LookupAuth(name)
		if !ok {
			t.Fatalf("LookupAuth(%q) not found", name)
		}
		for _, r := range a.Required {
			for _, o := range a.Optional {
				if r == o {
					t.Errorf("auth %q: key %q is required and optional", name, r)
				}
			}
		}
	}
	if _, ok := LookupAuth("nope"); ok {
		t.Error(`LookupAuth("nope") found`)
	}
}
