package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/leadhook/leadhook/internal/obs/otlp"
)

// tracingDoc is the tracing paragraph of the serve and lambda usage.
const tracingDoc = `OpenTelemetry tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: spans then go there over OTLP/HTTP, configured by the
standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, ...).`

// tracingShutdownTimeout bounds flushing the spans still queued at exit.
const tracingShutdownTimeout = 5 * time.Second

// startTracing sets cfg.TracerProvider when the environment names an OTLP
// endpoint (see otlp.NewTracerProvider) and returns the function that
// flushes and stops it; without an endpoint tracing stays off and the
// function does nothing. Exporter errors (a collector down) are logged,
// never fatal: tracing must not cost a delivery.
func startTracing(ctx context.Context, env *Env, cfg *Config, log *slog.Logger) (func(), error) {
	tp, err := otlp.NewTracerProvider(ctx, env.Getenv, env.Version)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	if tp == nil {
		return func() {}, nil
	}
	// The SDK reports export failures through otel's error handler (the
	// standard library logger by default): send them to our JSON log.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("opentelemetry: export failed", "err", err.Error())
	}))
	cfg.TracerProvider = tp
	log.Info("tracing on: spans are exported over OTLP/HTTP",
		"endpoint", cmp.Or(env.Getenv(otlp.EnvTracesEndpoint), env.Getenv(otlp.EnvEndpoint)))
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tracingShutdownTimeout)
		defer cancel()
		if err := tp.Shutdown(sctx); err != nil {
			log.Warn("tracing: flushing spans at exit failed", "err", err.Error())
		}
	}, nil
}

// flusher is the part of the SDK tracer provider flushAfter needs.
type flusher interface {
	ForceFlush(ctx context.Context) error
}

// flushAfter exports an invocation's spans before it returns: Lambda
// freezes the instance between invocations, and a batch still queued
// would be sent late or never.
func flushAfter(fn func(context.Context, json.RawMessage) (any, error), tp trace.TracerProvider) func(context.Context, json.RawMessage) (any, error) {
	f, ok := tp.(flusher)
	if !ok {
		return fn
	}
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		defer func() { _ = f.ForceFlush(context.WithoutCancel(ctx)) }()
		return fn(ctx, payload)
	}
}
