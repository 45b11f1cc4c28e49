// Package queue keeps the deliveries of `delivery: queued` sources until
// they are done: a River job queue (github.com/riverqueue/river) on an
// embedded SQLite file (one process) or on PostgreSQL (several replicas).
//
// One job per (source, delivery id): a repeat is not stored twice. A
// worker runs the job through handlers.Service.ProcessQueued, the same
// processing as a sync delivery. A temporary failure is retried with
// backoff (Deskera's Retry-After honoured) until the job is older than
// the maximum age; then it is dead-lettered (River's cancelled state,
// or discarded after the last attempt), never deleted, and RetryDead
// puts it back. When Deskera is down or answers 429, one shared Gate
// pauses every worker of the process: one probe at a time finds out when
// it is back, instead of one backoff per delivery.
package queue
