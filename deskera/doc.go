// Package deskera is a client for the Deskera CRM contacts API
// (https://bifrost.deskera.com): contacts (list, walk all pages, get, get
// many, create, update, replace, delete, bulk update) and contact labels
// (list, get, create, update, delete).
//
// # Usage
//
//	c, err := deskera.NewClient(
//		deskera.WithOAuth(clientID, clientSecret, refreshToken), // or WithAccessToken(tok)
//		deskera.WithLogger(logger),
//	)
//	if err != nil { ... }
//	page, err := c.ListContacts(ctx, &deskera.ListContactsOptions{Email: "ada@example.com"})
//	err = c.WalkContacts(ctx, nil, func(cs []deskera.Contact) error { ...; return nil })
//	_, err = c.GetContact(ctx, 42)
//	if errors.Is(err, deskera.ErrNotFound) { ... }
//
// # Authentication
//
// Requests carry the x-access-token header. With WithOAuth the client
// obtains and renews the token from POST /v2/oauth/token
// (grant_type=refresh_token, HTTP Basic client credentials), before it
// expires and whenever Deskera answers 401: the refresh happens once for any
// number of concurrent requests, and each request is retried once with the
// new token. Tokens and secrets never appear in errors, logs, String or
// LogValue.
//
// # Resilience
//
// Each attempt has its own timeout (WithTimeout). Reads, updates and deletes
// are retried with exponential backoff and jitter (cenkalti/backoff) on 429,
// 502, 503, 504 and transport errors, honouring Retry-After, within
// WithRetry's attempt and time bounds and the caller's context. A token
// bucket (golang.org/x/time/rate, WithRateLimit; 10 requests/s, burst 20 by
// default since Deskera publishes no limit) paces every attempt.
//
// # Creates and duplicates
//
// POST is not idempotent, so CreateContact and CreateLabel are retried only
// when the request provably never reached Deskera: a failure to connect
// (dial error, connection refused). Any other failure once the request may
// have been sent (a 429, which Deskera has been seen to answer after
// committing the create, a timeout, a dropped connection, a 5xx) returns an error matching ErrOutcomeUnknown: the
// contact may or may not exist. Temporary reports such errors as retryable
// at a higher level, and the upsert path avoids duplicates by always
// searching before it creates: it lists contacts by email
// (ListContactsOptions{Email: ...}), updates the match if there is one and
// creates only if there is none. When a create's outcome is unknown, the
// service answers 503 and the sender retries the webhook; that retry's
// search finds the contact the lost request created and updates it instead
// of creating a second one.
//
// # Errors
//
// Non-2xx answers are *APIError (status, method, path, message and a
// bounded body excerpt); errors.Is(err, ErrNotFound) matches a 404; a 429 is
// a *RateLimitError carrying Retry-After. Temporary(err) tells whether a
// later retry may succeed. A reply that is not valid JSON gives an error
// naming the operation ("deskera: contacts.list: malformed reply ...").
// Replies are decoded tolerantly: ids may be numbers or strings, unknown
// fields are ignored, and empty 200/201 bodies are accepted.
//
// The in-memory fake in package deskeratest serves the same API for tests
// and for the service's sandbox.
package deskera
