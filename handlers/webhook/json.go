package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

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
func (p *jsonParser) Parse(req *Request) (*Parsed, error) {
	if mt := req.ContentType(); !isJSONType(mt) {
		return nil, UnsupportedMediaType(mt, "application/json")
	}
	obj, err := DecodeObject(req.Body)
	if err != nil {
		return nil, err
	}
	ev := NewEvent(req, p.source, rules.KindForm)
	ev.Fields = obj
	if err := Normalize(&ev); err != nil {
		return nil, err
	}
	return &Parsed{Events: []rules.Event{ev}}, nil
}

// DecodeObject decodes a JSON object. Numbers become int64 when they are
// integers and float64 otherwise. Anything but one object is a 400.
func DecodeObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, BadRequest("body", "empty body; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, BadRequest("body", "malformed JSON: %s", jsonErrorText(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
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

// convertNumbers replaces json.Number values with int64 or float64.
func convertNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = convertNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = convertNumbers(e)
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
