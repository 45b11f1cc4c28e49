package webhook

import (
	"io"
	"mime"
	"strings"
	"unicode/utf8"
)

// Character sets of form values and email (RFC 2047 encoded words,
// MIME parts), resolved by the WHATWG names of golang.org/x/text's
// htmlindex, as browsers do: "iso-8859-1" and "latin1" are windows-1252
// (lookupCharset; the Lambda build knows fewer, see charset_lambda.go).

// wordDecoder decodes RFC 2047 encoded words in any charset htmlindex
// knows (mime's own handles only UTF-8, ISO-8859-1 and US-ASCII). It has
// no state, so one is shared.
var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	enc, err := lookupCharset(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}

// decodeHeader decodes the encoded words of a header value; a value that
// does not decode is kept as sent (valid UTF-8 made of it).
func decodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if out, err := wordDecoder.DecodeHeader(s); err == nil {
		return out
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// decodeCharset converts s from charset to UTF-8. ASCII passes as is.
// With no charset, or UTF-8, text that is not UTF-8 is read as
// windows-1252 (what the WHATWG specifies for undeclared legacy text, so
// a Latin-1 "Grüße" stays "Grüße"); an unknown charset keeps the text
// with invalid bytes replaced by U+FFFD.
func decodeCharset(s, charset string) string {
	if isASCII(s) {
		return s
	}
	name := "windows-1252"
	if cs := strings.ToLower(strings.TrimSpace(charset)); cs != "" && cs != "utf-8" && cs != "utf8" {
		name = cs
	} else if utf8.ValidString(s) {
		return s
	}
	enc, err := lookupCharset(name)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	out, err := enc.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
