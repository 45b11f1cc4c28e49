package ruletest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// Result is the outcome of one case.
type Result struct {
	File string
	Name string
	Line int
	// Failures are the mismatches, each possibly several lines (a diff).
	Failures []string
	Duration time.Duration
}

// Passed reports whether the case passed.
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// Options configure RunFile.
type Options struct {
	// LookupEnv resolves ${VAR} not given in the file's env: the
	// command's Env. nil resolves only the file's env.
	LookupEnv func(string) (string, bool)
	// Run, when set, keeps only the cases it accepts (by name).
	Run func(name string) bool
}

// RunFile runs every case of f. The error is for problems that stop the
// whole file (the rules file does not load).
func RunFile(ctx context.Context, f *File, opts Options) ([]Result, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	lookup := func(name string) (string, bool) {
		if v, ok := f.Env[name]; ok {
			return v, true
		}
		return opts.LookupEnv(name)
	}
	set, err := rules.LoadFile(f.resolve(f.Rules), rules.WithLookupEnv(lookup))
	if err != nil {
		return nil, fmt.Errorf("%s: the rules file under test does not load:\n%w", f.Path, err)
	}
	var out []Result
	for i := range f.Tests {
		c := &f.Tests[i]
		if opts.Run != nil && !opts.Run(c.Name) {
			continue
		}
		start := time.Now()
		res := Result{File: f.Path, Name: c.Name, Line: c.Line}
		obs := runCase(ctx, f, set, c)
		res.Failures = compare(&c.Expect, obs)
		res.Duration = time.Since(start)
		out = append(out, res)
	}
	return out, nil
}

// observed is what a case produced.
type observed struct {
	event    *rules.Event
	plan     *rules.Plan
	results  []engine.ActionResult
	calls    []engine.Call
	sweep    *engine.SweepResult
	contacts []map[string]any
	err      error
}

// Sandbox is an in-memory Deskera seeded with a CRM state, and an engine
// prepared on it: what a case runs on, and what `leadhook eval` plans
// with (so label ids are resolved as in a running service).
type Sandbox struct {
	Fake   *deskeratest.Fake
	Client *deskera.Client
	Engine *engine.Engine
}

// NewSandbox builds a Sandbox: the state's labels and the set's declared
// labels exist, the state's contacts are added, the engine is prepared
// and the request counts are reset. now is the fake's and engine's clock.
func NewSandbox(ctx context.Context, set *rules.Set, state *CRMState, now time.Time) (*Sandbox, error) {
	clock := func() time.Time { return now }
	fake := deskeratest.New(deskeratest.WithClock(clock))
	client, err := deskera.NewClient(
		deskera.WithBaseURL("http://deskera.test"), deskera.WithAccessToken(deskeratest.DefaultToken),
		deskera.WithHTTPClient(&http.Client{Transport: fake.Transport()}), deskera.WithRetry(1, time.Second))
	if err != nil {
		return nil, err
	}
	if state == nil {
		state = &CRMState{}
	}
	if err := seed(ctx, fake, client, set, state); err != nil {
		return nil, fmt.Errorf("starting CRM state: %w", err)
	}
	eng, err := engine.NewEngine(client, engine.WithClock(clock))
	if err != nil {
		return nil, err
	}
	if err := eng.Prepare(ctx, set); err != nil {
		return nil, err
	}
	fake.ResetCounts()
	return &Sandbox{Fake: fake, Client: client, Engine: eng}, nil
}

func runCase(ctx context.Context, f *File, set *rules.Set, c *Case) *observed {
	obs := &observed{}
	state := c.CRM
	if state == nil {
		state = f.CRM
	}
	env, err := NewSandbox(ctx, set, state, f.Now)
	if err != nil {
		obs.err = err
		return obs
	}
	defer func() { obs.contacts = contactViews(env.Fake) }()
	if c.Sweep {
		obs.sweep, obs.err = env.Engine.Sweep(ctx, set, engine.SweepOptions{DryRun: c.DryRun})
		if obs.sweep != nil {
			obs.calls = obs.sweep.Calls
		}
		return obs
	}
	if c.Event != nil {
		ev, err := inlineEvent(f, c)
		if err != nil {
			obs.err = err
			return obs
		}
		out, err := env.Engine.Process(ctx, set, ev, c.DryRun)
		obs.record(ev, out, err)
		return obs
	}
	post, err := casePost(f, c)
	if err != nil {
		obs.err = err
		return obs
	}
	d, err := Deliver(ctx, set, env.Engine, post)
	if err != nil {
		obs.err = err
		return obs
	}
	for i, ev := range d.Events {
		obs.record(ev, d.Outcomes[i], d.Errors[i])
		if obs.err != nil {
			break
		}
	}
	return obs
}

// record keeps what one event produced; for several events the plan is
// the last one's and the calls add up.
func (obs *observed) record(ev *rules.Event, out *engine.Outcome, err error) {
	obs.event = ev
	if out != nil {
		obs.plan, obs.results = out.Plan, out.Results
		obs.calls = append(obs.calls, out.Calls...)
	}
	obs.err = err
}

// casePost is the case's payload, posted to its source.
func casePost(f *File, c *Case) (Post, error) {
	body := []byte(c.Body)
	if c.Payload != "" {
		var err error
		if body, err = os.ReadFile(f.resolve(c.Payload)); err != nil {
			return Post{}, fmt.Errorf("payload: %w", err)
		}
	}
	header := http.Header{}
	for k, v := range c.Headers {
		header.Set(k, v)
	}
	return Post{Source: c.Source, Header: header, Body: body, Now: f.Now, Verify: c.Verify, DryRun: c.DryRun}, nil
}

// GuessContentType guesses a payload's media type: JSON, multipart (the
// boundary taken from the first line) or a URL-encoded form.
func GuessContentType(body []byte) string {
	s := strings.TrimLeft(string(body), " \t\r\n")
	switch {
	case strings.HasPrefix(s, "{") || strings.HasPrefix(s, "["):
		return "application/json"
	case strings.HasPrefix(s, "--"):
		line, _, _ := strings.Cut(s, "\n")
		return "multipart/form-data; boundary=" + strings.TrimSpace(strings.TrimPrefix(line, "--"))
	}
	return "application/x-www-form-urlencoded"
}

// inlineEvent decodes a case's inline event (the keys of its JSON form);
// source, id and received_at default to the case's.
func inlineEvent(f *File, c *Case) (*rules.Event, error) {
	data, err := json.Marshal(normalize(c.Event))
	if err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	ev := &rules.Event{}
	if err := dec.Decode(ev); err != nil {
		return nil, fmt.Errorf("event: %w (keys: id, source, kind, received_at, email, name, phone, company, fields, mail, headers, query, contact_id)", err)
	}
	ev.Source = cmp.Or(ev.Source, c.Source, "test")
	ev.ID = cmp.Or(ev.ID, "test")
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = f.Now
	}
	return ev, nil
}

// errText is err's message ("" for nil).
func errText(err error) string {
	if err == nil {
		return ""
	}
	var le *rules.LoadError
	if errors.As(err, &le) {
		return le.Error()
	}
	return err.Error()
}
