package webhook

import (
	"strconv"
	"unicode/utf8"

	"github.com/leadhook/leadhook/internal/jsontext"
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
	d.i = jsontext.Space(d.s, d.i)
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
	var ok bool
	d.i, ok = jsontext.Literal(d.s, d.i, word)
	return ok
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
// surrogate escape becomes U+FFFD). Invalid UTF-8, which encoding/json
// would replace, is left to encoding/json.
func (d *jsonDecoder) str() (string, bool) {
	end, kind, ok := jsontext.String(d.s, d.i)
	if !ok {
		return "", false
	}
	content := d.s[d.i+1 : end]
	nonASCII := kind&jsontext.NonASCII != 0
	if kind&jsontext.Escaped == 0 {
		if nonASCII && !utf8.ValidString(content) {
			return "", false
		}
		d.i = end + 1
		return content, true
	}
	b, ok := jsontext.Unescape(make([]byte, 0, len(content)), content)
	if !ok || nonASCII && !utf8.Valid(b) {
		return "", false
	}
	d.i = end + 1
	return string(b), true
}

// number reads a number in JSON's grammar and converts it as the mode
// says.
func (d *jsonDecoder) number() (any, bool) {
	start := d.i
	end, integer, ok := jsontext.Number(d.s, start)
	if !ok {
		return nil, false
	}
	d.i = end
	text := d.s[start:end]
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
