// Package lambda serves leadhook as an AWS Lambda function.
//
// One handler (Handler.Invoke, a func(context.Context, json.RawMessage))
// recognises every trigger leadhook is deployed behind (Detect) and hands
// it to what the server runs: HTTP events to its router, the others to the
// transport-neutral core, (*handlers.Service).Handle:
//
//   - API Gateway REST (v1) proxy events, HTTP API (v2) events and Lambda
//     Function URL events become an *http.Request each, served by
//     Config.HTTP: the router the server runs (handlers.NewRouter), so
//     routing, 404/405/413, dry runs, browser sources and the encoding of
//     answers exist once. The request carries the body bytes as sent
//     (base64 decoded: signatures are computed over them), repeated
//     headers and query values, cookies, the peer address (the source IP
//     API Gateway or the Function URL saw) as RemoteAddr, and the
//     invocation's context with its deadline. A named stage's prefix is
//     taken off an HTTP API path. The answer is buffered and returned in
//     the trigger's response shape; a body that is not UTF-8 is base64,
//     and an answer over Lambda's 6 MB response limit becomes a 500.
//   - Queued deliveries: SQSQueue is the handlers.Enqueuer of queued
//     sources on Lambda; it sends each delivery to the SQS queue as JSON,
//     marked by a leadhook_delivery message attribute. The queue's
//     trigger processes a marked record as the embedded queue's workers
//     do (QueuedCore.ProcessQueued) and reports it failed while the
//     failure is temporary, so SQS redelivers it and finally
//     dead-letters it.
//   - Other SQS records: each is one delivery, posted to the source named
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
