package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/obs"
)

// DeliveryError is a delivery the core did not accept: Status is the HTTP
// status it answered and Message its error text.
type DeliveryError struct {
	Source  string
	Status  int
	Message string
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("source %q answered %d: %s", e.Source, e.Status, e.Message)
}

// deliver runs one delivery through the core; any non-2xx answer is a
// *DeliveryError (4xx too: the record then reaches the queue's dead-letter
// queue after its retries instead of vanishing).
func (h *Handler) deliver(ctx context.Context, d *delivery) error {
	resp := h.cfg.Core.Handle(ctx, d.source, d.req, false)
	if resp.Status >= 200 && resp.Status < 300 {
		return nil
	}
	return &DeliveryError{Source: d.source, Status: resp.Status, Message: responseMessage(resp)}
}

// responseMessage extracts the error text of a core response body.
func responseMessage(resp handlers.Response) string {
	raw, err := json.Marshal(resp.Body)
	if err != nil {
		return http.StatusText(resp.Status)
	}
	var b struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &b) == nil {
		if b.Error != "" {
			return b.Error
		}
		if b.Message != "" {
			return b.Message
		}
	}
	return http.StatusText(resp.Status)
}

func (h *Handler) recordOptions() recordOptions {
	opts := recordOptions{defaultSource: h.cfg.SQSSource, now: h.cfg.Now()}
	if h.cfg.SourceFormat != nil {
		opts.snsAware = func(source string) bool {
			f, ok := h.cfg.SourceFormat(source)
			return ok && f == "ses"
		}
	}
	return opts
}

// keyMessageID is the log attribute naming the SQS or SNS message a
// delivery came in.
const keyMessageID = "message_id"

// deadlineMargin is kept free before the invocation's deadline so that a
// batch still reports its failures instead of timing out as a whole.
const deadlineMargin = time.Second

// withMargin shortens ctx's deadline by deadlineMargin.
func withMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-deadlineMargin))
	}
	return context.WithCancel(ctx)
}

// sqs handles a batch and reports the failed records, so only they are
// retried: the records posted to a source first (sqsPosted), then the
// queued deliveries SQSQueue sent, one by one. When the invocation is
// about to time out (deadlineMargin), the rest are reported failed.
func (h *Handler) sqs(ctx context.Context, log *slog.Logger, payload []byte) (events.SQSEventResponse, error) {
	ev, err := decode[events.SQSEvent](payload, "sqs")
	if err != nil {
		return events.SQSEventResponse{}, err
	}
	ctx, cancel := withMargin(ctx)
	defer cancel()
	queued, posted := splitQueued(ev.Records)
	out := h.sqsPosted(ctx, log, posted)
	for _, rec := range queued {
		if ctx.Err() != nil {
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			continue
		}
		rctx := obs.NewScope(ctx)
		obs.Set(rctx, keyMessageID, rec.MessageId)
		if err := h.queuedRecord(rctx, rec); err != nil {
			log.WarnContext(rctx, "queued delivery failed; sqs delivers it again", "error", err)
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return out, nil
}

// splitQueued parts the queued deliveries SQSQueue sent from the records
// posted to a source.
func splitQueued(recs []events.SQSMessage) (queued []*events.SQSMessage, posted []events.SQSMessage) {
	for i := range recs {
		if isQueued(&recs[i]) {
			queued = append(queued, &recs[i])
		} else {
			posted = append(posted, recs[i])
		}
	}
	return queued, posted
}

// sqsPosted delivers records posted to a source (not queued deliveries),
// record by record; on a FIFO queue the records after a failure are
// reported failed unprocessed, keeping their order.
func (h *Handler) sqsPosted(ctx context.Context, log *slog.Logger, recs []events.SQSMessage) events.SQSEventResponse {
	out := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	opts := h.recordOptions()
	if bc, ok := h.cfg.Core.(BatchCore); ok && len(recs) > 1 && !isFIFO(&recs[0]) {
		return h.sqsBatch(ctx, log, bc, recs, opts)
	}
	stop := false
	for i := range recs {
		rec := &recs[i]
		if stop || ctx.Err() != nil {
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			continue
		}
		rctx := obs.NewScope(ctx) // one delivery: its own request and delivery ids
		obs.Set(rctx, keyMessageID, rec.MessageId)
		if err := h.sqsRecord(rctx, log, rec, opts); err != nil {
			log.WarnContext(rctx, "sqs record failed", "error", err)
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			stop = isFIFO(rec)
		}
	}
	return out
}

// sqsBatch hands the records of a standard queue's batch to the core
// together, so that their events are processed together (one contact
// fetch, grouped bulk PATCHes); each record still has its own answer and
// only the failed ones are reported.
func (h *Handler) sqsBatch(ctx context.Context, log *slog.Logger, bc BatchCore, recs []events.SQSMessage, opts recordOptions) events.SQSEventResponse {
	out := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	// rctxs are the records' own contexts (message id, request id, the
	// producer's trace, and the delivery id the service adds), as
	// sqsRecord gives a record alone; scope makes one for the service.
	rctxs := make(map[*events.SQSMessage]context.Context, len(recs))
	scope := func(rec *events.SQSMessage, h http.Header) func(context.Context) context.Context {
		return func(ctx context.Context) context.Context {
			rctx := obs.NewScope(ctx)
			obs.Set(rctx, keyMessageID, rec.MessageId)
			rctx, _ = obs.BeginRequest(rctx, h)
			rctx = obs.Extract(rctx, h)
			rctxs[rec] = rctx
			return rctx
		}
	}
	fail := func(rec *events.SQSMessage, err error) {
		rctx, ok := rctxs[rec]
		if !ok {
			rctx = obs.NewScope(ctx)
			obs.Set(rctx, keyMessageID, rec.MessageId)
		}
		log.WarnContext(rctx, "sqs record failed", "error", err)
		out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
	}
	var ds []handlers.BatchEntry
	var from []*events.SQSMessage
	for i := range recs {
		rec := &recs[i]
		d, err := sqsDelivery(rec, opts)
		switch {
		case err != nil:
			fail(rec, err)
		case d.skip != "":
			log.Info("sqs record skipped", "message_id", rec.MessageId, "source", d.source, "reason", d.skip)
		default:
			ds = append(ds, handlers.BatchEntry{Source: d.source, Req: d.req, Scope: scope(rec, d.req.Header)})
			from = append(from, rec)
		}
	}
	for i, resp := range bc.HandleBatch(ctx, ds) {
		if resp.Status < 200 || resp.Status >= 300 {
			fail(from[i], &DeliveryError{Source: ds[i].Source, Status: resp.Status, Message: responseMessage(resp)})
		}
	}
	return out
}

func (h *Handler) sqsRecord(ctx context.Context, log *slog.Logger, rec *events.SQSMessage, opts recordOptions) error {
	d, err := sqsDelivery(rec, opts)
	if err != nil {
		return err
	}
	if d.skip != "" {
		log.InfoContext(ctx, "sqs record skipped", "source", d.source, "reason", d.skip)
		return nil
	}
	// The record's X-Request-Id and traceparent attributes (now headers)
	// name the delivery and continue the producer's trace.
	ctx, _ = obs.BeginRequest(ctx, d.req.Header)
	ctx = obs.Extract(ctx, d.req.Header)
	return h.deliver(ctx, d)
}

// snsRecord is an SNS-to-Lambda record; Sns stays raw so the envelope can
// be passed on byte-faithfully (its signature covers those values).
type snsRecord struct {
	Sns json.RawMessage `json:"Sns"`
}

// sns handles SNS subscribed directly to the function: each record is
// delivered like an SQS record holding the envelope; a failure fails the
// invocation (SNS then retries it).
func (h *Handler) sns(ctx context.Context, log *slog.Logger, payload []byte) (any, error) {
	ev, err := decode[struct{ Records []snsRecord }](payload, "sns")
	if err != nil {
		return nil, err
	}
	opts := h.recordOptions()
	for i, rec := range ev.Records {
		raw, env, err := httpEnvelope(rec.Sns)
		if err != nil {
			return nil, fmt.Errorf("sns record %d: %w", i, err)
		}
		rctx := obs.NewScope(ctx)
		obs.Set(rctx, keyMessageID, env.MessageID)
		d, err := snsDelivery(env, raw, "", http.Header{}, opts.now, opts)
		if err == nil && d.skip == "" {
			err = h.deliver(rctx, d)
		}
		if err != nil {
			log.WarnContext(rctx, "sns record failed", "error", err)
			return nil, fmt.Errorf("sns message %q: %w", env.MessageID, err)
		}
	}
	return map[string]int{"processed": len(ev.Records)}, nil
}

// httpEnvelope renames the Lambda SNS entity's SigningCertUrl and
// UnsubscribeUrl to the HTTP envelope's ...URL spelling.
func httpEnvelope(entity json.RawMessage) ([]byte, *snsEnvelope, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(entity, &m); err != nil {
		return nil, nil, fmt.Errorf("decode sns entity: %w", err)
	}
	for from, to := range map[string]string{"SigningCertUrl": "SigningCertURL", "UnsubscribeUrl": "UnsubscribeURL"} {
		if v, ok := m[from]; ok {
			delete(m, from)
			m[to] = v
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, nil, fmt.Errorf("encode sns envelope: %w", err)
	}
	env := parseSNSEnvelope(raw)
	if env == nil {
		return nil, nil, fmt.Errorf("not an sns message")
	}
	return raw, env, nil
}

// ses posts the SimpleEmailEvent as received to the SES source, whose
// parser (format ses) reads Lambda receipt records as well as SNS
// notifications. Synchronous receipt rules get CONTINUE back.
func (h *Handler) ses(ctx context.Context, log *slog.Logger, payload []byte) (events.SimpleEmailDisposition, error) {
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	d := &delivery{source: h.cfg.SESSource, req: &webhook.Request{
		Method:     http.MethodPost,
		Path:       "/" + hookSegment + "/" + h.cfg.SESSource,
		Header:     header,
		Query:      url.Values{},
		Body:       payload,
		ReceivedAt: h.cfg.Now(),
	}}
	if err := h.deliver(ctx, d); err != nil {
		log.WarnContext(ctx, "ses event failed", "source", d.source, "error", err)
		return events.SimpleEmailDisposition{}, err
	}
	return events.SimpleEmailDisposition{Disposition: events.SimpleEmailContinue}, nil
}

// scheduleDetail is the optional detail of a scheduled rule's input.
type scheduleDetail struct {
	DryRun   bool             `json:"dry_run"`
	Reassign *ReassignRequest `json:"reassign"`
}

// schedule runs the relabel sweep; a rule's detail {"dry_run": true} only
// reports what it would change, and {"reassign": {"from_owner": ID,
// "pool": NAME | "to_owner": ID}} runs a reassign instead.
func (h *Handler) schedule(ctx context.Context, log *slog.Logger, payload []byte) (any, error) {
	ev, err := decode[events.CloudWatchEvent](payload, "eventbridge")
	if err != nil {
		return nil, err
	}
	var det scheduleDetail
	if len(ev.Detail) > 0 && string(ev.Detail) != "null" {
		if err := json.Unmarshal(ev.Detail, &det); err != nil {
			return nil, fmt.Errorf("scheduled event %q: decode detail: %w", ev.ID, err)
		}
	}
	if det.Reassign != nil {
		return h.reassign(ctx, log, ev.ID, det)
	}
	if h.cfg.Sweep == nil {
		return nil, fmt.Errorf("scheduled event %q: no sweep configured", ev.ID)
	}
	res, err := h.cfg.Sweep(ctx, det.DryRun)
	if err != nil {
		log.ErrorContext(ctx, "sweep failed", "event_id", ev.ID, "error", err)
		return nil, fmt.Errorf("sweep: %w", err)
	}
	log.InfoContext(ctx, "sweep done", "event_id", ev.ID, "dry_run", det.DryRun)
	return res, nil
}

// reassign runs the reassign a scheduled event's detail asks for.
func (h *Handler) reassign(ctx context.Context, log *slog.Logger, id string, det scheduleDetail) (any, error) {
	if h.cfg.Reassign == nil {
		return nil, fmt.Errorf("scheduled event %q: no reassign configured", id)
	}
	r := *det.Reassign
	r.DryRun = r.DryRun || det.DryRun
	if r.FromOwner <= 0 {
		return nil, fmt.Errorf("scheduled event %q: detail.reassign.from_owner must be a positive user id", id)
	}
	res, err := h.cfg.Reassign(ctx, r)
	if err != nil {
		log.Error("reassign failed", "event_id", id, "from_owner", r.FromOwner, "error", err)
		return nil, fmt.Errorf("reassign: %w", err)
	}
	log.Info("reassign done", "event_id", id, "from_owner", r.FromOwner, "dry_run", r.DryRun)
	return res, nil
}
