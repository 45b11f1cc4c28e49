package deskera

import (
	"sync"
	"testing"
)

// TestTokenHeaderValue: the x-access-token value is built once per token
// and shared by the requests that send it; a new token gets its own, and
// concurrent callers always get their token's value.
func TestTokenHeaderValue(t *testing.T) {
	ts := &tokenSource{}
	a := ts.headerValue("token-a")
	if len(a) != 1 || a[0] != "token-a" {
		t.Fatalf("headerValue(token-a) = %q", a)
	}
	if again := ts.headerValue("token-a"); &again[0] != &a[0] {
		t.Error("the same token's value was built again")
	}
	if n := testing.AllocsPerRun(100, func() { _ = ts.headerValue("token-a") }); n != 0 {
		t.Errorf("headerValue of the current token: %v allocations, want 0", n)
	}
	if b := ts.headerValue("token-b"); len(b) != 1 || b[0] != "token-b" {
		t.Fatalf("headerValue(token-b) = %q", b)
	}
	if a[0] != "token-a" {
		t.Errorf("a new token changed the value handed out before: %q", a)
	}
	var wg sync.WaitGroup
	for _, tok := range []secret{"token-a", "token-b", "token-c"} {
		wg.Go(func() {
			for range 200 {
				if v := ts.headerValue(tok); len(v) != 1 || v[0] != tok.reveal() {
					t.Errorf("headerValue(%s) = %q", tok.reveal(), v)
					return
				}
			}
		})
	}
	wg.Wait()
}
