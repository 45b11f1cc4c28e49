package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/obs"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// QueuedDelivery is a verified delivery of a `delivery: queued` source,
// stored for a worker. It is the request as received, less its
// credentials: the worker parses it again with the source's parser and
// runs it through the same processing as a sync delivery, so the stored
// form is the sender's own bytes, not a serialisation of our parsed
// event (which would turn numbers into floats and tie stored rows to one
// version of rules.Event). It is not verified again: a timestamped
// signature or a one-time token would fail hours later.
type QueuedDelivery struct {
	Source     string `json:"source"`
	DeliveryID string `json:"delivery_id,omitempty"`
	// RequestID is the intake's request id, so the worker's lines carry
	// the id the sender's answer did.
	RequestID  string      `json:"request_id,omitempty"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Header     http.Header `json:"header"`
	Query      url.Values  `json:"query,omitempty"`
	Body       []byte      `json:"body"`
	RemoteIP   string      `json:"remote_ip,omitempty"`
	ReceivedAt time.Time   `json:"received_at"`
	// RecordID is its history record's id, so that every attempt (and a
	// retry-dead) updates the record its intake wrote.
	RecordID string `json:"record_id,omitempty"`
	// Record, with a history, is its first record (outcome queued, no
	// attempt yet), which the queue commits with the job. Not stored in
	// the job.
	Record *history.Record `json:"-"`
}

// Enqueuer stores queued deliveries durably (handlers/queue).
type Enqueuer interface {
	// Enqueue stores d; duplicate reports that a delivery with the same
	// source and non-empty delivery id is already stored (nothing added).
	// An error means nothing was stored: the sender must retry, unless
	// it wraps ErrTooLarge.
	Enqueue(ctx context.Context, d *QueuedDelivery) (duplicate bool, err error)
}

// ErrTooLarge is wrapped by an Enqueuer's error when the delivery can
// never be stored there (larger than an SQS message): the service acts
// on it at once and answers as a sync source does, so the sender learns
// the real outcome (done, refused for good, or retry later) instead of a
// 202 for work that was not stored.
var ErrTooLarge = errors.New("delivery too large for the queue")

// QueuedResult is what processing a queued delivery came to, for the
// worker to decide between done, retry and pause.
type QueuedResult struct {
	// Status is what a sync delivery would have been answered.
	Status int
	// Final: done, or the delivery itself is at fault (Deskera rejected
	// its data); never retried.
	Final bool
	// CRMDown: Deskera answered 429 or 5xx, timed out or refused our
	// credentials; the worker pauses all CRM intake, not only this one.
	CRMDown bool
	// RetryAfter is the wait asked for (Deskera's Retry-After), 0 if none.
	RetryAfter time.Duration
	// Message says why it is not done (no secrets, emails masked).
	Message string
}

// credentialHeaders never reach the store: the worker does not verify.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// enqueue stores a verified, parsed delivery and answers 202 Accepted;
// one the queue can never hold is acted on at once (ErrTooLarge).
func (s *Service) enqueue(ctx context.Context, set *rules.Set, src *source, req *webhook.Request, a *admitted) Response {
	id := a.id
	h := req.Header.Clone()
	for _, k := range credentialHeaders {
		h.Del(k)
	}
	if src.Auth.Header != "" && (src.Auth.Type == "token" || src.Auth.Type == "basic") {
		h.Del(src.Auth.Header)
	}
	d := &QueuedDelivery{
		Source: src.Name, DeliveryID: id, RequestID: obs.RequestID(ctx), Method: req.Method, Path: req.Path, Header: h,
		Query: req.Query, Body: req.Body, RemoteIP: req.RemoteIP, ReceivedAt: req.ReceivedAt, RecordID: recordID(src.Name, id),
	}
	if s.history != nil {
		d.Record = newRecord(ctx, s.state.Load().set, src, id, Delivery{Mode: history.ModeQueued, Request: req, RecordID: d.RecordID})
		d.Record.Outcome, d.Record.Status = history.OutcomeQueued, http.StatusAccepted
	}
	dup, err := s.queue.Enqueue(ctx, d)
	if errors.Is(err, ErrTooLarge) {
		s.log.InfoContext(ctx, "delivery too large for the queue: acted on at once, as a sync one", "id", id, "source", src.Name, "err", s.Redact(err.Error()))
		return s.act(ctx, set, src, a, false)
	}
	if err != nil {
		s.countEvent(src.Name, OutcomeRetry)
		s.log.ErrorContext(ctx, "queued delivery not stored; the sender must retry", "id", id, "source", src.Name, "err", s.Redact(err.Error()))
		return errorResponse(http.StatusServiceUnavailable, "", "the delivery store is unavailable; retry later").withRetryAfter(time.Second)
	}
	s.countEvent(src.Name, OutcomeQueued)
	s.log.InfoContext(ctx, "event queued", "id", id, "source", src.Name, "duplicate", dup)
	r := jsonResponse(http.StatusAccepted, queuedAnswer{DeliveryID: id, Source: src.Name, Status: OutcomeQueued})
	if dup {
		r.Header.Set(ReplayHeader, "true")
	}
	return r
}

// queuedAnswer is the body of a 202: the bytes a map of the same keys
// encodes to (its fields in the map's sorted key order), without the
// map, its boxed values and the key sort on every queued delivery.
type queuedAnswer struct {
	DeliveryID string `json:"delivery_id"`
	Source     string `json:"source"`
	Status     string `json:"status"`
}

// ProcessQueued runs a stored delivery through the same processing as a
// sync one, on the rules in force now. Delivery ids dedupe in the queue
// (one stored job per id), so the idempotency store is not consulted.
func (s *Service) ProcessQueued(ctx context.Context, d *QueuedDelivery) (res QueuedResult) {
	var resp Response
	defer func() {
		if resp.Status == http.StatusInternalServerError { // a panic, recovered below
			res = QueuedResult{Status: resp.Status, Message: "internal error"}
		}
	}()
	// The worker's lines carry the delivery's ids, as its intake's did.
	ctx = obs.NewScope(ctx)
	obs.Set(ctx, obs.KeyRequestID, cmp.Or(d.RequestID, obs.RequestIDFromHeader(d.Header), obs.NewID()))
	setDeliveryID(ctx, d.DeliveryID)
	defer s.recoverPanic(ctx, d.Source, &resp)
	st := s.state.Load()
	src, ok := st.sources[d.Source]
	if !ok {
		return QueuedResult{Status: http.StatusServiceUnavailable, Message: fmt.Sprintf("source %q is no longer in the rules file", d.Source)}
	}
	req := &webhook.Request{
		Method: d.Method, Path: d.Path, Header: d.Header, Query: d.Query, Body: d.Body,
		RemoteIP: d.RemoteIP, ReceivedAt: d.ReceivedAt,
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	parsed, err := src.parser.Parse(ctx, req)
	if err != nil {
		// It parsed when it was accepted: the source changed since. Ours
		// to fix (the rules), so it waits, and is dead-lettered in the end.
		return QueuedResult{Status: http.StatusServiceUnavailable, Message: "the source no longer parses this delivery: " + MaskEmails(err.Error())}
	}
	if parsed.Reply != nil {
		return QueuedResult{Status: parsed.Reply.Status, Final: true}
	}
	nameGitHubEvents(req, parsed, src.Source)
	// The history keeps the body for replay; the worker said which
	// attempt this is (WithDelivery).
	w := deliveryOf(ctx)
	ctx = WithDelivery(ctx, Delivery{Mode: history.ModeQueued, Request: req, Attempt: w.Attempt, RecordID: d.RecordID})
	resp = s.process(ctx, st.set, src, parsed.Events, d.DeliveryID, false)
	return queuedResult(resp)
}

// queuedResult reads a processing answer for the worker.
func queuedResult(resp Response) QueuedResult {
	res := QueuedResult{Status: resp.Status, Final: storable(resp.Status)}
	for _, r := range resp.results {
		switch r.cause {
		case engine.CauseDeskera, engine.CauseCredentials:
			res.CRMDown = true
		}
		if r.Error != "" && res.Message == "" {
			res.Message = MaskEmails(r.Error)
		}
	}
	if !res.Final {
		res.RetryAfter = resp.retryAfter
	}
	return res
}
