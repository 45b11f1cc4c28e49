package engine_test

import (
	"context"
	"maps"
	"testing"

	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
	"github.com/leadhook/leadhook/rules/internal/fixture"
)

var (
	mustLoad   = fixture.Load
	formEvent  = fixture.FormEvent
	hotLead    = fixture.HotLead
	poolOwners = fixture.PoolOwners
	noEnv      = fixture.NoEnv
)

// wantCalls fails t unless got, a fake's calls per operation, is want.
func wantCalls(t *testing.T, got, want map[string]int) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
}

// wantOutcome fails t for each result of out whose outcome is not want.
func wantOutcome(t *testing.T, out *engine.Outcome, want string) {
	t.Helper()
	for _, r := range out.Results {
		if r.Outcome != want {
			t.Errorf("result %+v, want %s", r, want)
		}
	}
}

// prepared is an engine on crm, prepared for rules.example.yaml.
func prepared(tb testing.TB, crm engine.CRM, opts ...engine.EngineOption) (*engine.Engine, *rules.Set) {
	tb.Helper()
	set := mustLoad(tb, "../../rules.example.yaml")
	return preparedWith(tb, set, crm, opts...), set
}

// preparedWith is an engine on crm, prepared for set.
func preparedWith(tb testing.TB, set *rules.Set, crm engine.CRM, opts ...engine.EngineOption) *engine.Engine {
	tb.Helper()
	eng, err := engine.NewEngine(crm, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	if err := eng.Prepare(context.Background(), set); err != nil {
		tb.Fatalf("prepare: %v", err)
	}
	return eng
}
