package handlers_test

import (
	"testing"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/history/historytest"
)

// BenchmarkServiceHandleHistory is BenchmarkServiceHandle/e2e (a new
// contact per delivery on the in-process fake) without history (the
// baseline), recording each delivery to an SQLite history file, and
// recording it with shadow rules (rules.example.yaml again) evaluated too.
// Compare the variants as ratios of the baseline of the same run.
func BenchmarkServiceHandleHistory(b *testing.B) {
	variants := []struct {
		name string
		opt  func(*handlers.Config)
	}{
		{"none", func(*handlers.Config) {}},
		{"sqlite", func(c *handlers.Config) { c.History = historytest.SQLite(b) }},
		{"sqlite+shadow", func(c *handlers.Config) {
			c.History = historytest.SQLite(b)
			set := handlerstest.Rules(b, "../rules.example.yaml")
			c.Shadow = set
		}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			svc, _ := benchService(b, v.opt)
			benchNewContacts(b, svc)
		})
	}
}
