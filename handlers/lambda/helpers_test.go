package lambda_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/webhook"
)

// coreCall is one recorded call of fakeCore.Handle.
type coreCall struct {
	Source string
	Req    *webhook.Request
	DryRun bool
}

// fakeCore records calls and answers with answer (200 {"ok":true} when nil).
type fakeCore struct {
	answer func(source string, req *webhook.Request) handlers.Response

	mu    sync.Mutex
	calls []coreCall
}

func (f *fakeCore) Handle(_ context.Context, source string, req *webhook.Request, dryRun bool) handlers.Response {
	f.mu.Lock()
	f.calls = append(f.calls, coreCall{Source: source, Req: req, DryRun: dryRun})
	f.mu.Unlock()
	if f.answer != nil {
		return f.answer(source, req)
	}
	return handlers.Response{Status: http.StatusOK, Body: map[string]any{"ok": true}}
}

func (f *fakeCore) recorded() []coreCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]coreCall(nil), f.calls...)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invoke runs payload through aws-lambda-go's handler wrapper, as the
// runtime does, and returns the JSON it would send back.
func invoke(t *testing.T, fn any, payload []byte) ([]byte, error) {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "test-request"})
	return awslambda.NewHandler(fn).Invoke(ctx, payload)
}

func mustInvoke(t *testing.T, fn any, payload []byte, out any) {
	t.Helper()
	raw, err := invoke(t, fn, payload)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode response %s: %v", raw, err)
	}
}
