// Package deskeratest is an in-memory Deskera CRM contacts API for tests and
// for the service's sandbox.
//
// A *Fake is an http.Handler that serves the 13 documented contact and label
// operations plus the OAuth v2 refresh endpoint, with the documented response
// shapes and quirks:
//
//   - GET /v1/crm/contacts answers {"data":[...],"paginationInfo":{"page","totalRecords"}};
//     filters search (substring of name, email or phone), email (exact,
//     case-insensitive), name (substring, case-insensitive), phone (substring),
//     type, contact_ids (comma-separated) and contains_email; orderBy, order_by
//     or sort (id, name, email, created_at, updated_at) with order asc|desc;
//     limit defaults to DefaultLimit and is capped at MaxLimit; page is 1-based.
//   - POST /v1/crm/contacts answers 200 with the created contact; PATCH and PUT
//     /v1/crm/contacts/{id} and the bulk PATCH /v1/crm/contacts answer 201 with
//     an empty body; DELETE answers 200 with an empty body.
//   - Labels are a bare JSON array seeded with the four documented labels;
//     POST /v1/crm/contacts/labels answers 201 {"id":"<n>"} (a string).
//   - Requests without a valid x-access-token get 401, unknown ids 404,
//     malformed JSON 400.
//
// Faults can be injected (FailNext, FailRate, SetLatency, DropNext,
// DropNextAfterApply, FailNextAfterApply, and seeded random mixes per
// operation with InjectFaults, including requests applied and then answered
// 429/503 or dropped); every request is counted per operation (Count) and
// every fault per kind (Injected), so tests can assert call budgets. A Fake is safe for concurrent use.
//
// NewServer serves a Fake on a loopback port and closes it when the test
// ends; (*Fake).Transport serves requests in-process without a socket. The
// package imports neither testing nor net/http/httptest (NewServer takes the
// small TB interface), so the service's sandbox can link it.
package deskeratest
