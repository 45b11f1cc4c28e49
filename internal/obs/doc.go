// Package obs follows one delivery through logs and traces: the request
// id and delivery id every log line about it carries, the log handler that
// adds them (and the trace id) from the context, the writer that batches
// serve's log lines into few writes, and the W3C trace context
// propagation helpers. It depends on the OpenTelemetry API only; the SDK
// and the OTLP exporter are wired in internal/obs/otlp.
package obs
