//go:build leadhook.lambda

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
)

// The Lambda build (tag leadhook.lambda, see the Makefile's LAMBDA_TAGS)
// leaves out the store of queued deliveries (handlers/queue: River, its
// PostgreSQL and SQLite drivers): inside Lambda queued deliveries go to the
// SQS queue of LEADHOOK_SQS_QUEUE_URL, or are processed at once.

// errNoQueueStore is what the commands that need the delivery store say in
// the Lambda build.
var errNoQueueStore = errors.New("the Lambda build has no store of queued deliveries (queued sources use LEADHOOK_SQS_QUEUE_URL there); run this with the server binary")

// queueStore is never opened in the Lambda build: app.queue stays nil, so
// none of its methods is called.
type queueStore struct{ handlers.Enqueuer }

func (*queueStore) SetProcessor(*handlers.Service)     {}
func (*queueStore) Stats(context.Context) (any, error) { return nil, errNoQueueStore }

// openQueue refuses when a source is queued (only serve asks for the
// store; lambda uses SQS instead).
func (a *app) openQueue(context.Context, *handlers.Metrics) (*queueStore, error) {
	if !hasQueued(a.set) {
		return nil, nil
	}
	return nil, errNoQueueStore
}

// queueHistory: the Lambda build has neither a queue store nor a history
// (serveHistory stops at errHistoryNotBuilt before asking).
func (a *app) queueHistory(context.Context) *history.Store { return nil }

func (a *app) startQueue(context.Context) error { return nil }
func (a *app) stopQueue()                       {}
func (a *app) closeQueue()                      {}

// runRetryDead (deliveries retry-dead) needs the delivery store.
func runRetryDead(_ context.Context, env *Env, _ []string) int {
	fmt.Fprintf(env.Stderr, "leadhook: deliveries retry-dead: %v\n", errNoQueueStore)
	return 2
}
