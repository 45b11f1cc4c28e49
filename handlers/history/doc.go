// Package history keeps the decision audit of every delivery: when it
// came, from which source, on which rules version, which rules matched
// with which score, the Deskera calls planned and made (status codes and
// durations), the outcome, the contacts touched, the attempts and the
// next one. PII arrives masked (the handlers package masks as it logs);
// the raw body is kept only for queued and dead-lettered deliveries, for
// replay, and only for a retention (DefaultBodyRetention), after which
// the pruner drops it.
//
// The Store lives in an SQL database: an SQLite file (modernc.org/sqlite,
// no cgo, no server) for one process, or PostgreSQL (pgx) for replicas,
// the same store as the queue. Its tables are prefixed leadhook_ so that
// they sit beside the queue's.
package history
