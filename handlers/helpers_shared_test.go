package handlers_test

import (
	"net/http"
	"strings"
)

// newRequest builds a request to the harness's server with a body, an
// optional Content-Type and extra headers.
func (h *harness) newRequest(method, path, contentType, body string, header map[string]string) *http.Request {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}
