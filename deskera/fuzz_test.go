package deskera_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
)

type replyTransport struct {
	status int
	header http.Header
	body   []byte
}

func (r *replyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: r.status, Header: r.header.Clone(), Body: io.NopCloser(bytes.NewReader(r.body)),
		ContentLength: int64(len(r.body)), Request: req}, nil
}

// FuzzDecodeReplies feeds arbitrary Deskera replies (status, body) to
// every decoding operation: no panic; a failure is an error the service
// can classify (APIError, RateLimitError, ErrNotFound or a decode error),
// never a half-decoded success.
func FuzzDecodeReplies(f *testing.F) {
	for _, b := range deskera.TestdataReplies(f) {
		f.Add(200, b)
	}
	for _, s := range []string{`{"id":"12"}`, `{"id":1e40}`, `{"data":null}`, `{"data":[{"id":-1,"custom_field":[null]}]}`,
		`[]`, `null`, ``, `{"message":"bad","errorCode":3}`, "\xff", `{"totalRecords":"x"}`} {
		f.Add(200, []byte(s))
		f.Add(400, []byte(s))
	}
	f.Add(429, []byte(`{}`))
	f.Add(503, []byte(`<html>`))
	f.Add(204, []byte{})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			return // net/http never delivers such a status
		}
		tr := &replyTransport{status: status, header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"0"}}, body: body}
		c, err := deskera.NewClient(deskera.WithAccessToken("fuzz-token"), deskera.WithRetry(1, time.Second),
			deskera.WithRateLimit(0, 0), deskera.WithHTTPClient(&http.Client{Transport: tr}))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		check := func(op string, v any, err error) {
			if err != nil {
				if status >= 200 && status < 300 {
					return // undecodable success: an error is right
				}
				var api *deskera.APIError
				var rl *deskera.RateLimitError
				if !errors.As(err, &api) && !errors.As(err, &rl) && !errors.Is(err, deskera.ErrNotFound) {
					t.Fatalf("%s: status %d gave an unclassified error %v", op, status, err)
				}
				return
			}
			if status < 200 || status > 299 {
				t.Fatalf("%s: status %d succeeded", op, status)
			}
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("%s: result not serialisable: %v", op, err)
			}
		}
		l, err := c.ListContacts(ctx, &deskera.ListContactsOptions{Email: "a@b.co", Limit: 10})
		check("list", l, err)
		g, err := c.GetContact(ctx, 7)
		check("get", g, err)
		m, err := c.GetContactsByIDs(ctx, []deskera.ID{1, 2})
		check("multiple", m, err)
		cr, err := c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "x", Email: "a@b.co"})
		check("create", cr, err)
		u, err := c.UpdateContact(ctx, 7, &deskera.ContactSaveDto{Name: "y"})
		check("update", u, err)
		ls, err := c.ListLabels(ctx)
		check("labels", ls, err)
		id, err := c.CreateLabel(ctx, &deskera.LabelRequest{Name: "x"})
		check("label create", id, err)
	})
}

// FuzzID: ID accepts a number or a numeric string and nothing else, and
// what it accepts it writes back as a number.
func FuzzID(f *testing.F) {
	for _, s := range []string{`12`, `"12"`, `-1`, `1e3`, `"x"`, `null`, `12.5`, `"9223372036854775808"`, `true`, `""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var id deskera.ID
		if err := json.Unmarshal(data, &id); err != nil {
			return
		}
		b, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		var back deskera.ID
		if err := json.Unmarshal(b, &back); err != nil || back != id {
			t.Fatalf("%s -> %d -> %s -> %d (%v)", data, id, b, back, err)
		}
	})
}

// FuzzQueryEscape: the search's own escaping is url.QueryEscape, byte for
// byte (every byte value is among the seeds).
func FuzzQueryEscape(f *testing.F) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, s := range []string{"", "jane+x@acme.io", "+65 8575 8458", "a b&c=d@é.io", "-_.~!*'()", string(all)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := deskera.QueryEscape(s), url.QueryEscape(s); got != want {
			t.Errorf("QueryEscape(%q) = %q, want %q", s, got, want)
		}
	})
}
