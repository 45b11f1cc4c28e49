package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/leadhook/leadhook/rules"
)

// jsonParser accepts any JSON object: its members become event.fields
// (nested objects stay objects) and the lead's email, name, phone and
// company are found by name at the top level or one level down
// (data, contact, lead, ...).
type jsonParser struct {
	source string
}

func newJSONParser(src rules.Source, _ Options) Parser {
	return &jsonParser{source: src.Name}
}

// isJSONType accepts application/json, any +json type, and no type at all.
func isJSONType(mt string) bool {
	return mt == "" || mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// Parse decodes the body into one form-kind event.
func (p *jsonParser) Parse(ctx context.Context, req *Request) (*Parsed, error) {
	if mt := req.ContentType(); !isJSONType(mt) {
		return nil, UnsupportedMediaType(mt, "application/json")
	}
	obj, err := DecodeObject(req.Body)
	if err != nil {
		return nil, err
	}
	ev := newEvent(req, p.source, rules.KindForm, obj)
	if err := Normalize(&ev); err != nil {
		return nil, err
	}
	return oneEvent(ev, ""), nil
}

// DecodeObject decodes a JSON object. Numbers become int64 when they are
// integers and float64 otherwise. Anything but one object is a 400, and
// so is a body that is not UTF-8.
//
// A well-formed object is read in one pass by decodeJSON; any other body
// goes to decodeObjectStd, the encoding/json path, whose answer (value or
// error text) is the reference decodeJSON is tested against.
func DecodeObject(body []byte) (map[string]any, error) {
	if v, ok := decodeJSON(body, false); ok {
		if obj, ok := v.(map[string]any); ok {
			return obj, nil
		}
	}
	return decodeObjectStd(body)
}

// decodeObjectStd is DecodeObject with encoding/json: UseNumber, then
// json.Number converted in a second walk.
func decodeObjectStd(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, BadRequest("body", "empty body; send a JSON object")
	}
	if err := CheckUTF8(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, BadRequest("body", "malformed JSON: %s", jsonErrorText(err))
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return nil, BadRequest("body", "malformed JSON: data after the top-level value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, BadRequest("body", "the body must be a JSON object, not %s", jsonKind(v))
	}
	return convertNumbers(obj).(map[string]any), nil
}

func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	default:
		return "an object"
	}
}

// convertNumbers replaces json.Number values with int64 or float64, in
// place: maps and lists are only written where a number was (the walk
// reads the strings that most lead fields are without touching them).
func convertNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if needsConvert(e) {
				x[k] = convertNumbers(e)
			}
		}
		return x
	case []any:
		for i, e := range x {
			if needsConvert(e) {
				x[i] = convertNumbers(e)
			}
		}
		return x
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	default:
		return v
	}
}

// needsConvert reports whether e is or may hold a json.Number.
func needsConvert(e any) bool {
	switch e.(type) {
	case json.Number, map[string]any, []any:
		return true
	}
	return false
}

// CheckUTF8 is a 400 naming the first invalid byte when a JSON body is
// not UTF-8. RFC 8259 requires UTF-8; encoding/json would silently turn
// such bytes (Latin-1 "é" as 0xE9, say) into U+FFFD and the CRM would
// store the replacement character instead of the sender's text.
func CheckUTF8(body []byte) *Error {
	if utf8.Valid(body) {
		return nil
	}
	return BadRequest("body", "the JSON body is not valid UTF-8 (first invalid byte at offset %d); "+
		"JSON must be UTF-8 (RFC 8259): re-encode it (a Latin-1 or Windows-1252 sender must convert)", invalidUTF8At(body))
}

// invalidUTF8At is the offset of the first byte that is not part of a
// valid UTF-8 sequence (len(b) when there is none).
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
