//go:build !leadhook.lambda

package webhook

import (
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
)

// lookupCharset is the encoding of a WHATWG charset name or label: every
// one htmlindex knows, the CJK ones included.
func lookupCharset(name string) (encoding.Encoding, error) { return htmlindex.Get(name) }
