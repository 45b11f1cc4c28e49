//go:build leadhook.lambda

package otlp_test

import (
	"errors"
	"testing"

	"github.com/leadhook/leadhook/internal/obs/otlp"
)

// TestLambdaBuildRefusesEndpoint: with an endpoint set, the Lambda build
// says it has no exporter instead of tracing into nothing.
func TestLambdaBuildRefusesEndpoint(t *testing.T) {
	env := map[string]string{otlp.EnvEndpoint: "http://127.0.0.1:4318"}
	tp, err := otlp.NewTracerProvider(t.Context(), func(k string) string { return env[k] }, "v-test")
	if tp != nil || !errors.Is(err, otlp.ErrNoExporter) {
		t.Fatalf("NewTracerProvider = %v, %v; want nil, ErrNoExporter", tp, err)
	}
}
