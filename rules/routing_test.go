package rules_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("lead%d@example.com", i)
	}
	return out
}

func pool(n int) []rules.Owner {
	out := make([]rules.Owner, n)
	for i := range out {
		out[i] = rules.Owner{ID: int64(1000 + i), Weight: 1}
	}
	return out
}

// TestRouteStability checks the rendezvous property over 10,000 keys:
// adding an owner to a pool of N moves about 1/(N+1) of the keys, all of
// them to the new owner, and removing one moves only that owner's keys.
func TestRouteStability(t *testing.T) {
	ks := keys(10000)
	for _, n := range []int{2, 3, 5, 10} {
		t.Run(fmt.Sprintf("add to %d", n), func(t *testing.T) {
			before, after := pool(n), pool(n+1)
			newID := after[n].ID
			moved := 0
			for _, k := range ks {
				a, b := rules.Route(before, k), rules.Route(after, k)
				if a != b {
					moved++
					if b != newID {
						t.Fatalf("key %q moved from %d to %d, not to the new owner", k, a, b)
					}
				}
			}
			got, want := float64(moved)/float64(len(ks)), 1/float64(n+1)
			if math.Abs(got-want) > 0.02 {
				t.Errorf("moved %.3f of keys, want about %.3f", got, want)
			}
		})
	}
	t.Run("remove", func(t *testing.T) {
		full, less := pool(5), pool(4)
		for _, k := range ks {
			a, b := rules.Route(full, k), rules.Route(less, k)
			if a != b && a != full[4].ID {
				t.Fatalf("key %q moved from %d to %d though its owner stayed", k, a, b)
			}
		}
	})
}

func TestRouteBalanceAndWeights(t *testing.T) {
	ks := keys(10000)
	owners := []rules.Owner{{ID: 1, Weight: 1}, {ID: 2, Weight: 1}, {ID: 3, Weight: 2}}
	count := map[int64]int{}
	for _, k := range ks {
		count[rules.Route(owners, k)]++
	}
	for id, want := range map[int64]float64{1: 0.25, 2: 0.25, 3: 0.5} {
		if got := float64(count[id]) / float64(len(ks)); math.Abs(got-want) > 0.02 {
			t.Errorf("owner %d got %.3f of keys, want %.2f", id, got, want)
		}
	}
	// Deterministic and independent of pool order.
	rev := []rules.Owner{owners[2], owners[0], owners[1]}
	for _, k := range ks[:1000] {
		if rules.Route(owners, k) != rules.Route(rev, k) {
			t.Fatalf("route of %q depends on pool order", k)
		}
	}
	if got := rules.Route(nil, "x"); got != 0 {
		t.Errorf("empty pool = %d, want 0", got)
	}
}
