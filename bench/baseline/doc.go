// Command baseline is the ceiling leadhook is measured against: a bare
// Gin server (build with -tags nomsgpack, as leadhook is) whose
// POST /hooks/:source reads the body, parses it as a JSON object and
// answers 200. GET /readyz answers 200 for start-up timing.
package main
