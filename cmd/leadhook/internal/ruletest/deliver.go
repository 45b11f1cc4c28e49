package ruletest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// ErrAuth is returned by Deliver when the service refuses the payload's
// signature or token (HTTP 401).
var ErrAuth = errors.New("authentication failed")

// Post is a raw payload posted to a source.
type Post struct {
	Source string
	Header http.Header
	Body   []byte
	// Now is the delivery's received_at and the verifiers' clock.
	Now time.Time
	// Verify checks the signature or token as a live delivery is checked;
	// without it the delivery is admitted as the service's dry run
	// admits one (an admin token instead of the source's credentials).
	Verify bool
	// DryRun plans without changing the CRM.
	DryRun bool
}

// Delivery is what the service did with a Post: every event as the
// engine saw it (ids chosen by the service) with its outcome.
type Delivery struct {
	Events   []*rules.Event
	Outcomes []*engine.Outcome
	Errors   []error
}

// Err is the first event's error, nil when every event went through.
func (d *Delivery) Err() error {
	for _, err := range d.Errors {
		if err != nil {
			return err
		}
	}
	return nil
}

// Engine runs the rules for the service: *engine.Engine.
type Engine interface {
	handlers.Processor
	handlers.BatchProcessor
}

// Deliver posts p to the real handlers.Service built on set and engine,
// the path every live delivery takes: verification (or the dry run's
// admin token), parsing, the browser screening, the delivery and event
// ids, then the engine. A missing Content-Type is guessed from the body.
// The error is for a payload the service answered without an event.
func Deliver(ctx context.Context, set *rules.Set, eng Engine, p Post) (*Delivery, error) {
	src, ok := set.Source(p.Source)
	if !ok {
		return nil, fmt.Errorf("unknown source %q; the rules file declares: %s", p.Source, SourceNames(set))
	}
	rec := &recorder{engine: eng, dryRun: p.DryRun}
	token := rand.Text() // admits this one delivery as the service's dry run
	svc, err := handlers.NewService(handlers.Config{Rules: set, Engine: rec, AdminToken: token,
		Logger: slog.New(slog.DiscardHandler), Webhook: webhook.Options{Now: func() time.Time { return p.Now }}})
	if err != nil {
		return nil, err
	}
	header := p.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", GuessContentType(p.Body))
	}
	if !p.Verify {
		header.Set("Authorization", "Bearer "+token)
	}
	req := &webhook.Request{Method: http.MethodPost, Path: "/hooks/" + p.Source, Header: header,
		Query: map[string][]string{}, Body: p.Body, RemoteIP: "127.0.0.1", ReceivedAt: p.Now}
	resp := svc.Handle(ctx, p.Source, req, !p.Verify)
	if len(rec.d.Events) > 0 {
		return &rec.d, nil
	}
	return &rec.d, refused(src, resp)
}

// refused explains an answer the service gave without running an event.
func refused(src rules.Source, resp handlers.Response) error {
	var body struct {
		Error   string            `json:"error"`
		Field   string            `json:"field"`
		Events  *[]map[string]any `json:"events"`
		EventID string            `json:"event_id"`
	}
	raw, _ := resp.Body.(json.RawMessage)
	_ = json.Unmarshal(raw, &body)
	msg := body.Error
	if body.Field != "" {
		msg = body.Field + ": " + msg
	}
	switch {
	case resp.Status == http.StatusUnauthorized:
		header := ""
		if src.Auth.Header != "" {
			header = ", header " + src.Auth.Header
		}
		return fmt.Errorf("%w for source %q (auth %s%s): the payload's signature or token does not match the rules file's secret",
			ErrAuth, src.Name, src.Auth.Type, header)
	case resp.Status == http.StatusBadRequest || resp.Status == http.StatusUnsupportedMediaType:
		return fmt.Errorf("the payload is not valid %s: %s", src.Format, msg)
	case resp.Status >= 400:
		return fmt.Errorf("the service answered HTTP %d: %s", resp.Status, msg)
	case body.Events != nil && len(*body.Events) == 0:
		return nil // a delivery of no events
	case body.EventID != "":
		return fmt.Errorf("the service answered HTTP %d without running the rules: the browser screening of source %q took it for spam", resp.Status, src.Name)
	}
	return fmt.Errorf("the payload is a %s protocol message answered with HTTP %d, not an event", src.Format, resp.Status)
}

// recorder is the engine the service drives: it runs the real engine in
// the case's mode and keeps each event and outcome.
type recorder struct {
	engine Engine
	dryRun bool
	mu     sync.Mutex
	d      Delivery
}

var _ handlers.BatchProcessor = (*recorder)(nil)

func (r *recorder) Process(ctx context.Context, set *rules.Set, ev *rules.Event, _ bool) (*engine.Outcome, error) {
	outs, errs := r.ProcessBatch(ctx, set, []*rules.Event{ev}, r.dryRun)
	return outs[0], errs[0]
}

func (r *recorder) ProcessBatch(ctx context.Context, set *rules.Set, evs []*rules.Event, _ bool) ([]*engine.Outcome, []error) {
	var outs []*engine.Outcome
	var errs []error
	if len(evs) == 1 {
		out, err := r.engine.Process(ctx, set, evs[0], r.dryRun)
		outs, errs = []*engine.Outcome{out}, []error{err}
	} else {
		outs, errs = r.engine.ProcessBatch(ctx, set, evs, r.dryRun)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.d.Events = append(r.d.Events, evs...)
	r.d.Outcomes = append(r.d.Outcomes, outs...)
	r.d.Errors = append(r.d.Errors, errs...)
	return outs, errs
}

// SourceNames lists the rules file's sources for messages.
func SourceNames(set *rules.Set) string {
	var names []string
	for _, s := range set.Sources() {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
