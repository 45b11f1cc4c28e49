package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// ErrNoBody is returned for a record whose body was not kept (a sync
// delivery) or was pruned after its retention: it cannot be replayed.
var ErrNoBody = errors.New("the delivery's body was not kept (sync deliveries keep none; kept ones are pruned after their retention)")

// ErrUnknownSource is returned by Replay for a delivery to a source the
// rules in force no longer declare.
var ErrUnknownSource = errors.New("source not in the rules in force")

// storedRequest rebuilds the request of a record with a kept body.
func storedRequest(rec *history.Record) (*webhook.Request, error) {
	if rec.Body == nil {
		return nil, fmt.Errorf("delivery %q: %w", rec.ID, ErrNoBody)
	}
	h := http.Header{}
	for k, v := range rec.Header {
		h.Set(k, v)
	}
	q := url.Values{}
	for k, v := range rec.Query {
		q.Set(k, v)
	}
	return &webhook.Request{Method: http.MethodPost, Path: "/hooks/" + rec.Source, Header: h, Query: q,
		Body: rec.Body, ReceivedAt: rec.ReceivedAt}, nil
}

// Replay runs a recorded delivery again on the rules in force, from its
// kept body: parsed again (not verified again: it was when received),
// never deduped (a replay acts again; upserts converge), and recorded on
// the same record (one more attempt). A dry run plans only and records
// nothing. It fails (nothing done) with ErrNoBody or ErrUnknownSource.
func (s *Service) Replay(ctx context.Context, rec *history.Record, dryRun bool) (resp Response, err error) {
	defer s.recoverPanic(ctx, rec.Source, &resp)
	req, err := storedRequest(rec)
	if err != nil {
		return Response{}, err
	}
	st := s.state.Load()
	src, ok := st.sources[rec.Source]
	if !ok {
		return Response{}, fmt.Errorf("delivery %q: %w: %q", rec.ID, ErrUnknownSource, rec.Source)
	}
	parsed, err := src.parser.Parse(ctx, req)
	if err != nil {
		return fromError(err), nil
	}
	mode := rec.Mode
	if mode == "" {
		mode = history.ModeSync
	}
	ctx = WithDelivery(ctx, Delivery{Mode: mode, Request: req})
	return s.process(ctx, st.set, src, parsed.Events, rec.DeliveryID, dryRun), nil
}

// ParseRecord parses a recorded delivery's kept body with set's parser
// for its source (offline: nothing verified, nothing called).
func ParseRecord(set *rules.Set, rec *history.Record, opts webhook.Options) ([]rules.Event, error) {
	req, err := storedRequest(rec)
	if err != nil {
		return nil, err
	}
	src, ok := set.Source(rec.Source)
	if !ok {
		return nil, fmt.Errorf("delivery %q: source %q is not in %s", rec.ID, rec.Source, set.File())
	}
	p, err := webhook.NewParser(src, opts)
	if err != nil {
		return nil, err
	}
	parsed, err := p.Parse(context.Background(), req) // offline: parsers make no calls
	if err != nil {
		return nil, fmt.Errorf("delivery %q: %w", rec.ID, err)
	}
	for i := range parsed.Events {
		parsed.Events[i].ID = eventID(parsed.Events[i].ID, rec.DeliveryID, i, len(parsed.Events))
	}
	return parsed.Events, nil
}
