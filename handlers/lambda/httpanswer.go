package lambda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/internal/obs"
)

// MaxResponseBytes is Lambda's limit on a synchronous invocation's
// response (the proxy response JSON, base64 and escaping included). A
// larger answer would fail the invocation (502 at API Gateway); the
// handler answers 500 instead, saying why.
const MaxResponseBytes = 6 << 20

// errAnswerTooLarge is returned to the router when it writes past the
// limit (nothing more is buffered).
var errAnswerTooLarge = errors.New("answer larger than the lambda response limit")

// answerBuffer is the http.ResponseWriter the router writes an HTTP
// trigger's answer to.
type answerBuffer struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	overflow bool
}

func newAnswerBuffer() *answerBuffer { return &answerBuffer{header: http.Header{}} }

func (w *answerBuffer) Header() http.Header { return w.header }

func (w *answerBuffer) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *answerBuffer) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(p) > MaxResponseBytes {
		w.overflow = true
		return 0, errAnswerTooLarge
	}
	return w.body.Write(p)
}

// Flush is there for handlers that flush (Gin's writer asserts it).
func (w *answerBuffer) Flush() {}

// proxyAnswer is an answer ready for one of the proxy response shapes.
type proxyAnswer struct {
	status int
	header http.Header
	body   string
	base64 bool
}

// answer reads the buffer: a body that is not UTF-8 is base64-encoded, as
// the proxy response requires for binary bodies.
func (w *answerBuffer) answer() proxyAnswer {
	a := proxyAnswer{status: w.status, header: w.header, body: w.body.String()}
	if a.status == 0 {
		a.status = http.StatusOK
	}
	if !utf8.Valid(w.body.Bytes()) {
		a.body, a.base64 = base64.StdEncoding.EncodeToString(w.body.Bytes()), true
	}
	return a
}

// tooLargeAnswer replaces an answer that does not fit in the limit.
func tooLargeAnswer(header http.Header) proxyAnswer {
	body, _ := json.Marshal(handlers.ErrorBody{Error: fmt.Sprintf("the answer is larger than the %d-byte lambda response limit", MaxResponseBytes)})
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if id := header.Get(obs.RequestIDHeader); id != "" {
		h.Set(obs.RequestIDHeader, id)
	}
	return proxyAnswer{status: http.StatusInternalServerError, header: h, body: string(body)}
}

// shape renders an answer in the response shape of trig.
func (a proxyAnswer) shape(trig Trigger) any {
	if trig == TriggerAPIGatewayV1 {
		multi := make(map[string][]string, len(a.header))
		for k, vs := range a.header {
			multi[k] = append([]string(nil), vs...)
		}
		return events.APIGatewayProxyResponse{StatusCode: a.status, MultiValueHeaders: multi, Body: a.body, IsBase64Encoded: a.base64}
	}
	// v2 and Function URLs: one value per header, cookies apart.
	single := make(map[string]string, len(a.header))
	for k, vs := range a.header {
		if k != "Set-Cookie" && len(vs) > 0 {
			single[k] = strings.Join(vs, ", ")
		}
	}
	cookies := a.header.Values("Set-Cookie")
	if trig == TriggerFunctionURL {
		return events.LambdaFunctionURLResponse{StatusCode: a.status, Headers: single, Body: a.body, IsBase64Encoded: a.base64, Cookies: cookies}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: a.status, Headers: single, Body: a.body, IsBase64Encoded: a.base64, Cookies: cookies}
}

// encodeAnswer is the response JSON of w for trig, within MaxResponseBytes.
func encodeAnswer(w *answerBuffer, trig Trigger) (json.RawMessage, error) {
	a := tooLargeAnswer(w.header)
	if !w.overflow {
		a = w.answer()
	}
	raw, err := json.Marshal(a.shape(trig))
	if err == nil && len(raw) > MaxResponseBytes {
		raw, err = json.Marshal(tooLargeAnswer(w.header).shape(trig))
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s response: %w", trig, err)
	}
	return raw, nil
}
