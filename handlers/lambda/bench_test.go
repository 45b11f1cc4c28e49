package lambda_test

import (
	"context"
	"testing"

	"github.com/leadhook/leadhook/handlers/lambda"
)

// BenchmarkAdapter measures the adapter's own cost per invocation (event
// decoding, request building, response encoding) over a core that answers
// at once.
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
			h, err := lambda.New(lambda.Config{Core: &fakeCore{}})
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
