package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/leadhook/leadhook/handlers/webhook"
)

// Response is the transport-neutral answer to one request. Body is
// JSON-serialisable (the Service always gives a json.RawMessage, so a
// replay answers exactly the same bytes as the first delivery).
type Response struct {
	Status int
	Header http.Header
	Body   any
	// reason is why a browser source blocked the request (for the
	// error redirect's ?error=); empty otherwise.
	reason string
	// results and retryAfter are what process found, for queued
	// deliveries' workers (see queuedResult).
	results    []*EventResult
	retryAfter time.Duration
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
	// Field names the offending field or header, when there is one.
	Field string `json:"field,omitempty"`
}

// errorResponse builds a JSON error answer.
func errorResponse(status int, field, msg string) Response {
	return jsonResponse(status, ErrorBody{Error: msg, Field: field})
}

// fromWebhookError turns a parser or verifier error into an answer.
func fromWebhookError(e *webhook.Error) Response {
	status := e.Status
	if status < 400 || status > 499 {
		status = http.StatusBadRequest
	}
	return errorResponse(status, e.Field, e.Message)
}

// jsonResponse marshals body once; Response.Body is the raw JSON.
func jsonResponse(status int, body any) Response {
	b, err := json.Marshal(body)
	if err != nil {
		return Response{
			Status: http.StatusInternalServerError,
			Header: http.Header{},
			Body:   json.RawMessage(`{"error":"internal error: answer not serialisable"}`),
		}
	}
	return Response{Status: status, Header: http.Header{}, Body: json.RawMessage(b)}
}

// withRetryAfter sets Retry-After in whole seconds (at least 1).
func (r Response) withRetryAfter(d time.Duration) Response {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set("Retry-After", strconv.Itoa(secs))
	return r
}
