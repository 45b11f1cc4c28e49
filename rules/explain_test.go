package rules_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// stepLines renders steps as "depth|expr = value" (or "(skipped: why)",
// "-> error") for comparison.
func stepLines(steps []rules.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		var v string
		switch {
		case s.Skipped != "":
			v = "(" + s.Skipped + ")"
		case s.Error != "":
			v = "-> error"
		default:
			b, _ := json.Marshal(s.Value)
			v = "= " + string(b)
		}
		out[i] = fmt.Sprintf("%d|%s %s", s.Depth, s.Expr, v)
	}
	return out
}

func TestExplainExpr(t *testing.T) {
	ev := &rules.Event{Kind: "form", Email: "jane@acme.io", Fields: map[string]any{"budget": "12000"}}
	tests := []struct {
		name string
		src  string
		env  *rules.Env
		want []string
	}{
		{
			name: "comparison operands",
			src:  `event.kind == "form" && email_valid(event.email)`,
			env:  &rules.Env{Event: ev},
			want: []string{
				`0|event.kind == "form" && email_valid(event.email) = true`,
				`1|event.kind == "form" = true`,
				`2|event.kind = "form"`,
				`1|email_valid(event.email) = true`,
				`2|event.email = "jane@acme.io"`,
			},
		},
		{
			name: "short circuit: the right side of a false && is not evaluated",
			src:  `contact != nil && contact.owner_id == 0`,
			env:  &rules.Env{Event: ev},
			want: []string{
				`0|contact != nil && contact.owner_id == 0 = false`,
				`1|contact != nil = false`,
				`2|contact = null`,
				`1|contact.owner_id == 0 (not evaluated: the left side is false)`,
			},
		},
		{
			name: "let variables and the branch not taken",
			src:  `let b = number(field("budget")); b >= 10000 ? 40 : 0`,
			env:  &rules.Env{Event: ev},
			want: []string{
				`0|let b = number(field("budget")); b >= 10000 ? 40 : 0 = 40`,
				`1|b = number(field("budget")) = 12000`,
				`2|field("budget") = "12000"`,
				`1|b >= 10000 ? 40 : 0 = 40`,
				`2|b >= 10000 = true`,
				`3|b = 12000`,
			},
		},
		{
			name: "score variables and ??",
			src:  `score >= 60 || (contact?.label ?? "") == "Hot lead"`,
			env:  &rules.Env{Event: ev, Score: 20},
			want: []string{
				`0|score >= 60 || (contact?.label ?? "") == "Hot lead" = false`,
				`1|score >= 60 = false`,
				`2|score = 20`,
				`1|(contact?.label ?? "") == "Hot lead" = false`,
				`2|contact?.label ?? "" = ""`,
				`3|contact?.label = null`,
			},
		},
		{
			name: "runtime error is reported on the failing sub-expression",
			src:  `int(event.fields.budget) > 5 && int(event.name) > 1`,
			env:  &rules.Env{Event: ev},
			want: []string{
				`0|int(event.fields.budget) > 5 && int(event.name) > 1 -> error`,
				`1|int(event.fields.budget) > 5 = true`,
				`2|int(event.fields.budget) = 12000`,
				`3|event.fields.budget = "12000"`,
				`1|int(event.name) > 1 -> error`,
				`2|int(event.name) -> error`,
				`3|event.name = ""`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := rules.ExplainExpr(tt.src, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			got := stepLines(steps)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestExplainExprSyntaxError(t *testing.T) {
	if _, err := rules.ExplainExpr(`event.kind ==`, &rules.Env{}); err == nil {
		t.Fatal("want a parse error")
	}
}

const explainRules = `labels: [Hot lead]
scores:
  budget: 'number(field("budget")) >= 10000 ? 40 : 0'
thresholds:
  Hot lead: 30
rules:
  - name: off
    enabled: false
    when: 'true'
    actions: [{assign_label: Hot lead}]
  - name: hot
    when: 'score >= 30 && event.kind == "form"'
    actions: [{assign_label: Hot lead}]
    stop: true
  - name: after-stop
    when: 'true'
    actions: [{assign_label: Hot lead}]
  - name: boom
    when: 'int(event.name) > 1'
    actions: [{assign_label: Hot lead}]
`

func TestSetExplain(t *testing.T) {
	set, err := rules.Load("explain.yaml", []byte(strings.Replace(explainRules, "    stop: true\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	ev := &rules.Event{Kind: "form", Name: "Jane", Fields: map[string]any{"budget": "12000"}, ReceivedAt: time.Now()}
	x := set.Explain(ev, nil)
	if len(x.Scores) != 1 || x.Scores[0].Name != "budget" || x.Scores[0].Value != 40.0 || len(x.Scores[0].Steps) == 0 {
		t.Errorf("scores: %+v", x.Scores)
	}
	want := map[string]string{"off": rules.ResultSkipped, "hot": rules.ResultMatched, "after-stop": rules.ResultMatched, "boom": rules.ResultError}
	for _, r := range x.Rules {
		if r.Result != want[r.Name] {
			t.Errorf("rule %s: %s, want %s", r.Name, r.Result, want[r.Name])
		}
	}
	hot := x.Rules[1]
	if len(hot.Steps) < 3 || hot.Steps[2].Expr != "score" || hot.Steps[2].Value != 40.0 {
		t.Errorf("hot steps should show score = 40 (rules see the total): %+v", hot.Steps)
	}
	if x.Rules[3].Reason == "" {
		t.Error("an errored rule has its error as the reason")
	}
}

func TestSetExplainStoppedRule(t *testing.T) {
	set, err := rules.Load("explain.yaml", []byte(explainRules))
	if err != nil {
		t.Fatal(err)
	}
	x := set.Explain(&rules.Event{Kind: "form", Fields: map[string]any{"budget": "12000"}}, nil)
	r := x.Rules[2]
	if r.Result != rules.ResultSkipped || !strings.Contains(r.Reason, `stopped by rule "hot"`) || len(r.Steps) != 0 {
		t.Errorf("after-stop: %+v", r)
	}
}

func BenchmarkExplain(b *testing.B) {
	set, err := rules.LoadFile("../rules.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ev := &rules.Event{Kind: "form", Email: "jane@acme.io", Fields: map[string]any{"budget": "12000"}}
	for b.Loop() {
		set.Explain(ev, nil)
	}
}
