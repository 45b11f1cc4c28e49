package lambda

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/webhook"
)

// jsonContentType is what Gin's c.JSON sets.
const jsonContentType = "application/json; charset=utf-8"

// encoded is a core Response rendered to bytes, as Gin would write it.
type encoded struct {
	status int
	header http.Header
	body   string
	base64 bool
}

// encode renders resp: a []byte or string body is written as is, any other
// non-nil body as JSON (encoding/json, like Gin's c.JSON); bytes that are
// not UTF-8 are base64-encoded for the proxy response.
func encode(resp handlers.Response) (*encoded, error) {
	header := resp.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	var raw []byte
	switch b := resp.Body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return nil, err
		}
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", jsonContentType)
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	e := &encoded{status: status, header: header, body: string(raw)}
	if !utf8.Valid(raw) {
		e.body, e.base64 = base64.StdEncoding.EncodeToString(raw), true
	}
	return e, nil
}

// errorResponse is the answer to a request the adapter itself refuses
// (a body that is not valid base64).
func errorResponse(err error) handlers.Response {
	var we *webhook.Error
	if !errors.As(err, &we) {
		we = &webhook.Error{Status: http.StatusBadRequest, Message: err.Error()}
	}
	return jsonAnswer(we.Status, handlers.ErrorBody{Error: we.Message, Field: we.Field})
}

// jsonAnswer is a JSON response, as Gin's c.JSON writes it.
func jsonAnswer(status int, body any) handlers.Response {
	return handlers.Response{Status: status, Header: http.Header{}, Body: body}
}

// singleHeaders joins repeated values with ", " (Set-Cookie excluded: v2
// responses carry cookies apart).
func singleHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		if k == "Set-Cookie" || len(vs) == 0 {
			continue
		}
		out[k] = strings.Join(vs, ", ")
	}
	return out
}

func toV1Response(resp handlers.Response) (events.APIGatewayProxyResponse, error) {
	e, err := encode(resp)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	multi := make(map[string][]string, len(e.header))
	for k, vs := range e.header {
		multi[k] = append([]string(nil), vs...)
	}
	return events.APIGatewayProxyResponse{StatusCode: e.status, MultiValueHeaders: multi, Body: e.body, IsBase64Encoded: e.base64}, nil
}

func toV2Response(resp handlers.Response) (events.APIGatewayV2HTTPResponse, error) {
	e, err := encode(resp)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: e.status, Headers: singleHeaders(e.header),
		Body: e.body, IsBase64Encoded: e.base64, Cookies: e.header.Values("Set-Cookie")}, nil
}

func toURLResponse(resp handlers.Response) (events.LambdaFunctionURLResponse, error) {
	e, err := encode(resp)
	if err != nil {
		return events.LambdaFunctionURLResponse{}, err
	}
	return events.LambdaFunctionURLResponse{StatusCode: e.status, Headers: singleHeaders(e.header),
		Body: e.body, IsBase64Encoded: e.base64, Cookies: e.header.Values("Set-Cookie")}, nil
}
