package webhook

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeJSON is the one-pass decoder of the inbound JSON bodies: it
// builds the value (map[string]any, []any, string, bool, nil and
// numbers) straight from the bytes, with no second walk and no
// reflection. It takes only strict RFC 8259 text in valid UTF-8 whose
// value encoding/json gives too, and gives that same value; anything
// else (malformed JSON, trailing data, invalid UTF-8, a number its mode
// cannot hold, deep nesting) is ok == false, and the caller asks
// encoding/json, whose answer (the value, or the error and its text)
// then stays exactly what it was. So encoding/json only runs on bodies
// that are refused or odd, and the fast path never has to copy its
// error messages.
//
// The body is converted to one string and every key and value without
// escapes is a substring of it: 1 allocation instead of one per key and
// per value. A field kept after the event retains the body's copy, which
// is no larger than the fields it holds.
//
// With floats, every number is a float64 (json.Unmarshal into any);
// otherwise an integer that fits is an int64, any other number a float64
// and one too large for a float64 stays its text (DecodeObject's
// json.Number conversion).
func decodeJSON(body []byte, floats bool) (v any, ok bool) {
	// The members stack starts at the size of a typical lead's object,
	// so it is grown once at most instead of at 1, 2, 4, 8 and 16.
	d := jsonDecoder{s: string(body), floats: floats, members: make([]jsonMember, 0, jsonMembersCap)}
	d.space()
	v, ok = d.value()
	if !ok {
		return nil, false
	}
	if d.space(); d.i != len(d.s) {
		return nil, false
	}
	return v, true
}

// jsonMaxDepth bounds the nesting the fast path follows (encoding/json
// allows 10000; a deeper body is left to it).
const jsonMaxDepth = 512

// jsonMembersCap is the members stack's first capacity.
const jsonMembersCap = 16

// jsonMember is one object member waiting for its map.
type jsonMember struct {
	key string
	val any
}

type jsonDecoder struct {
	s      string
	i      int
	floats bool
	depth  int
	// members and elems are the stacks of the objects and arrays being
	// read: a map or slice is made once, at its final size, when it ends.
	members []jsonMember
	elems   []any
}

func (d *jsonDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value() (any, bool) {
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		return s, true
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, false
}

func (d *jsonDecoder) literal(word string) bool {
	if len(d.s)-d.i < len(word) || d.s[d.i:d.i+len(word)] != word {
		return false
	}
	d.i += len(word)
	return true
}

func (d *jsonDecoder) object() (any, bool) {
	more, ok := d.open('}')
	if !ok {
		return nil, false
	}
	base := len(d.members)
	for more {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		if d.space(); d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.space()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.members = append(d.members, jsonMember{key: k, val: v})
		if more, ok = d.next('}'); !ok {
			return nil, false
		}
	}
	m := make(map[string]any, len(d.members)-base)
	for _, e := range d.members[base:] {
		m[e.key] = e.val // a repeated key: the last one wins, as in encoding/json
	}
	clear(d.members[base:]) // drop the references the stack would keep
	d.members = d.members[:base]
	d.depth--
	return m, true
}

func (d *jsonDecoder) array() (any, bool) {
	more, ok := d.open(']')
	if !ok {
		return nil, false
	}
	base := len(d.elems)
	for more {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.elems = append(d.elems, v)
		if more, ok = d.next(']'); !ok {
			return nil, false
		}
	}
	list := make([]any, len(d.elems)-base) // never nil: [] is an empty list, as in encoding/json
	copy(list, d.elems[base:])
	clear(d.elems[base:])
	d.elems = d.elems[:base]
	d.depth--
	return list, true
}

// open steps into the object or array at d.i (within jsonMaxDepth: a
// deeper one is malformed here) and reports whether a member or element
// comes before its end ('}' or ']'), stepping over end when none does.
func (d *jsonDecoder) open(end byte) (more, ok bool) {
	if d.depth++; d.depth > jsonMaxDepth {
		return false, false
	}
	d.i++ // '{' or '['
	d.space()
	if d.i < len(d.s) && d.s[d.i] == end {
		d.i++
		return false, true
	}
	return true, true
}

// next reads what follows a member or an element: end (the object's '}'
// or the array's ']': more is false) or a comma and the space after it
// (more is true); anything else is malformed. Objects and arrays share
// it, so both take their separators by the same rule.
func (d *jsonDecoder) next(end byte) (more, ok bool) {
	if d.space(); d.i >= len(d.s) {
		return false, false
	}
	c := d.s[d.i]
	d.i++
	switch c {
	case end:
		return false, true
	case ',':
		d.space()
		return true, true
	}
	return false, false
}

// str reads a string at d.i ('"'): a substring of the body when it has
// no escapes, else unescaped as encoding/json does (a lone or broken
// surrogate escape becomes U+FFFD).
func (d *jsonDecoder) str() (string, bool) {
	start := d.i + 1
	i := start
	high := false
	for ; i < len(d.s); i++ {
		c := d.s[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			return d.unescape(start, i, high)
		}
		if c < ' ' {
			return "", false
		}
		if c >= utf8.RuneSelf {
			high = true
		}
	}
	if i >= len(d.s) || high && !utf8.ValidString(d.s[start:i]) {
		return "", false
	}
	d.i = i + 1
	return d.s[start:i], true
}

// unescape finishes a string that has an escape at i, copying from
// start; high says whether a byte before i is not ASCII.
func (d *jsonDecoder) unescape(start, i int, high bool) (string, bool) {
	b := make([]byte, 0, i-start+16)
	b = append(b, d.s[start:i]...)
	for i < len(d.s) {
		c := d.s[i]
		switch {
		case c == '"':
			if high && !utf8.Valid(b) {
				return "", false
			}
			d.i = i + 1
			return string(b), true
		case c < ' ':
			return "", false
		case c != '\\':
			if c >= utf8.RuneSelf {
				high = true
			}
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(d.s) {
			return "", false
		}
		switch e := d.s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(d.s, i+2)
			if r < 0 {
				return "", false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2 := pairedSurrogate(d.s, i); r2 >= 0 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b = utf8.AppendRune(b, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false
		}
		i += 2
	}
	return "", false
}

// pairedSurrogate is the \uXXXX escape at i, or -1 when there is none.
func pairedSurrogate(s string, i int) rune {
	if i+1 >= len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return -1
	}
	return hex4(s, i+2)
}

// hex4 is the value of the four hex digits at i, or -1.
func hex4(s string, i int) rune {
	if i+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
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

// number reads a number in JSON's grammar and converts it as the mode
// says.
func (d *jsonDecoder) number() (any, bool) {
	start := d.i
	i := start
	if d.s[i] == '-' {
		i++
	}
	switch {
	case i < len(d.s) && d.s[i] == '0':
		i++
	case i < len(d.s) && d.s[i] >= '1' && d.s[i] <= '9':
		i = digits(d.s, i)
	default:
		return nil, false
	}
	integer := true
	if i < len(d.s) && d.s[i] == '.' {
		integer = false
		if j := digits(d.s, i+1); j > i+1 {
			i = j
		} else {
			return nil, false
		}
	}
	if i < len(d.s) && (d.s[i] == 'e' || d.s[i] == 'E') {
		integer = false
		i++
		if i < len(d.s) && (d.s[i] == '+' || d.s[i] == '-') {
			i++
		}
		if j := digits(d.s, i); j > i {
			i = j
		} else {
			return nil, false
		}
	}
	d.i = i
	text := d.s[start:i]
	if integer && !d.floats {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, true
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	switch {
	case err == nil:
		return f, true
	case d.floats:
		return nil, false // json.Unmarshal refuses it: let it say so
	default:
		return text, true
	}
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
