package deskera

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"
)

// The client asks for a gzipped reply itself, instead of net/http's
// transport (whose Accept-Encoding is a header map and a value of its own
// per request, and whose decoding wraps the body in a bufio.Reader per
// reply), when the request goes straight to an *http.Transport that
// would ask for one (Client.gzip): the request's header then carries
// Accept-Encoding: gzip (shared, like the rest of it), the transport
// leaves the reply as it came, and roundTrip decodes it as the transport
// would have: only when the client asked, only a reply that says
// Content-Encoding: gzip (in any case), with the header's
// Content-Encoding and Content-Length removed.
const hdrAcceptEncoding = "Accept-Encoding"

var gzipValue = []string{"gzip"}

// askedGzip reports whether the client asked for a gzipped reply to req.
func askedGzip(req *http.Request) bool { return req.Header[hdrAcceptEncoding] != nil }

// gzipped reports whether resp is a gzipped reply to decode: what the
// transport checks before it decodes one (a reply announced empty has no
// body to decode, and keeps its header).
func gzipped(resp *http.Response) bool {
	return resp.ContentLength != 0 && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip")
}

// gunzipper decodes a reply: a pooled gzip.Reader (its decompressor and
// window reused) reading from a bytes.Reader, which is a flate.Reader, so
// that no bufio.Reader is made per reply.
type gunzipper struct {
	zr  gzip.Reader
	src bytes.Reader
	lim io.LimitedReader
}

var gunzipPool = sync.Pool{New: func() any { return new(gunzipper) }}

// gunzip decodes src into dst, at most maxReply+1 bytes (as readReply
// reads a body). A gzip stream of several members is read whole, as the
// transport's reader (multistream) reads it.
func gunzip(dst *bytes.Buffer, src []byte) error {
	g := gunzipPool.Get().(*gunzipper)
	defer func() {
		g.src.Reset(nil)
		g.lim.R = nil
		gunzipPool.Put(g)
	}()
	g.src.Reset(src)
	if err := g.zr.Reset(&g.src); err != nil {
		if err == io.EOF {
			return nil // an empty body: the transport's reader ends at once too
		}
		return err
	}
	g.lim = io.LimitedReader{R: &g.zr, N: maxReply + 1}
	_, err := dst.ReadFrom(&g.lim)
	return err
}

// decodeGzip replaces a gzipped reply's body in *buf by its decoding
// (a pooled buffer too; the gzipped one is released) when the client
// asked for gzip, and removes the header's Content-Encoding and
// Content-Length as the transport does.
func decodeGzip(req *http.Request, resp *http.Response, buf **bytes.Buffer) error {
	if !askedGzip(req) || !gzipped(resp) {
		return nil
	}
	out := getBuf()
	if err := gunzip(out, (*buf).Bytes()); err != nil {
		putBuf(out)
		return err
	}
	putBuf(*buf)
	*buf = out
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
	resp.Uncompressed = true
	return nil
}
