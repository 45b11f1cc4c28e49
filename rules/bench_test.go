package rules_test

import (
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// BenchmarkEvaluate evaluates a hot website lead against rules.example.yaml
// (target: <= 10 µs and <= 50 allocs per event).
func BenchmarkEvaluate(b *testing.B) {
	set := mustLoad(b, "../rules.example.yaml")
	ev := hotLead("jane@acme.io")
	ev.Phone = "+65 8575 8458"
	b.ReportAllocs()
	for b.Loop() {
		set.Evaluate(ev, nil)
	}
}

// BenchmarkEvaluateKnownContact evaluates an inbound email from a known contact.
func BenchmarkEvaluateKnownContact(b *testing.B) {
	set := mustLoad(b, "../rules.example.yaml")
	ev := &rules.Event{Kind: rules.KindEmail, Email: "li@corp.com", Mail: rules.Mail{From: "li@corp.com", Subject: "Quote for 50 seats"}}
	c := &rules.Contact{ID: 5, Email: "li@corp.com", Label: "Warm lead"}
	b.ReportAllocs()
	for b.Loop() {
		set.Evaluate(ev, c)
	}
}

func BenchmarkRoute(b *testing.B) {
	owners := pool(5)
	b.ReportAllocs()
	for b.Loop() {
		rules.Route(owners, "jane@acme.io")
	}
}
