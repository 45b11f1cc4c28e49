package jsonlex

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestSpace(t *testing.T) {
	cases := []struct {
		name string
		s    string
		i    int
		want int
	}{
		{"None", `x`, 0, 0},
		{"AllFour", " \t\n\rx", 0, 4},
		{"OnlySpace", " \t ", 0, 3},
		{"Empty", ``, 0, 0},
		{"FromMiddle", `a  b`, 1, 3},
		{"NotJSONSpace", "\v\f x", 0, 0}, // vertical tab and form feed are not JSON white space
		{"NoBreakSpace", "\u00a0x", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Space(c.s, c.i); got != c.want {
				t.Errorf("Space(%q, %d) = %d, want %d", c.s, c.i, got, c.want)
			}
			if got := Space([]byte(c.s), c.i); got != c.want {
				t.Errorf("Space([]byte(%q), %d) = %d, want %d", c.s, c.i, got, c.want)
			}
		})
	}
}

func TestLiteral(t *testing.T) {
	cases := []struct {
		name   string
		s      string
		word   string
		want   int
		wantOK bool
	}{
		{"True", `true,`, "true", 4, true},
		{"False", `false`, "false", 5, true},
		{"Null", `null]`, "null", 4, true},
		{"Truncated", `nul`, "null", 0, false},
		{"Wrong", `nulL`, "null", 0, false},
		{"Capital", `True`, "true", 0, false},
		{"Empty", ``, "true", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Literal(c.s, 0, c.word)
			if got != c.want || ok != c.wantOK {
				t.Errorf("Literal(%q, %q) = %d, %v; want %d, %v", c.s, c.word, got, ok, c.want, c.wantOK)
			}
			if gotB, okB := Literal([]byte(c.s), 0, c.word); gotB != got || okB != ok {
				t.Errorf("Literal over bytes = %d, %v; over a string %d, %v", gotB, okB, got, ok)
			}
		})
	}
}

func TestString(t *testing.T) {
	cases := []struct {
		name     string
		s        string
		end      int
		escaped  bool
		nonASCII bool
		ok       bool
	}{
		{"Plain", `"abc",`, 4, false, false, true},
		{"Empty", `""`, 1, false, false, true},
		{"Escapes", `"a\"b\\c\/\b\f\n\r\t"`, 20, true, false, true},
		{"Unicode", `"\u00e9"`, 7, true, false, true},
		{"UpperHex", `"\u00E9\uABCD"`, 13, true, false, true},
		{"UTF8", `"Zoë"`, 5, false, true, true},
		{"InvalidUTF8", "\"\xff\"", 2, false, true, true}, // valid as a token: the caller decides
		{"EscapedQuoteAtEnd", `"\""`, 3, true, false, true},
		{"Unterminated", `"abc`, 0, false, false, false},
		{"UnterminatedEscape", `"\`, 0, false, false, false},
		{"EscapedClosingQuote", `"abc\"`, 0, false, false, false},
		{"UnknownEscape", `"\x41"`, 0, false, false, false},
		{"ShortU", `"\u12"`, 0, false, false, false},
		{"BadHex", `"\u12g4"`, 0, false, false, false},
		{"TruncatedU", `"\u12`, 0, false, false, false},
		{"ControlCharacter", "\"a\nb\"", 0, false, false, false},
		{"NUL", "\"\x00\"", 0, false, false, false},
		{"Delete", "\"\x7f\"", 2, false, false, true}, // DEL is not a control character to JSON
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			end, esc, high, ok := String(c.s, 0)
			if end != c.end || esc != c.escaped || high != c.nonASCII || ok != c.ok {
				t.Errorf("String(%q) = %d, %v, %v, %v; want %d, %v, %v, %v", c.s, end, esc, high, ok, c.end, c.escaped, c.nonASCII, c.ok)
			}
			endB, escB, highB, okB := String([]byte(c.s), 0)
			if endB != end || escB != esc || highB != high || okB != ok {
				t.Errorf("String over bytes differs: %d, %v, %v, %v", endB, escB, highB, okB)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	cases := []struct {
		name    string
		content string // between the quotes
		want    string
		ok      bool
	}{
		{"Plain", `abc`, "abc", true},
		{"Empty", ``, "", true},
		{"TwoCharacterEscapes", `\"\\\/\b\f\n\r\t`, "\"\\/\b\f\n\r\t", true},
		{"BMP", `\u00e9\u20AC`, "é€", true},
		{"NUL", `\u0000`, "\x00", true},
		{"SurrogatePair", `\ud83d\ude00`, "😀", true},
		{"UpperSurrogatePair", `\uD83D\uDE00`, "😀", true},
		{"LoneHigh", `\ud800`, "\ufffd", true},
		{"LoneLow", `\udc00x`, "\ufffdx", true},
		{"HighThenLetter", `\ud800\u0041`, "\ufffdA", true},
		{"TwoHighs", `\ud800\ud800`, "\ufffd\ufffd", true},
		{"HighThenPair", `\ud800\ud83d\ude00`, "\ufffd😀", true},
		{"LowThenHigh", `\udc00\ud800`, "\ufffd\ufffd", true},
		{"HighThenOtherEscape", `\ud800\n`, "\ufffd\n", true},
		{"HighThenBrokenEscape", `\ud800\u00`, "", false},
		{"UTF8Kept", `Zoë \u00e9`, "Zoë é", true},
		{"UnknownEscape", `\x`, "", false},
		{"TrailingBackslash", `a\`, "", false},
		{"BadHex", `\uzzzz`, "", false},
		{"ControlCharacter", "a\tb", "", false},
		{"Quote", `a"b`, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Unescape(nil, c.content)
			if ok != c.ok || ok && string(got) != c.want {
				t.Fatalf("Unescape(%q) = %q, %v; want %q, %v", c.content, got, ok, c.want, c.ok)
			}
			gotB, okB := Unescape(nil, []byte(c.content))
			if okB != ok || string(gotB) != string(got) {
				t.Errorf("Unescape over bytes = %q, %v", gotB, okB)
			}
			// The reference: encoding/json's value of the same string.
			var ref string
			refErr := json.Unmarshal([]byte(`"`+c.content+`"`), &ref)
			if ok != (refErr == nil) || ok && ref != string(got) {
				t.Errorf("Unescape(%q) = %q, %v; encoding/json %q, %v", c.content, got, ok, ref, refErr)
			}
		})
	}
}

// Invalid UTF-8 is copied as it is: encoding/json would replace it, so
// the callers, told by String's nonASCII, check it and decide.
func TestUnescapeInvalidUTF8(t *testing.T) {
	for _, c := range []struct{ name, content string }{
		{"Byte", "\xff"},
		{"AfterEscape", `\n` + "\xc3"},
		{"TruncatedBeforeEscape", "\xe2\x82" + `\u00ac`},
		{"Overlong", "\xc0\xaf"},
		{"EncodedSurrogate", "\xed\xa0\x80"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Unescape(nil, c.content)
			if !ok {
				t.Fatalf("Unescape(%q) refused it", c.content)
			}
			if utf8.Valid(got) {
				t.Errorf("Unescape(%q) = %q: valid UTF-8, the callers could not tell", c.content, got)
			}
		})
	}
}

func TestNumber(t *testing.T) {
	cases := []struct {
		name    string
		s       string
		end     int
		integer bool
		ok      bool
	}{
		{"Zero", `0`, 1, true, true},
		{"MinusZero", `-0`, 2, true, true},
		{"Integer", `1234,`, 4, true, true},
		{"Negative", `-12]`, 3, true, true},
		{"Fraction", `12.50`, 5, false, true},
		{"Exponent", `1e3`, 3, false, true},
		{"ExponentUpperSigned", `1E-3}`, 4, false, true},
		{"ExponentPlus", `2e+10`, 5, false, true},
		{"All", `-0.5e-7`, 7, false, true},
		{"Huge", `123456789012345678901234567890`, 30, true, true},
		{"LeadingZeroStops", `012`, 1, true, true}, // the 12 is the caller's to refuse
		{"Minus", `-`, 0, false, false},
		{"MinusLetter", `-a`, 0, false, false},
		{"Plus", `+1`, 0, false, false},
		{"LeadingDot", `.5`, 0, false, false},
		{"TrailingDot", `1.`, 0, false, false},
		{"DotExponent", `1.e3`, 0, false, false},
		{"EmptyExponent", `1e`, 0, false, false},
		{"SignOnlyExponent", `1e+`, 0, false, false},
		{"Hex", `x1`, 0, false, false},
		{"Empty", ``, 0, false, false},
		{"Infinity", `Infinity`, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			end, integer, ok := Number(c.s, 0)
			if end != c.end || integer != c.integer || ok != c.ok {
				t.Errorf("Number(%q) = %d, %v, %v; want %d, %v, %v", c.s, end, integer, ok, c.end, c.integer, c.ok)
			}
			endB, integerB, okB := Number([]byte(c.s), 0)
			if endB != end || integerB != integer || okB != ok {
				t.Errorf("Number over bytes = %d, %v, %v", endB, integerB, okB)
			}
			// A whole number token is exactly what encoding/json takes
			// as a number.
			if ok && end == len(c.s) && !json.Valid([]byte(c.s)) {
				t.Errorf("Number took %q, encoding/json refuses it", c.s)
			}
		})
	}
}

// FuzzString: a scanned string token is one encoding/json takes, and
// Unescape gives encoding/json's value whenever the result is valid
// UTF-8.
func FuzzString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"\ud83d\ude00"`, `"\ud800x"`, "\"Zoë\"", "\"\xff\"", `"\u00zz"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != '"' {
			return
		}
		end, escaped, nonASCII, ok := String(b, 0)
		if !ok {
			return
		}
		var ref string
		refErr := json.Unmarshal(b[:end+1], &ref)
		if refErr != nil {
			t.Fatalf("String took %q, encoding/json: %v", b[:end+1], refErr)
		}
		got, uok := Unescape(nil, b[1:end])
		if !uok {
			t.Fatalf("Unescape refused %q that String took", b[:end+1])
		}
		if !escaped && string(got) != string(b[1:end]) {
			t.Fatalf("unescaped content %q changed: %q", b[1:end], got)
		}
		if (!nonASCII || utf8.Valid(got)) && string(got) != ref {
			t.Fatalf("Unescape(%q) = %q, encoding/json %q", b[1:end], got, ref)
		}
	})
}
