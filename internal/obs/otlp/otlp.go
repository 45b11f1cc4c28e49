// Package otlp builds the OpenTelemetry tracer provider leadhook exports
// spans with: OTLP over HTTP (protobuf), configured by the standard
// OTEL_* environment variables, and off unless an OTLP endpoint is set.
// The Lambda build (tag leadhook.lambda) has no exporter: the OTLP
// exporter's protobuf service packages bring gRPC and grpc-gateway with
// them (0.7 MB of the zip); there an endpoint set is an error.
package otlp

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Environment variables that switch tracing on (either one).
const (
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envSDKDisabled    = "OTEL_SDK_DISABLED"
)

// Enabled reports whether getenv asks for tracing: an OTLP endpoint is set
// and OTEL_SDK_DISABLED is not "true".
func Enabled(getenv func(string) string) bool {
	if getenv(envSDKDisabled) == "true" {
		return false
	}
	return getenv(EnvEndpoint) != "" || getenv(EnvTracesEndpoint) != ""
}

// NewTracerProvider returns a tracer provider exporting to the OTLP HTTP
// endpoint of the environment, or nil (no tracing) when Enabled is false.
// The exporter and the SDK read every other OTEL_* variable themselves
// (headers, timeout, compression, certificates, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_*); the service
// name defaults to leadhook. Shut it down to flush the spans still queued.
func NewTracerProvider(ctx context.Context, getenv func(string) string, version string) (*sdktrace.TracerProvider, error) {
	if !Enabled(getenv) {
		return nil, nil
	}
	exp, err := newExporter(ctx)
	if err != nil {
		return nil, fmt.Errorf("otlp: trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("leadhook"), semconv.ServiceVersion(version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("otlp: resource: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}
