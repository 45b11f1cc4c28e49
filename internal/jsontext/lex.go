// Package jsontext is the one home of the JSON text primitives the
// hand-written coders of the hot path share, the inverse halves of one
// grammar (RFC 8259, as encoding/json reads and writes it):
//
//   - lexing, for the decoders (handlers/webhook's decodeJSON over a
//     request body, deskera's fast reply decoder): skipping white space,
//     matching a literal, scanning a string and a number, and unescaping
//     a string as encoding/json does;
//   - escaping, for the encoders (the history record, masked call
//     bodies): AppendEscaped writes string text exactly as encoding/json
//     escapes it.
//
// Each coder keeps only what builds or walks its own values; the token
// rules live here once, so they cannot drift apart.
//
// The lexing functions take the text and an index and return where the
// token ends, never panicking on truncated input; ok == false means the
// text is not that token, and the callers then leave the whole document
// to encoding/json. Every function is generic over strings and byte
// slices so that no caller has to copy its input to use it.
package jsontext

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Text is the input of the lexer: a string or a byte slice.
type Text interface {
	~string | ~[]byte
}

// Space returns the index of the first byte at or after i that is not
// JSON white space (space, tab, newline, carriage return), or len(s).
func Space[T Text](s T, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// Literal reports whether word (true, false or null) is at s[i:] and
// returns the index after it.
func Literal[T Text](s T, i int, word string) (next int, ok bool) {
	if len(s)-i < len(word) {
		return i, false
	}
	for j := 0; j < len(word); j++ {
		if s[i+j] != word[j] {
			return i, false
		}
	}
	return i + len(word), true
}

// Kind is what String found in a string's content, a set of bits (0:
// plain ASCII without escapes, the content is the value).
type Kind uint8

const (
	// Escaped: the content has an escape, its value needs Unescape.
	Escaped Kind = 1 << iota
	// NonASCII: a byte of the content is 0x80 or above, so it may be
	// invalid UTF-8, which encoding/json replaces by U+FFFD; each caller
	// decides what to do.
	NonASCII
)

// String scans the string whose opening quote is at s[i]: its content is
// s[i+1:end] and its closing quote is at end. A control character, an
// unknown escape, a \u without four hex digits or a missing closing
// quote is ok == false. (Three results, not a flag each, keep the
// wrapper of each instantiation small enough to inline.)
func String[T Text](s T, i int) (end int, kind Kind, ok bool) {
	for i++; i < len(s); {
		switch c := s[i]; {
		case c == '"':
			return i, kind, true
		case c == '\\':
			kind |= Escaped
			if i+1 >= len(s) {
				return 0, 0, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(s, i+2) < 0 {
					return 0, 0, false
				}
				i += 6
			default:
				return 0, 0, false
			}
		case c < ' ':
			return 0, 0, false
		case c >= utf8.RuneSelf:
			kind |= NonASCII
			i++
		default:
			i++
		}
	}
	return 0, 0, false
}

// Unescape appends to dst the value of a string's content (what lies
// between its quotes) as encoding/json decodes it: the two-character
// escapes, \uXXXX, a surrogate pair as the one rune it encodes, and a
// lone or broken surrogate as U+FFFD. Bytes that are not escapes are
// copied as they are, so invalid UTF-8 stays invalid (encoding/json
// would replace it by U+FFFD; the callers check utf8.Valid when String
// said NonASCII). A malformed escape, a control character or a quote is
// ok == false. The value is never longer than the content (an escape is
// at least as long as what it stands for), so a dst of len(s) free
// capacity is never grown.
func Unescape[T Text](dst []byte, s T) (out []byte, ok bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c < ' ':
			return dst, false
		case c != '\\':
			dst = append(dst, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s, i+2)
			if r < 0 {
				return dst, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// Only a surrogate escape right after it can pair; else
				// the lone one is U+FFFD and what follows is read anew.
				if r2 := pairedSurrogate(s, i); r2 >= 0 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

// pairedSurrogate is the value of the \uXXXX escape at s[i], or -1 when
// there is none.
func pairedSurrogate[T Text](s T, i int) rune {
	if i+1 >= len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return -1
	}
	return hex4(s, i+2)
}

// hex4 is the value of the four hex digits at s[i], or -1.
func hex4[T Text](s T, i int) rune {
	if i < 0 || i+4 > len(s) {
		return -1
	}
	var r rune
	for j := i; j < i+4; j++ {
		c := s[j]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Number scans the number at s[i] in RFC 8259's grammar (an optional
// minus, 0 or digits without a leading zero, an optional fraction, an
// optional exponent): its text is s[i:end]. integer says whether it has
// neither fraction nor exponent. Anything else at s[i] is ok == false;
// what follows the number is the caller's to check.
func Number[T Text](s T, i int) (end int, integer, ok bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return 0, false, false
	}
	integer = true
	if i < len(s) && s[i] == '.' {
		integer = false
		j := digits(s, i+1)
		if j == i+1 {
			return 0, false, false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integer = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return 0, false, false
		}
		i = j
	}
	return i, integer, true
}

// digits returns the index after the decimal digits at s[i].
func digits[T Text](s T, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
