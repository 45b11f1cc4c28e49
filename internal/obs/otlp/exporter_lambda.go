//go:build leadhook.lambda

package otlp

import (
	"context"
	"errors"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ErrNoExporter is NewTracerProvider's error in the Lambda build when an
// OTLP endpoint is set: tracing was asked for and cannot be given, so the
// function refuses to start rather than drop the spans unseen.
var ErrNoExporter = errors.New("the Lambda build has no OTLP exporter: unset " + EnvEndpoint + " and " + EnvTracesEndpoint + " (or run the server binary, which exports spans)")

func newExporter(context.Context) (sdktrace.SpanExporter, error) { return nil, ErrNoExporter }
