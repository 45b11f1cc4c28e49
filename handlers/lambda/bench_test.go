package lambda_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/leadhook/leadhook/handlers/lambda"
)

// BenchmarkAdapter measures the cost per invocation of event decoding,
// request building and response encoding, over an http.Handler and a
// core that answer at once.
func BenchmarkAdapter(b *testing.B) {
	benches := []struct {
		name    string
		fixture string
	}{
		{name: "http api v2", fixture: "apigw-v2-request.json"},
		{name: "function url base64", fixture: "lambda-url-request.json"},
		{name: "rest v1", fixture: "apigw-v1-request.json"},
		{name: "sqs batch of 2", fixture: "sqs-event.json"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			payload := fixture(b, bb.fixture)
			h, err := lambda.New(lambda.Config{Core: &fakeCore{}, HTTP: okHandler})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
})
