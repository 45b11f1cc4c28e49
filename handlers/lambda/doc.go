// Package lambda serves leadhook as an AWS Lambda function.
//
// One handler (Handler.Invoke, a func(context.Context, json.RawMessage))
// recognises every trigger leadhook is deployed behind (Detect) and routes
// it to the same transport-neutral core the Gin server uses,
// (*handlers.Service).Handle:
//
//   - API Gateway REST (v1) proxy events, HTTP API (v2) events and Lambda
//     Function URL events become one webhook.Request each and are answered
//     as the Gin router answers the same request: POST /hooks/{source} goes
//     to the core (?dry_run=1 is a dry run the core authorises), GET
//     /healthz is answered, other paths are 404 and other methods 405, a
//     body over the limit is 413. Base64 bodies are decoded before any
//     parsing or signature check; the source comes from the {source} path
//     parameter or the segment after /hooks/ (a stage prefix is allowed).
//   - SQS batches: each record is one delivery, posted to the source named
//     by its `source` message attribute (or the configured default), with
//     the other String attributes as headers and the message id as the
//     delivery id. A body holding an SNS envelope is unwrapped to its
//     Message, except for sources of format ses, which read the envelope
//     themselves. Failed records are reported as partial batch failures so
//     only they are retried (on a FIFO queue, the rest of the batch too).
//     The records of a standard queue's batch are handed to the core
//     together (a BatchCore), which processes their events together: the
//     contacts they name are fetched in one call and their label and owner
//     changes grouped into bulk PATCHes.
//   - SNS subscribed directly: each record as an SQS record holding it.
//   - SES receipt events (SimpleEmailEvent) are posted as received to the
//     SES source (format ses), whose parser maps them to email events;
//     synchronous receipt rules get CONTINUE back.
//   - EventBridge scheduled events run the relabel sweep; the rule's
//     detail {"dry_run": true} makes it a dry run, and {"reassign":
//     {"from_owner": ID, "pool": NAME}} (or "to_owner", "when", "dry_run")
//     runs a reassign of one owner's contacts instead.
//
// The package never calls lambda.Start itself; cmd/leadhook does.
package lambda
