package engine_test

import (
	"context"
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
