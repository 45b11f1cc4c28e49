package deskera

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func gz(t testing.TB, parts ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts { // one gzip member per part
		w := gzip.NewWriter(&b)
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// TestGzipAsTransport: a reply the client decodes itself (it asked for
// gzip) is the reply net/http's transport gives when it asks and decodes:
// the same status, body or error, and header (Content-Encoding and
// Content-Length removed once decoded), for a gzipped reply, one of two
// members, an empty or a corrupt or truncated one, a chunked one, one
// that is not gzip, and an error answer.
func TestGzipAsTransport(t *testing.T) {
	data := `{"data":[{"id":1,"email":"jane@acme.example"}],"paginationInfo":{"page":1}}`
	full := gz(t, data)
	replies := []struct {
		name     string
		status   int
		encoding string
		body     []byte
		chunked  bool
	}{
		{"gzip", 200, "gzip", full, false},
		{"upper case", 200, "GZIP", full, false},
		{"chunked", 200, "gzip", full, true},
		{"two members", 200, "gzip", gz(t, data[:10], data[10:]), false},
		{"empty", 200, "gzip", nil, false},
		{"empty chunked", 200, "gzip", nil, true},
		{"corrupt", 200, "gzip", []byte("not gzip at all"), false},
		{"truncated", 200, "gzip", full[:len(full)-6], false},
		{"identity", 200, "", []byte(data), false},
		{"other encoding", 200, "br", []byte("\x01\x02"), false},
		{"error answer", 400, "gzip", gz(t, `{"message":"bad email"}`), false},
	}
	for _, rp := range replies {
		t.Run(rp.name, func(t *testing.T) {
			var asked []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked = append(asked, r.Header.Get("Accept-Encoding"))
				if rp.encoding != "" {
					w.Header().Set("Content-Encoding", rp.encoding)
				}
				w.Header().Set("X-Kept", "yes")
				if !rp.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(len(rp.body)))
				}
				w.WriteHeader(rp.status)
				_, _ = w.Write(rp.body)
				if rp.chunked {
					w.(http.Flusher).Flush()
				}
			}))
			defer srv.Close()
			c, err := NewClient(WithBaseURL(srv.URL), WithAccessToken("tok"))
			if err != nil {
				t.Fatal(err)
			}
			if !c.gzip {
				t.Fatal("the client does not ask for gzip itself")
			}
			ctx := context.Background()
			r := &request{op: "contacts.list", method: http.MethodGet, path: contactsPath}
			own, _, err := c.newRequest(ctx, ctx, r, nil)
			if err != nil {
				t.Fatal(err)
			}
			theirs, _, err := c.buildRequest(ctx, ctx, r, nil) // no Accept-Encoding: the transport asks
			if err != nil {
				t.Fatal(err)
			}
			got, gerr := c.roundTrip(own)
			want, werr := c.roundTrip(theirs)
			if len(asked) != 2 || asked[0] != "gzip" || asked[1] != "gzip" {
				t.Fatalf("Accept-Encoding sent: %q, want gzip twice", asked)
			}
			if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
				t.Fatalf("error %v, want %v", gerr, werr)
			}
			if gerr != nil {
				return
			}
			defer got.release()
			defer want.release()
			if got.status != want.status || !bytes.Equal(got.body, want.body) {
				t.Errorf("reply %d %q, want %d %q", got.status, got.body, want.status, want.body)
			}
			for _, k := range []string{"Content-Encoding", "Content-Length", "X-Kept"} {
				if g, w := got.header.Values(k), want.header.Values(k); strings.Join(g, ",") != strings.Join(w, ",") {
					t.Errorf("header %s: %q, want %q", k, g, w)
				}
			}
		})
	}
}

// TestGzipNotAskedWithoutCompression: a transport with
// DisableCompression gets no Accept-Encoding from the client either, and
// a gzipped reply it did not ask for is left as it came.
func TestGzipNotAskedWithoutCompression(t *testing.T) {
	body := gz(t, `{"data":[]}`)
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.Header.Get("Accept-Encoding"))
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	tr := pooledTransport()
	tr.DisableCompression = true
	c, err := NewClient(WithBaseURL(srv.URL), WithAccessToken("tok"), WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req, _, err := c.newRequest(ctx, ctx, &request{op: "contacts.list", method: http.MethodGet, path: contactsPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.roundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rep.release()
	if c.gzip || len(asked) != 1 || asked[0] != "" {
		t.Errorf("asked for gzip: client %v, sent %q", c.gzip, asked)
	}
	if !bytes.Equal(rep.body, body) || rep.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("the reply was changed: %q, Content-Encoding %q", rep.body, rep.header.Get("Content-Encoding"))
	}
}
