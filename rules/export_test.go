package rules

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr"
)

// RunExample runs a documented helper example against the example env.
func RunExample(src string) (string, error) {
	prog, err := compileExpr(src, kindAny)
	if err != nil {
		return "", err
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	env := &Env{
		Event: &Event{Kind: KindForm, Email: "jane@acme.io", Name: "Jane Doe", Phone: "+65 8575 8458", ReceivedAt: now,
			Fields: map[string]any{"budget": "12000"}, Mail: Mail{Subject: "Pricing for 50 seats"}},
		Contact: &Contact{ID: 1, CreatedAt: now.AddDate(0, 0, -30)},
	}
	out, err := expr.Run(prog, env)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(out), nil
}

// DecoderKeys exposes the keys each documented section's decoder accepts.
func DecoderKeys(s Section) []string { return s.decoderKeys() }

// AuthKeys exposes authKeys to the schema tests.
var AuthKeys = authKeys

// Waiting is how many deliveries for the contact key have joined the
// engine's handoff (waiting for or holding the key's lock).
func (e *Engine) Waiting(key string) int { return e.hand.waiting(key) }
