package lambda_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/leadhook/leadhook/handlers/lambda"
)

// FuzzInvoke feeds arbitrary Lambda payloads (API Gateway, function URL,
// SQS, SNS, SES, EventBridge shapes, bad base64, ...) to the handler: no
// panic; an answer or an invocation error, and every answer is JSON.
func FuzzInvoke(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		f.Add(fixture(f, filepath.Base(file)))
	}
	f.Add([]byte(`{"version":"2.0","routeKey":"POST /hooks/{source}","rawPath":"/hooks/website","body":"!!!not base64","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","body":"\u0000","messageAttributes":{"source":{"stringValue":""}}}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"httpMethod":"POST","path":"/hooks/x","body":"=","isBase64Encoded":true,"headers":{"Content-Type":["a","b"]}}`))
	s := newStack(f)
	h, err := lambda.New(lambda.Config{Core: &fakeCore{}, HTTP: s.router, SQSSource: "website"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(context.Background(), json.RawMessage(payload))
		if err != nil {
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("answer not serialisable: %v", err)
		}
	})
}
