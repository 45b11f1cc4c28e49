package webhook

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// TestJSONFormatsRefuseNonUTF8: every format whose body is JSON answers
// 400 naming the body when it is not UTF-8 (Latin-1 "José"), instead of
// decoding it to U+FFFD; the same body in UTF-8 is not refused for that.
func TestJSONFormatsRefuseNonUTF8(t *testing.T) {
	latin1 := "{\"email\":\"l@example.com\",\"name\":\"Jos\xe9\"}"
	ce := "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"data\":" + latin1 + "}"
	binary := []string{"Ce-Specversion", "1.0", "Ce-Id", "1", "Ce-Source", "/s", "Ce-Type", "t"}
	tests := []struct {
		name, format, ct, body string
		hdr                    []string
	}{
		{"JSON", "json", "application/json", latin1, nil},
		{"JSONNoContentType", "json", "", latin1, nil},
		{"Typeform", "typeform", "application/json", latin1, nil},
		{"Webflow", "webflow", "application/json", latin1, nil},
		{"Tally", "tally", "application/json", latin1, nil},
		{"Postmark", "postmark", "application/json", latin1, nil},
		{"Deskera", "deskera", "application/json", latin1, nil},
		{"CloudEventStructured", "cloudevents", ceStructured, ce, nil},
		{"CloudEventsBatch", "cloudevents", ceBatch, "[" + ce + "]", nil},
		{"CloudEventBinaryJSON", "cloudevents", "application/json", latin1, binary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := provParser(t, rules.Source{Format: tc.format}, Options{})
			_, err := p.Parse(context.Background(), provRequest(tc.ct, []byte(tc.body), tc.hdr...))
			var we *Error
			if !errors.As(err, &we) || we.Status != http.StatusBadRequest || we.Field != "body" || !strings.Contains(we.Message, "UTF-8") {
				t.Fatalf("Parse = %v, want a 400 on body naming UTF-8", err)
			}
			utf := strings.ReplaceAll(tc.body, "\xe9", "é")
			if _, err := p.Parse(context.Background(), provRequest(tc.ct, []byte(utf), tc.hdr...)); err != nil && strings.Contains(err.Error(), "UTF-8") {
				t.Fatalf("valid UTF-8 refused: %v", err)
			}
		})
	}
}

// TestCheckUTF8Offset: the message names the offset of the first bad byte.
func TestCheckUTF8Offset(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // "" = valid
	}{
		{"Valid", `{"a":"é€😀"}`, ""},
		{"Latin1", "{\"a\":\"\xe9\"}", "offset 6"},
		{"TruncatedSequence", "{\"a\":\"\xc3\"}", "offset 6"},
		{"OverlongNUL", "{\"a\":\"\xc0\x80\"}", "offset 6"},
		{"SurrogateBytes", "{\"a\":\"\xed\xa0\x80\"}", "offset 6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckUTF8([]byte(tc.body))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckUTF8 = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Message, tc.want)):
				t.Fatalf("CheckUTF8 = %v, want a message with %q", err, tc.want)
			}
		})
	}
}
