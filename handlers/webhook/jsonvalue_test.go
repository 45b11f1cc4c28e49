package webhook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// checkDecodeJSON compares decodeJSON with the encoding/json reference:
// decodeObjectStd for the int64 mode and json.Unmarshal into any for the
// floats mode. Where the fast path answers, it must give the same value;
// where it declines, the caller uses the reference, so only a decline of
// a body the reference accepts is worth knowing about (wantFast).
func checkDecodeJSON(t *testing.T, body []byte, wantFast bool) {
	t.Helper()
	fast, ok := decodeJSON(body, false)
	ref, refErr := decodeObjectStd(body)
	if obj, isObj := fast.(map[string]any); ok && isObj {
		if refErr != nil {
			t.Fatalf("%q: fast path accepted what encoding/json refuses (%v): %#v", body, refErr, fast)
		}
		if !reflect.DeepEqual(obj, ref) {
			t.Fatalf("%q:\nfast %#v\nref  %#v", body, obj, ref)
		}
	} else if wantFast && refErr == nil {
		t.Errorf("%q: fast path declined (ok=%v) a body encoding/json accepts", body, ok)
	}

	fastF, okF := decodeJSON(body, true)
	var refF any
	refFErr := json.Unmarshal(body, &refF)
	switch {
	case okF && refFErr != nil:
		t.Fatalf("%q: floats fast path accepted what json.Unmarshal refuses (%v)", body, refFErr)
	case okF && !reflect.DeepEqual(fastF, refF):
		t.Fatalf("%q floats:\nfast %#v\nref  %#v", body, fastF, refF)
	}
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		wantFast bool // the fast path must answer (it is a plain object)
	}{
		{name: "Lead", body: `{"email":"a@b.c","name":"Ann","age":42,"score":1.5,"ok":true,"no":false,"x":null}`, wantFast: true},
		{name: "Empty", body: `{}`, wantFast: true},
		{name: "Spaces", body: " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n", wantFast: true},
		{name: "Nested", body: `{"data":{"contact":{"email":"x@y.z","tags":["a",{"b":[[],{}]}]}}}`, wantFast: true},
		{name: "EmptyList", body: `{"a":[]}`, wantFast: true},
		{name: "DuplicateKey", body: `{"a":1,"a":"two","b":{"c":1,"c":2}}`, wantFast: true},
		{name: "Numbers", body: `{"a":0,"b":-0,"c":9223372036854775807,"d":-9223372036854775808,"e":9223372036854775808,` +
			`"f":1e3,"g":1E-3,"h":-0.0,"i":12.50,"j":1e308,"k":5e-324,"l":1e-400,"m":123456789012345678901234567890}`, wantFast: true},
		{name: "NumberTooLarge", body: `{"n":1e400,"m":-1e400}`, wantFast: true},
		{name: "Escapes", body: `{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00","k\u0041":"v"}`, wantFast: true},
		{name: "LoneSurrogates", body: `{"a":"\ud800","b":"\udc00x","c":"\ud800\u0041","d":"\ud800\ud800","e":"\ud83d"}`, wantFast: true},
		{name: "UTF8", body: `{"name":"Zoë Ærø 東京 😀","é":"ü"}`, wantFast: true},
		{name: "EscapedThenUTF8", body: `{"s":"\n東京"}`, wantFast: true},
		{name: "DeepNesting", body: `{"a":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`},
		{name: "TrailingNBSP", body: "{\"a\":1}\u00a0"},
		{name: "TrailingVT", body: "{\"a\":1}\v"},
		{name: "LeadingBOM", body: "\ufeff{\"a\":1}"},
		{name: "EmptyBody", body: ""},
		{name: "OnlySpace", body: " \n "},
		{name: "Array", body: `[{"a":1}]`},
		{name: "String", body: `"x"`},
		{name: "Number", body: `12`},
		{name: "Null", body: `null`},
		{name: "Trailing", body: `{"a":1} {"b":2}`},
		{name: "TrailingComma", body: `{"a":1,}`},
		{name: "MissingValue", body: `{"email": }`},
		{name: "Unterminated", body: `{"a":"b`},
		{name: "BadEscape", body: `{"a":"\x"}`},
		{name: "ShortUnicode", body: `{"a":"\u12"}`},
		{name: "SurrogateBadHex", body: `{"a":"\ud800\uzzzz"}`},
		{name: "ControlChar", body: "{\"a\":\"x\ty\"}"},
		{name: "InvalidUTF8", body: "{\"a\":\"\xe9\"}"},
		{name: "InvalidUTF8Escaped", body: "{\"a\":\"\\n\xe9\"}"},
		{name: "LeadingZero", body: `{"a":01}`},
		{name: "BareDot", body: `{"a":1.}`},
		{name: "BareExp", body: `{"a":1e}`},
		{name: "Plus", body: `{"a":+1}`},
		{name: "Minus", body: `{"a":-}`},
		{name: "BadLiteral", body: `{"a":tru}`},
		{name: "UnquotedKey", body: `{a:1}`},
		{name: "NoColon", body: `{"a" 1}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkDecodeJSON(t, []byte(tc.body), tc.wantFast)
		})
	}
}

// TestDecodeObjectErrorsUnchanged pins that a body the fast path declines
// gets encoding/json's answer, word for word.
func TestDecodeObjectErrorsUnchanged(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{name: "Empty", body: "  ", want: "empty body; send a JSON object"},
		{name: "Malformed", body: `{"email": }`, want: "malformed JSON: invalid character '}' looking for beginning of value (at byte 11)"},
		{name: "Truncated", body: `{"a":`, want: "malformed JSON: unexpected end of input"},
		{name: "Trailing", body: `{"a":1} x`, want: "malformed JSON: data after the top-level value"},
		{name: "Array", body: `[1]`, want: "the body must be a JSON object, not an array"},
		{name: "Number", body: `1`, want: "the body must be a JSON object, not a number"},
		{name: "Null", body: `null`, want: "the body must be a JSON object, not null"},
		{name: "UTF8", body: "{\"a\":\"\xe9\"}", want: "first invalid byte at offset 6"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeObject([]byte(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("DecodeObject(%q) = %v, want %q", tc.body, err, tc.want)
			}
			_, ref := decodeObjectStd([]byte(tc.body))
			if ref == nil || ref.Error() != err.Error() {
				t.Fatalf("DecodeObject(%q) = %v, encoding/json path = %v", tc.body, err, ref)
			}
		})
	}
}

// FuzzDecodeJSON checks the one-pass decoder against encoding/json on any
// input: never a different value, never an accepted body it refuses.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@b.c","n":1,"f":1.5,"big":1e400,"l":[1,"x",null,true,{}]}`,
		`{"s":"\ud83d\ude00\ud800\u00e9\n","k":{"k":{"k":[]}}}`,
		`{"a":1,"a":2}`, `[1]`, `"x"`, ` {} `, `{"a":01}`, "{\"a\":\"\xe9\"}",
		`{"n":-0,"m":9223372036854775808,"e":1E+2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecodeJSON(t, body, false)
	})
}

// BenchmarkDecodeObject compares the one-pass path with the encoding/json
// one on the same bodies, side by side (so a busy machine skews both).
func BenchmarkDecodeObject(b *testing.B) {
	for _, name := range []string{"json/nested.json", "lead/lead.json", "cloudevents/structured.json"} {
		body, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
		if err != nil {
			b.Fatal(err)
		}
		for _, impl := range []struct {
			name   string
			decode func([]byte) (map[string]any, error)
		}{{"onepass", DecodeObject}, {"encodingjson", decodeObjectStd}} {
			b.Run(name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.decode(body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
