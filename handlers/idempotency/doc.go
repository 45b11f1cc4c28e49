// Package idempotency makes webhook deliveries act once: a replay of a
// delivery id within the TTL gets the first answer back, and concurrent
// duplicates wait for the one that is acting (singleflight). Answers live
// in a Store: Memory is the in-process store with a TTL and a size bound;
// Redis is shared by replicas and is also a Claimer, so that an expiring
// in-flight claim (SET NX PX) keeps two replicas from acting on one
// delivery at once, and a Redis failure refuses the delivery
// (ErrUnavailable, answered 503) rather than risk acting twice.
package idempotency
