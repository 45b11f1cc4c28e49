package engine_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// benchEngine is an engine on the in-process fake Deskera (no sockets,
// no rate limit) with rules.example.yaml's labels prepared.
func benchEngine(b *testing.B) (*engine.Engine, *rules.Set, *deskeratest.Fake) {
	b.Helper()
	fake := deskeratest.New()
	eng, set := prepared(b, fakeClient(b, fake))
	return eng, set, fake
}

// fakeClient is a Deskera client on fake in process: no sockets, no rate
// limit.
func fakeClient(tb testing.TB, fake *deskeratest.Fake) *deskera.Client {
	tb.Helper()
	client, err := deskera.NewClient(deskera.WithBaseURL("http://deskera.invalid"),
		deskera.WithAccessToken(deskeratest.DefaultToken), deskera.WithRateLimit(0, 0),
		deskera.WithHTTPClient(&http.Client{Transport: fake.Transport()}))
	if err != nil {
		tb.Fatal(err)
	}
	return client
}

// BenchmarkProcessDryRun is evaluation plus plan merging into the one
// POST a new hot lead needs, without calling Deskera.
func BenchmarkProcessDryRun(b *testing.B) {
	eng, set, _ := benchEngine(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := eng.Process(ctx, set, hotLead("jane@acme.io"), true)
		if err != nil || len(out.Calls) != 2 {
			b.Fatalf("dry run: %v, %d calls", err, len(out.Calls))
		}
	}
}

// BenchmarkProcessNewLead is the whole engine path for a new hot lead:
// search, evaluate, merge, create, against the in-process fake (whose
// store grows by one contact per iteration).
func BenchmarkProcessNewLead(b *testing.B) {
	eng, set, _ := benchEngine(b)
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		if _, err := eng.Process(ctx, set, hotLead("lead"+strconv.Itoa(n)+"@acme.io"), false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcessExistingUnchanged is a repeat of a lead already in the
// CRM with nothing to change: the search only.
func BenchmarkProcessExistingUnchanged(b *testing.B) {
	eng, set, _ := benchEngine(b)
	ctx := context.Background()
	if _, err := eng.Process(ctx, set, hotLead("jane@acme.io"), false); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := eng.Process(ctx, set, hotLead("jane@acme.io"), false); err != nil {
			b.Fatal(err)
		}
	}
}
