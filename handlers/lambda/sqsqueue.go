package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadhook/leadhook/handlers"
)

// Message attributes of a queued delivery on SQS. attrQueued marks the
// message as one (its value is the format's version): the SQS trigger
// then processes it as the embedded queue's worker does, instead of
// posting its body to a source.
const (
	attrQueued      = "leadhook_delivery"
	attrDeliveryID  = "delivery_id"
	queuedVersion   = "1"
	stringAttribute = "String"
)

// DefaultMaxMessageBytes is the largest message SQSQueue sends: a standard
// queue's default MaximumMessageSize (256 KiB).
const DefaultMaxMessageBytes = 256 << 10

// SQSSender is the calls SQSQueue makes; *sqs.Client implements it.
type SQSSender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Redeliverer sets when SQS delivers a message that failed again;
// *SQSQueue implements it.
type Redeliverer interface {
	RedeliverAfter(ctx context.Context, receiptHandle string, d time.Duration) error
}

// QueuedCore processes a stored delivery of a queued source, as the
// embedded queue's workers do; *handlers.Service implements it.
type QueuedCore interface {
	ProcessQueued(ctx context.Context, d *handlers.QueuedDelivery) handlers.QueuedResult
}

// SQSQueue stores the deliveries of `delivery: queued` sources on an SQS
// queue (the handlers.Enqueuer the service uses on Lambda); the queue's
// trigger runs them (Handler, TriggerSQS). A message is the
// handlers.QueuedDelivery as JSON, so its body bytes stay exact.
type SQSQueue struct {
	client   SQSSender
	url      string
	fifo     bool
	maxBytes int
}

var _ handlers.Enqueuer = (*SQSQueue)(nil)

// NewSQSQueue returns the queue at queueURL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME).
// maxBytes bounds a message (0: DefaultMaxMessageBytes).
func NewSQSQueue(client SQSSender, queueURL string, maxBytes int) (*SQSQueue, error) {
	if client == nil {
		return nil, errors.New("sqs queue: nil client")
	}
	u, err := url.Parse(queueURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return nil, fmt.Errorf("sqs queue: invalid queue url %q", queueURL)
	}
	if maxBytes < 0 {
		return nil, fmt.Errorf("sqs queue: negative max message size %d", maxBytes)
	}
	if maxBytes == 0 {
		maxBytes = DefaultMaxMessageBytes
	}
	return &SQSQueue{client: client, url: queueURL, fifo: strings.HasSuffix(u.Path, ".fifo"), maxBytes: maxBytes}, nil
}

// Enqueue sends d. An SQS queue does not tell duplicates apart (a FIFO
// queue drops them within five minutes), so duplicate is always false;
// processing converges (upsert by email). An error means nothing was
// stored: the service answers 503 with Retry-After, or, for a delivery
// larger than a message (handlers.ErrTooLarge), acts on it at once.
func (q *SQSQueue) Enqueue(ctx context.Context, d *handlers.QueuedDelivery) (bool, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("sqs queue: encode delivery: %w", err)
	}
	if len(body) > q.maxBytes {
		return false, fmt.Errorf("sqs queue: delivery of %d bytes is larger than a message (%d bytes): %w", len(body), q.maxBytes, handlers.ErrTooLarge)
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(q.url), MessageBody: aws.String(string(body)), MessageAttributes: map[string]types.MessageAttributeValue{
		attrQueued: stringAttr(queuedVersion),
		attrSource: stringAttr(d.Source),
	}}
	if d.DeliveryID != "" {
		in.MessageAttributes[attrDeliveryID] = stringAttr(d.DeliveryID)
	}
	if q.fifo {
		in.MessageGroupId = aws.String(d.Source)
		in.MessageDeduplicationId = aws.String(dedupeID(d, body))
	}
	if _, err := q.client.SendMessage(ctx, in); err != nil {
		return false, fmt.Errorf("sqs queue: send message: %w", err)
	}
	return false, nil
}

// maxVisibility is SQS's longest visibility timeout.
const maxVisibility = 12 * time.Hour

// RedeliverAfter makes the message of receiptHandle visible again after d
// (at most 12 hours), instead of after the queue's visibility timeout.
func (q *SQSQueue) RedeliverAfter(ctx context.Context, receiptHandle string, d time.Duration) error {
	secs := int32(min(d, maxVisibility) / time.Second)
	_, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(q.url), ReceiptHandle: aws.String(receiptHandle), VisibilityTimeout: secs,
	})
	if err != nil {
		return fmt.Errorf("sqs queue: change message visibility: %w", err)
	}
	return nil
}

// redeliveryDelay is the wait before the next attempt at a queued
// delivery received n times: 1 min, 6 min, 36 min, 3.6 h, then the 12 h
// cap; longer when Deskera asked for it (Retry-After).
func redeliveryDelay(n int, retryAfter time.Duration) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < maxVisibility; i++ {
		d *= 6
	}
	return min(max(d, retryAfter), maxVisibility)
}

func stringAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String(stringAttribute), StringValue: aws.String(v)}
}

// dedupeID is a FIFO queue's deduplication id: the source and delivery id,
// or the message itself when the delivery has none (hashed: at most 128
// characters).
func dedupeID(d *handlers.QueuedDelivery, body []byte) string {
	h := sha256.New()
	if d.DeliveryID != "" {
		h.Write([]byte(d.Source + "\x00" + d.DeliveryID))
	} else {
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// isQueued reports whether an SQS record is a queued delivery SQSQueue sent.
func isQueued(rec *events.SQSMessage) bool {
	return sqsAttribute(rec.MessageAttributes, attrQueued) != ""
}

// queuedRecord processes a queued delivery as the embedded queue's worker
// does. Done, or refused for good (the history records why), acknowledges
// the message; a temporary failure fails the record, so SQS delivers it
// again after the visibility timeout and, after maxReceiveCount receives,
// moves it to the dead-letter queue.
func (h *Handler) queuedRecord(ctx context.Context, rec *events.SQSMessage) error {
	qc, ok := h.cfg.Core.(QueuedCore)
	if !ok {
		return errors.New("queued delivery: the core does not process queued deliveries")
	}
	if v := sqsAttribute(rec.MessageAttributes, attrQueued); v != queuedVersion {
		return fmt.Errorf("queued delivery: unknown format version %q", v)
	}
	var d handlers.QueuedDelivery
	if err := json.Unmarshal([]byte(rec.Body), &d); err != nil {
		return fmt.Errorf("queued delivery: decode: %w", err)
	}
	if d.Source == "" {
		return errors.New("queued delivery: no source")
	}
	res := qc.ProcessQueued(ctx, &d)
	if !res.Final {
		h.delayRedelivery(ctx, rec, res.RetryAfter)
		return &DeliveryError{Source: d.Source, Status: res.Status, Message: res.Message}
	}
	if res.Status >= 300 {
		h.log.WarnContext(ctx, "queued delivery refused for good", "source", d.Source, "status", res.Status, "reason", res.Message)
	}
	return nil
}

// delayRedelivery backs a failed queued delivery off (redeliveryDelay)
// when the handler has a Redeliverer; without one, or when the change
// fails, SQS delivers it again after the queue's visibility timeout.
func (h *Handler) delayRedelivery(ctx context.Context, rec *events.SQSMessage, retryAfter time.Duration) {
	if h.cfg.Redeliver == nil || rec.ReceiptHandle == "" {
		return
	}
	n, _ := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
	d := redeliveryDelay(n, retryAfter)
	if err := h.cfg.Redeliver.RedeliverAfter(ctx, rec.ReceiptHandle, d); err != nil {
		h.log.WarnContext(ctx, "queued delivery not backed off; sqs delivers it after the visibility timeout", "error", err)
		return
	}
	h.log.InfoContext(ctx, "queued delivery delivered again later", "receive_count", n, "after", d.String())
}
