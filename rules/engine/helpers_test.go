package engine_test

import "github.com/leadhook/leadhook/rules/internal/fixture"

var (
	mustLoad  = fixture.Load
	formEvent = fixture.FormEvent
	hotLead   = fixture.HotLead
	noEnv     = fixture.NoEnv
)
