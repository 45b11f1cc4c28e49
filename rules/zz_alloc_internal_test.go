package rules

import (
	"testing"
	"time"
)

func TestZZAllocs(t *testing.T) {
	set, err := LoadFile("../rules.example.yaml", WithLookupEnv(func(string) (string, bool) { return "", false }))
	if err != nil {
		t.Fatal(err)
	}
	evs := map[string]*Event{
		"form": {ID: "d1", Source: "website", Kind: KindForm, Email: "jane@acme.io", Name: "Jane Doe", Phone: "+65 8575 8458",
			ReceivedAt: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), Fields: map[string]any{"budget": "$20,000", "message": "pricing please", "company_size": "80"}},
		"mail": {Kind: KindEmail, Email: "li@corp.com", Mail: Mail{From: "li@corp.com", Subject: "Quote for 50 seats"}},
	}
	for name, ev := range evs {
		r := set.getRunner(ev, nil)
		for _, sc := range set.scores {
			n := testing.AllocsPerRun(100, func() { r.run(sc.prog) })
			t.Logf("%s score %s: %v", name, sc.name, n)
		}
		for _, rl := range set.rules {
			n := testing.AllocsPerRun(100, func() { r.run(rl.when) })
			t.Logf("%s when %s: %v  %s", name, rl.name, n, rl.whenSrc)
			for _, a := range rl.actions {
				for _, se := range a.set {
					n := testing.AllocsPerRun(100, func() { r.run(se.prog) })
					t.Logf("%s   set %s: %v", name, se.spec.Name, n)
				}
				for _, ce := range a.custom {
					n := testing.AllocsPerRun(100, func() { r.run(ce.prog) })
					t.Logf("%s   custom %s: %v", name, ce.key, n)
				}
			}
		}
	}
}
