package handlers

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// ReplayHeader is set on answers served from the idempotency store (or
// shared with a concurrent duplicate) instead of acting again.
const ReplayHeader = "Idempotent-Replayed"

// bodySigned lists the auth types whose signature covers the raw body
// (HMAC over the body, with or without a timestamp) but no delivery id.
var bodySigned = map[string]bool{
	"hmac-sha256": true, "typeform": true, "tally": true, "github": true, "stripe": true, "webflow": true,
}

// deliveryID picks the delivery id the idempotency store dedupes on. An
// id a request could change without breaking its signature must not make
// an old delivery new, so it depends on the source's auth:
//   - standard-webhooks signs webhook-id (svix-id): that id;
//   - a body-signed scheme (hmac-sha256, typeform, tally, github, stripe,
//     webflow) signs no id: the format's id or id_field (both read from
//     the signed body, when there is one) plus a hash of the signed body,
//     so Idempotency-Key, Webhook-Id or X-GitHub-Delivery headers, unsigned
//     here, never count;
//   - sns signs MessageId, mailgun binds the form to its one-time token:
//     the format's id, else id_field;
//   - unsigned schemes (none, token, basic): the Standard Webhooks or
//     Idempotency-Key header, else the format's id, else id_field (the
//     sender's word is all there is).
//
// An id longer than webhook.MaxDeliveryID is replaced by its hash
// (webhook.DeliveryID), as the formats do with their own ids.
func deliveryID(req *webhook.Request, p *webhook.Parsed, src rules.Source) string {
	return webhook.DeliveryID(claimedDeliveryID(req, p, src))
}

// claimedDeliveryID is deliveryID before the length limit.
func claimedDeliveryID(req *webhook.Request, p *webhook.Parsed, src rules.Source) string {
	switch {
	case src.Auth.Type == "standard-webhooks":
		for _, h := range []string{"Webhook-Id", "Svix-Id"} { // as the verifier reads them
			if v := req.Header.Get(h); v != "" {
				return v
			}
		}
		return ""
	case bodySigned[src.Auth.Type]:
		sum := sha256.Sum256(req.Body)
		h := hex.EncodeToString(sum[:16])
		base := bodyID(p, src.IDField)
		if base == "" {
			return "sha256:" + h
		}
		if len(base) > webhook.MaxDeliveryID/2 {
			b := sha256.Sum256([]byte(base))
			base = "sha256:" + hex.EncodeToString(b[:16])
		}
		return base + "~body:" + h
	case src.Auth.Type == "sns" || src.Auth.Type == "mailgun":
		return bodyID(p, src.IDField)
	}
	for _, h := range []string{"Webhook-Id", "Svix-Id", "Idempotency-Key"} {
		if v := strings.TrimSpace(req.Header.Get(h)); v != "" {
			return v
		}
	}
	return bodyID(p, src.IDField)
}

// bodyID is the format's own delivery id, else the source's id_field in
// the (first) event's fields.
func bodyID(p *webhook.Parsed, idField string) string {
	if p.DeliveryID != "" {
		return p.DeliveryID
	}
	if idField != "" && len(p.Events) > 0 {
		if v, ok := p.Events[0].Fields[idField]; ok && v != nil {
			if s := strings.TrimSpace(fmt.Sprint(v)); s != "" {
				return idField + ":" + s
			}
		}
	}
	return ""
}

// githubDeliveryHeader is GitHub's documented delivery GUID, kept on
// redeliveries. It is not signed, so it never decides what is a replay
// (the delivery id is a hash of the signed body); it names the event in
// logs and answers when the format gives no id.
const githubDeliveryHeader = "X-GitHub-Delivery"

// nameGitHubEvents sets the event id of a github-authenticated delivery
// from X-GitHub-Delivery where the parser left it empty.
func nameGitHubEvents(req *webhook.Request, p *webhook.Parsed, src rules.Source) {
	if src.Auth.Type != "github" {
		return
	}
	gid := strings.TrimSpace(req.Header.Get(githubDeliveryHeader))
	if gid == "" || len(gid) > webhook.MaxDeliveryID/2 {
		return
	}
	for i := range p.Events {
		if p.Events[i].ID == "" {
			p.Events[i].ID = "github:" + gid
			if len(p.Events) > 1 {
				p.Events[i].ID += "#" + strconv.Itoa(i)
			}
		}
	}
}

// dedupeAndProcess acts once per (source, delivery id).
func (s *Service) dedupeAndProcess(ctx context.Context, set *rules.Set, src *source, events []rules.Event, id string) Response {
	var first Response
	ans, replayed, err := s.dedupe.Do(ctx, src.Name+"\n"+id, func(ctx context.Context) (idempotency.Answer, bool) {
		first = s.process(ctx, set, src, events, id, false)
		body, _ := first.Body.(json.RawMessage)
		return idempotency.Answer{Status: first.Status, Body: body}, storable(first.Status)
	})
	if err != nil {
		return s.dedupeFailed(ctx, src.Name, id, err)
	}
	if !replayed {
		return first
	}
	return s.replayAnswer(ctx, src.Name, id, ans)
}

// replayAnswer answers a delivery with the stored answer of its first
// delivery.
func (s *Service) replayAnswer(ctx context.Context, source, id string, ans idempotency.Answer) Response {
	if s.metrics != nil {
		s.metrics.dedupeHits.WithLabelValues(source).Inc()
	}
	s.log.InfoContext(ctx, "event replayed", "id", id, "source", source, "status", ans.Status)
	if ans.Status == 0 || len(ans.Body) == 0 { // the first attempt crashed
		return errorResponse(http.StatusServiceUnavailable, "", "the first delivery failed; retry later").withRetryAfter(time.Second)
	}
	r := Response{Status: ans.Status, Header: http.Header{}, Body: ans.Body}
	r.Header.Set(ReplayHeader, "true")
	if ans.Status == http.StatusServiceUnavailable {
		r = r.withRetryAfter(time.Second)
	}
	return r
}

// dedupeFailed answers 503 when the delivery could not be checked or
// claimed: nothing was done, so the sender's retry is safe.
func (s *Service) dedupeFailed(ctx context.Context, source, id string, err error) Response {
	s.countEvent(source, OutcomeRetry)
	s.log.WarnContext(ctx, "delivery not processed", "id", id, "source", source, "err", err.Error())
	msg := "a duplicate of this delivery is still being processed; retry later"
	if errors.Is(err, idempotency.ErrUnavailable) {
		msg = "the idempotency store is unavailable; retry later"
	}
	return errorResponse(http.StatusServiceUnavailable, "", msg).withRetryAfter(time.Second)
}

// storable reports whether an answer is final: success or an input
// error that will never succeed. 408, 429 and 5xx may succeed later.
func storable(status int) bool {
	switch {
	case status >= 200 && status < 300:
		return true
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests:
		return false
	default:
		return status >= 400 && status < 500
	}
}

// process runs every event of a delivery and builds the answer: one
// event answers its result; a batch answers {"events": [...]} with the
// worst status.
func (s *Service) process(ctx context.Context, set *rules.Set, src *source, events []rules.Event, id string, dryRun bool) Response {
	if len(events) == 0 {
		return jsonResponse(http.StatusOK, map[string]any{"events": []any{}})
	}
	ctx, audit := s.startAudit(ctx, set, src, id, dryRun)
	var one [1]eventItem // a delivery's usual single event: its item on the stack (no callee keeps items)
	items := one[:]
	if len(events) > 1 {
		items = make([]eventItem, len(events))
	}
	for i := range events {
		events[i].ID = eventID(events[i].ID, id, i, len(events))
		items[i] = eventItem{src: src, ev: &events[i]}
	}
	s.runEvents(ctx, set, items, dryRun)
	resp := answer(items)
	s.finishAudit(ctx, audit, resp)
	return resp
}

// eventItem is one event to process and, once processed, its result.
type eventItem struct {
	// ctx is the event's delivery's context in a batch of deliveries
	// (its ids and span on its lines); nil: runEvents' own.
	ctx        context.Context
	src        *source
	ev         *rules.Event
	res        *EventResult
	retryAfter time.Duration
}

// runEvents processes the events: together through the engine's batch
// when there are several and the engine has one (one contact fetch,
// grouped bulk PATCHes), else one by one.
func (s *Service) runEvents(ctx context.Context, set *rules.Set, items []eventItem, dryRun bool) {
	bp, ok := s.engine.(BatchProcessor)
	if !ok || len(items) < 2 {
		for i := range items {
			it := &items[i]
			it.res, it.retryAfter = s.processOne(cmp.Or(it.ctx, ctx), set, it.src, it.ev, dryRun)
		}
		return
	}
	start := time.Now()
	evs := make([]*rules.Event, len(items))
	for i := range items {
		evs[i] = items[i].ev
	}
	outs, errs := bp.ProcessBatch(ctx, set, evs, dryRun)
	for i := range items {
		it := &items[i]
		it.res, it.retryAfter = s.result(cmp.Or(it.ctx, ctx), set, it.src, it.ev, dryRun, outs[i], errs[i], start)
	}
}

// answer is a delivery's answer: one event answers its result; a batch
// answers {"events": [...]} with the worst status.
func answer(items []eventItem) Response {
	status := http.StatusOK
	var retryAfter time.Duration
	results := make([]*EventResult, len(items))
	for i, it := range items {
		results[i] = it.res
		status = worse(status, it.res.status)
		retryAfter = max(retryAfter, it.retryAfter)
	}
	var resp Response
	if len(results) == 1 {
		resp = jsonResponse(status, results[0])
	} else {
		resp = jsonResponse(status, map[string]any{"events": results})
	}
	if status == http.StatusServiceUnavailable {
		resp = resp.withRetryAfter(retryAfter)
	}
	resp.results, resp.retryAfter = results, retryAfter // for queued deliveries' workers
	return resp
}

// worse orders statuses: 503 beats 422 beats 200.
func worse(a, b int) int {
	rank := func(s int) int {
		switch {
		case s >= 500:
			return 3
		case s >= 400:
			return 2
		default:
			return 1
		}
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// eventID keeps a parser-given id, else derives one from the delivery id
// (suffixed in a batch), else makes a random one.
func eventID(own, delivery string, i, n int) string {
	switch {
	case own != "":
		return own
	case delivery != "" && n == 1:
		return delivery
	case delivery != "":
		return delivery + "#" + strconv.Itoa(i)
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "evt_" + hex.EncodeToString(b[:])
}
