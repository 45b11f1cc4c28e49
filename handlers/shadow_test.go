package handlers_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/history/historytest"
)

// budgets of the shadow test's deliveries: live thresholds Hot lead at
// 60, the candidate's at 80, so exactly 60, 65 and 79 change label.
var shadowBudgets = []int{10, 59, 60, 65, 79, 80, 95}

func postSurveys(t *testing.T, h *harness) {
	t.Helper()
	for i, b := range shadowBudgets {
		body := fmt.Sprintf(`{"email":"lead%d@example.com","submission_id":"s-%d","budget":%d}`, i, i, b)
		wantStatus(t, h.post("/hooks/survey", "application/json", body, nil), 200)
	}
}

func TestShadowReportsExactlyTheLabelChangesAndActsOnNone(t *testing.T) {
	store := historytest.SQLite(t)
	shadowed := newHarnessSetup(t, harnessSetup{rules: "testdata/shadow/live.yaml"},
		withHistory(store), withShadow(t, "testdata/shadow/candidate.yaml"))
	postSurveys(t, shadowed)
	plain := newHarnessSetup(t, harnessSetup{rules: "testdata/shadow/live.yaml"})
	postSurveys(t, plain)

	// Acts on none: the same Deskera calls and contacts as without shadow.
	if got, want := shadowed.deskera.Counts(), plain.deskera.Counts(); !maps.Equal(got, want) {
		t.Fatalf("deskera calls with shadow %v, without %v", got, want)
	}
	labels := func(h *harness) map[string]int64 {
		out := map[string]int64{}
		for _, c := range h.deskera.Contacts() {
			out[c.Email] = int64(c.LabelID)
		}
		return out
	}
	if !maps.Equal(labels(shadowed), labels(plain)) {
		t.Fatalf("contacts differ: %v vs %v", labels(shadowed), labels(plain))
	}

	recs, err := store.List(context.Background(), history.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var differ []string
	for _, r := range recs {
		e := r.Events[0]
		if e.Shadow == nil {
			t.Fatalf("%s: no shadow evaluation", r.DeliveryID)
		}
		if r.ShadowDiffers != (len(e.Shadow.Differences) > 0) {
			t.Fatalf("%s: shadow_differs %v with differences %v", r.DeliveryID, r.ShadowDiffers, e.Shadow.Differences)
		}
		if r.ShadowDiffers {
			differ = append(differ, r.DeliveryID)
			if !slices.Equal(e.Shadow.Differences, []string{"label", "planned"}) || e.Label != "Hot lead" || e.Shadow.Label != "Warm lead" {
				t.Errorf("%s: live %q shadow %q differences %v", r.DeliveryID, e.Label, e.Shadow.Label, e.Shadow.Differences)
			}
		}
	}
	slices.Sort(differ)
	if want := []string{"submission_id:s-2", "submission_id:s-3", "submission_id:s-4"}; !slices.Equal(differ, want) {
		t.Fatalf("deliveries whose label would change: %v, want %v (budgets 60, 65 and 79)", differ, want)
	}
	if got := counterVecValue(t, shadowed, "leadhook_shadow_differences_total", "difference", "label"); got != 3 {
		t.Fatalf("shadow_differences_total{difference=label} = %v, want 3", got)
	}
	if got := counterVecValue(t, shadowed, "leadhook_shadow_differences_total", "difference", "owner"); got != 0 {
		t.Fatalf("shadow_differences_total{difference=owner} = %v, want 0", got)
	}
	if got := counterValue(t, shadowed, "leadhook_shadow_events_total"); got != float64(len(shadowBudgets)) {
		t.Fatalf("shadow_events_total = %v", got)
	}
}

func counterVecValue(t *testing.T, h *harness, name, label, value string) float64 {
	t.Helper()
	mfs, err := h.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			for _, lp := range m.Label {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no metric %s{%s=%q}", name, label, value)
	return 0
}
