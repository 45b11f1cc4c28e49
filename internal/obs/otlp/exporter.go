//go:build !leadhook.lambda

package otlp

import (
	"context"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// newExporter is the OTLP/HTTP (protobuf) span exporter, configured by
// the OTEL_EXPORTER_OTLP_* variables.
func newExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	return otlptracehttp.New(ctx)
}
