package ruletest

import (
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
	"github.com/leadhook/leadhook/handlers/webhook"
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
	// LookupEnv resolves ${VAR} not given in the file's env (default
	// os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Run, when set, keeps only the cases it accepts (by name).
	Run func(name string) bool
}

// RunFile runs every case of f. The error is for problems that stop the
// whole file (the rules file does not load).
func RunFile(ctx context.Context, f *File, opts Options) ([]Result, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
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
	events, err := caseEvents(f, set, c)
	if err != nil {
		obs.err = err
		return obs
	}
	for i := range events {
		ev := &events[i]
		out, err := env.Engine.Process(ctx, set, ev, c.DryRun)
		obs.event = ev
		if out != nil {
			obs.plan, obs.results = out.Plan, out.Results
			obs.calls = append(obs.calls, out.Calls...)
		}
		if err != nil {
			obs.err = err
			return obs
		}
	}
	return obs
}

// caseEvents builds the case's events: parsed from the payload, or the
// inline event.
func caseEvents(f *File, set *rules.Set, c *Case) ([]rules.Event, error) {
	if c.Event != nil {
		ev, err := inlineEvent(c.Event)
		if err != nil {
			return nil, err
		}
		ev.Source = firstNonEmpty(ev.Source, c.Source, "test")
		ev.ID = firstNonEmpty(ev.ID, "test")
		if ev.ReceivedAt.IsZero() {
			ev.ReceivedAt = f.Now
		}
		return []rules.Event{*ev}, nil
	}
	body := []byte(c.Body)
	if c.Payload != "" {
		var err error
		if body, err = os.ReadFile(f.resolve(c.Payload)); err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
	}
	header := http.Header{}
	for k, v := range c.Headers {
		header.Set(k, v)
	}
	return ParsePayload(set, c.Source, header, body, f.Now, c.Verify)
}

// ParsePayload turns a raw payload posted to source into events, as the
// service does (the signature is checked only when verify is set). A
// missing Content-Type is guessed from the body.
func ParsePayload(set *rules.Set, source string, header http.Header, body []byte, now time.Time, verify bool) ([]rules.Event, error) {
	src, ok := set.Source(source)
	if !ok {
		return nil, fmt.Errorf("unknown source %q; the rules file declares: %s", source, sourceNames(set))
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", GuessContentType(body))
	}
	opts := webhook.Options{Now: func() time.Time { return now }}
	req := &webhook.Request{Method: http.MethodPost, Path: "/hooks/" + source, Header: header,
		Query: map[string][]string{}, Body: body, RemoteIP: "127.0.0.1", ReceivedAt: now}
	if verify {
		v, err := webhook.NewVerifier(src, opts)
		if err == nil {
			err = v.Verify(req)
		}
		if err != nil {
			detail := ""
			if msg := err.Error(); msg != ErrAuth.Error() {
				detail = " (" + msg + ")"
			}
			return nil, fmt.Errorf("%w for source %q (auth %s%s): the payload's signature or token does not match the rules file's secret%s",
				ErrAuth, source, src.Auth.Type, headerNote(src.Auth.Header), detail)
		}
	}
	p, err := webhook.NewParser(src, opts)
	if err != nil {
		return nil, err
	}
	parsed, err := p.Parse(req)
	if err != nil {
		return nil, fmt.Errorf("the payload is not valid %s: %w", src.Format, err)
	}
	if parsed.Reply != nil {
		return nil, fmt.Errorf("the payload is a %s protocol message answered with HTTP %d, not an event", src.Format, parsed.Reply.Status)
	}
	for i := range parsed.Events {
		ev := &parsed.Events[i]
		if ev.ID == "" {
			ev.ID = firstNonEmpty(parsed.DeliveryID, "payload")
			if len(parsed.Events) > 1 {
				ev.ID += fmt.Sprintf("#%d", i)
			}
		}
	}
	return parsed.Events, nil
}

// ErrAuth is returned by ParsePayload when verification fails.
var ErrAuth = errors.New("authentication failed")

func headerNote(h string) string {
	if h == "" {
		return ""
	}
	return ", header " + h
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

func sourceNames(set *rules.Set) string {
	var names []string
	for _, s := range set.Sources() {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// inlineEvent decodes an inline event (the keys of its JSON form).
func inlineEvent(m map[string]any) (*rules.Event, error) {
	data, err := json.Marshal(normalize(m))
	if err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	ev := &rules.Event{}
	if err := dec.Decode(ev); err != nil {
		return nil, fmt.Errorf("event: %w (keys: id, source, kind, received_at, email, name, phone, company, fields, mail, headers, query, contact_id)", err)
	}
	return ev, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
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
