// Package handlers is leadhook's service: the transport-neutral Service
// (authenticate, parse, dedupe, run the rules, answer) that the Gin server
// and the Lambda adapters both call, the Gin routes and middleware
// (metrics, body limit, in-flight cap), Prometheus metrics and logging.
package handlers
