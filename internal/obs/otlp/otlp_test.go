package otlp_test

import (
	"testing"

	"github.com/leadhook/leadhook/internal/obs/otlp"
)

// TestEnabled: tracing is off unless an OTLP endpoint (general or for
// traces) is set, and OTEL_SDK_DISABLED=true switches it off again.
func TestEnabled(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{name: "nothing set", env: nil, want: false},
		{name: "endpoint", env: map[string]string{otlp.EnvEndpoint: "http://collector:4318"}, want: true},
		{name: "traces endpoint", env: map[string]string{otlp.EnvTracesEndpoint: "http://collector:4318/v1/traces"}, want: true},
		{name: "other OTEL variables only", env: map[string]string{"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"}, want: false},
		{name: "sdk disabled", env: map[string]string{otlp.EnvEndpoint: "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := otlp.Enabled(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("Enabled = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOffReturnsNil: without an endpoint no provider (and no exporter
// goroutine) is made.
func TestOffReturnsNil(t *testing.T) {
	tp, err := otlp.NewTracerProvider(t.Context(), func(string) string { return "" }, "v-test")
	if tp != nil || err != nil {
		t.Fatalf("NewTracerProvider = %v, %v; want nil, nil", tp, err)
	}
}
