// Command baseline is the ceiling leadhook is measured against: a bare
// Gin server (build with -tags nomsgpack, as leadhook is) whose
// POST /hooks/:source reads the body, parses it as a JSON object and
// answers 200; with -hmac it verifies the X-Signature HMAC-SHA256 first
// (the Gin + HMAC row). GET /readyz answers 200 for start-up timing, GET
// /debug/allocs the heap allocation counters.
package main
