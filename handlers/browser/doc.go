// Package browser lets a web page post a form straight from the visitor's
// browser to a source with a `browser:` block: it answers people with a
// redirect or a built-in page (and fetch callers with JSON), checks the
// page's origin and answers CORS, keeps bots out with a honeypot, a
// minimum render-to-submit time and a captcha checked at the provider's
// siteverify endpoint, and rate-limits per client IP and per source.
//
// A Guard is built per source from rules.Browser; the handlers package
// calls Admit before reading the body, Screen on the parsed event, and
// Write to answer.
package browser
