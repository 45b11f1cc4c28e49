package handlers

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leadhook/leadhook/deskera"
)

// TestMaskedBody: the personal values of a call body are masked wherever
// they sit (nested objects, arrays under a personal key), everything else
// is kept as it was, and the result is valid JSON.
func TestMaskedBody(t *testing.T) {
	type field struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	}
	tests := []struct {
		name string
		body any
		want string // compared as JSON values (key order aside)
	}{
		{"nil", nil, ""},
		{"contact", map[string]any{"email": "jane.doe@example.com", "name": "Jane Doe", "phone": "+65 8575 8458", "address": "1 Road",
			"note": "call me", "owner_id": 42, "tags": []string{"a", "b"}, "active": true, "label": nil},
			`{"email":"j***@example.com","name":"J***","phone":"+***","address":"1***","note":"c***","owner_id":42,"tags":["a","b"],"active":true,"label":null}`},
		{"numeric phone", map[string]any{"phone": 6585758458, "count": -1.5e3}, `{"phone":"***","count":-1500}`},
		{"email in free text", map[string]any{"message": "write to bob@acme.io or ann@x.org", "plain": "no address"},
			`{"message":"write to b***@acme.io or a***@x.org","plain":"no address"}`},
		{"empty personal value", map[string]any{"name": "", "email": ""}, `{"name":"","email":""}`},
		{"first character of a multi-byte name", map[string]any{"name": "Émile"}, `{"name":"É***"}`},
		{"escaped strings", map[string]any{"name": "<Jane> \"J\"", "other": "a\\b <c>", "k\"ey": "v@w.io"},
			`{"name":"<***","other":"a\\b <c>","k\"ey":"v***@w.io"}`},
		{"custom fields", map[string]any{"custom_fields": []field{{"budget", "20000"}, {"size", 80}}},
			`{"custom_fields":[{"key":"budget","value":"2***"},{"key":"size","value":80}]}`},
		{"array under a personal key", map[string]any{"person_names": []any{"Ann", []any{"Bob"}, map[string]any{"city": "Oslo"}}},
			`{"person_names":["A***",["B***"],{"city":"Oslo"}]}`},
		{"raw message", struct {
			Persons json.RawMessage `json:"persons"`
		}{json.RawMessage(` [ {"name" : "Zoe", "n": 1 } ] `)}, `{"persons":[{"name":"Z***","n":1}]}`},
		{"top-level string", "mail ann@x.org", `"mail a***@x.org"`},
		{"empty containers", map[string]any{"a": []any{}, "o": map[string]any{}}, `{"a":[],"o":{}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := maskedBody(tc.body)
			if tc.want == "" {
				if got != "" {
					t.Fatalf("maskedBody = %q, want empty", got)
				}
				return
			}
			var g, w any
			if err := json.Unmarshal([]byte(got), &g); err != nil {
				t.Fatalf("maskedBody = %q: not JSON: %v", got, err)
			}
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("maskedBody = %s\nwant          %s", got, tc.want)
			}
		})
	}
}

// TestMaskJSONMalformed: text that is not one JSON value is refused, not
// copied half-masked.
func TestMaskJSONMalformed(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `["x"`, `"open`, `{"a":1} 2`, `{1:2}`, `[1 2]`, `A`, `[tru]`, `{"a":nul}`, `1.2.3`} {
		if out, err := maskJSON(nil, []byte(in)); err == nil {
			t.Errorf("maskJSON(%q) = %q, want an error", in, out)
		}
	}
}

// BenchmarkMaskedBody: the masked copy of a contact-create body, as each
// planned call of a recorded delivery gets (issue 18's history cost).
func BenchmarkMaskedBody(b *testing.B) {
	body := &deskera.ContactSaveDto{Name: "Jane Example", Email: "jane.example@acme-industrial.example", Phone: "+65 8575 8458",
		CountryCode: "SG", LabelID: 12, Type: "PERSON", OwnerID: 7, Note: "Hello, we are evaluating CRM integrations for our team.",
		CustomField: []deskera.CustomField{{Code: "UUCompany", Value: "Acme Industrial Automation Pte Ltd"}, {Code: "UUBudget", Value: "20000"}}}
	b.ReportAllocs()
	for b.Loop() {
		if s := maskedBody(body); !strings.Contains(s, `"j***@acme-industrial.example"`) {
			b.Fatal(s)
		}
	}
}

// maskString is a string value under key, masked as maskJSON masks it:
// an email, the first character of a personal value, any address inside
// other text (the reference FuzzMaskJSON holds maskJSON to).
func maskString(key, s string) string {
	switch {
	case key == "email":
		return MaskEmail(s)
	case piiKeys[key] && s != "":
		r, _ := utf8.DecodeRuneInString(s)
		return string(r) + "***"
	}
	return MaskEmails(s)
}

// maskValueReading is the masking as it was written before maskJSON: the
// body decoded into maps and slices, each value masked under its key,
// encoded again. FuzzMaskJSON holds maskJSON to it.
func maskValueReading(key string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = maskValueReading(k, x)
		}
	case []any:
		for i, x := range t {
			t[i] = maskValueReading(key, x)
		}
	case string:
		return maskString(key, t)
	case float64:
		if key == "phone" {
			return "***"
		}
	}
	return v
}

// FuzzMaskJSON: for any value, encoded as maskedBody encodes it
// (json.Marshal), maskJSON gives the same value (key order aside) as
// decoding, masking each value under its key and encoding again, so the
// one-pass copy masks exactly what the old walk masked.
func FuzzMaskJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.io","name":"Ann","phone":6585758458}`,
		`{"custom_fields":[{"key":"k","value":"v"}],"note":"x y@z.io"}`, `["a@b.io",{"person_names":["Bo",1]}]`,
		`{"k\"ey":"v@w.io","name":"\u00c9mile"}`, `{"a":{"phone":"+1 2"}, "b" : [ ] }`, `"x"`, `12`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var v any
		if json.Unmarshal([]byte(in), &v) != nil {
			return
		}
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out, err := maskJSON(nil, raw)
		if err != nil {
			t.Fatalf("maskJSON(%s): %v", raw, err)
		}
		var got any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("maskJSON(%s) = %s: not JSON: %v", raw, out, err)
		}
		want, err := json.Marshal(maskValueReading("", v))
		if err != nil {
			t.Fatal(err)
		}
		var w any
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("maskJSON(%s)\n got  %s\n want %s", raw, out, want)
		}
	})
}
