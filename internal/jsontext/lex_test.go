package jsontext

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// The tables below run each primitive over a string and over the same
// bytes: both instantiations must answer alike (same).

// same fails t when the answers over a string and over bytes differ,
// and returns the one over the string.
func same[R comparable](t *testing.T, name string, overString, overBytes R) R {
	t.Helper()
	if overString != overBytes {
		t.Errorf("%s: over a string %+v, over bytes %+v", name, overString, overBytes)
	}
	return overString
}

type lit struct {
	next int
	ok   bool
}

type scan struct {
	end  int
	kind Kind
	ok   bool
}

type num struct {
	end         int
	integer, ok bool
}

func literalOf[T Text](s T, word string) lit {
	next, ok := Literal(s, 0, word)
	return lit{next, ok}
}

func stringOf[T Text](s T) scan {
	end, kind, ok := String(s, 0)
	return scan{end, kind, ok}
}

type unescaped struct {
	value string
	ok    bool
}

func unescapeOf[T Text](content T) unescaped {
	b, ok := Unescape(nil, content)
	return unescaped{string(b), ok}
}

func numberOf[T Text](s T) num {
	end, integer, ok := Number(s, 0)
	return num{end, integer, ok}
}

func TestSpace(t *testing.T) {
	for name, c := range map[string]struct {
		s       string
		at, end int
	}{
		"None": {`x`, 0, 0}, "AllFour": {" \t\n\rx", 0, 4}, "OnlySpace": {" \t ", 0, 3}, "Empty": {``, 0, 0},
		"FromMiddle":   {`a  b`, 1, 3},
		"NotJSONSpace": {"\v\f x", 0, 0}, // vertical tab and form feed are not JSON white space
		"NoBreakSpace": {"\u00a0x", 0, 0},
	} {
		if got := same(t, name, Space(c.s, c.at), Space([]byte(c.s), c.at)); got != c.end {
			t.Errorf("%s: Space(%q, %d) = %d, want %d", name, c.s, c.at, got, c.end)
		}
	}
}

func TestLiteral(t *testing.T) {
	for name, c := range map[string]struct {
		s, word string
		want    lit
	}{
		"True": {`true,`, "true", lit{4, true}}, "False": {`false`, "false", lit{5, true}}, "Null": {`null]`, "null", lit{4, true}},
		"Truncated": {`nul`, "null", lit{}}, "Wrong": {`nulL`, "null", lit{}}, "Capital": {`True`, "true", lit{}},
		"Empty": {``, "true", lit{}},
	} {
		if got := same(t, name, literalOf(c.s, c.word), literalOf([]byte(c.s), c.word)); got != c.want {
			t.Errorf("%s: Literal(%q, %q) = %+v, want %+v", name, c.s, c.word, got, c.want)
		}
	}
}

func TestString(t *testing.T) {
	for name, c := range map[string]struct {
		s    string
		want scan
	}{
		"Plain":       {`"abc",`, scan{4, 0, true}},
		"Empty":       {`""`, scan{1, 0, true}},
		"Escapes":     {`"a\"b\\c\/\b\f\n\r\t"`, scan{20, Escaped, true}},
		"Unicode":     {`"\u00e9"`, scan{7, Escaped, true}},
		"UpperHex":    {`"\u00E9\uABCD"`, scan{13, Escaped, true}},
		"UTF8":        {`"Zoë"`, scan{5, NonASCII, true}},
		"InvalidUTF8": {"\"\xff\"", scan{2, NonASCII, true}}, // a valid token: the caller decides
		"QuoteEscape": {`"\""`, scan{3, Escaped, true}},
		"Delete":      {"\"\x7f\"", scan{2, 0, true}}, // DEL is no control character to JSON
		"Both":        {"\"\\tZo\u00eb\"", scan{7, Escaped | NonASCII, true}},
		// Not a string token: ok is false.
		"Unterminated": {`"abc`, scan{}}, "UnterminatedEscape": {`"\`, scan{}}, "EscapedClosingQuote": {`"abc\"`, scan{}},
		"UnknownEscape": {`"\x41"`, scan{}}, "ShortU": {`"\u12"`, scan{}}, "BadHex": {`"\u12g4"`, scan{}},
		"TruncatedU": {`"\u12`, scan{}}, "ControlCharacter": {"\"a\nb\"", scan{}}, "NUL": {"\"\x00\"", scan{}},
	} {
		if got := same(t, name, stringOf(c.s), stringOf([]byte(c.s))); got != c.want {
			t.Errorf("%s: String(%q) = %+v, want %+v", name, c.s, got, c.want)
		}
	}
}

// Unescape gives encoding/json's value of the same string, or refuses
// what encoding/json refuses.
func TestUnescape(t *testing.T) {
	for name, c := range map[string]struct {
		content string // between the quotes
		want    string
		ok      bool
	}{
		"Plain": {`abc`, "abc", true}, "Empty": {``, "", true},
		"TwoCharacterEscapes": {`\"\\\/\b\f\n\r\t`, "\"\\/\b\f\n\r\t", true},
		"BMP":                 {`\u00e9\u20AC`, "é€", true},
		"EscapedNUL":          {`\u0000`, "\x00", true},
		"SurrogatePair":       {`\ud83d\ude00`, "😀", true},
		"UpperSurrogatePair":  {`\uD83D\uDE00`, "😀", true},
		"LoneHigh":            {`\ud800`, "\ufffd", true},
		"LoneLow":             {`\udc00x`, "\ufffdx", true},
		"HighThenLetter":      {`\ud800\u0041`, "\ufffdA", true},
		"TwoHighs":            {`\ud800\ud800`, "\ufffd\ufffd", true},
		"HighThenPair":        {`\ud800\ud83d\ude00`, "\ufffd😀", true},
		"LowThenHigh":         {`\udc00\ud800`, "\ufffd\ufffd", true},
		"HighThenOtherEscape": {`\ud800\n`, "\ufffd\n", true},
		"UTF8Kept":            {`Zoë \u00e9`, "Zoë é", true},
		// Refused, as encoding/json refuses the string.
		"HighThenBrokenEscape": {`\ud800\u00`, "", false}, "UnknownEscape": {`\x`, "", false},
		"TrailingBackslash": {`a\`, "", false}, "BadHex": {`\uzzzz`, "", false},
		"ControlCharacter": {"a\tb", "", false}, "Quote": {`a"b`, "", false},
	} {
		u := same(t, name, unescapeOf(c.content), unescapeOf([]byte(c.content)))
		got, ok := u.value, u.ok
		if len(got) > len(c.content) {
			t.Errorf("%s: Unescape(%q) = %q, longer than the content", name, c.content, got)
		}
		if ok != c.ok || ok && got != c.want {
			t.Errorf("%s: Unescape(%q) = %q, %v; want %q, %v", name, c.content, got, ok, c.want, c.ok)
		}
		var ref string
		refErr := json.Unmarshal([]byte(`"`+c.content+`"`), &ref)
		if ok != (refErr == nil) || ok && ref != got {
			t.Errorf("%s: Unescape(%q) = %q, %v; encoding/json %q, %v", name, c.content, got, ok, ref, refErr)
		}
	}
}

// Invalid UTF-8 is copied as it is (encoding/json would replace it), so
// the result stays invalid and a caller told NonASCII by String can
// check it and decide.
func TestUnescapeInvalidUTF8(t *testing.T) {
	for name, content := range map[string]string{
		"Byte": "\xff", "AfterEscape": `\n` + "\xc3", "TruncatedBeforeEscape": "\xe2\x82" + `\u00ac`,
		"Overlong": "\xc0\xaf", "EncodedSurrogate": "\xed\xa0\x80",
	} {
		got, ok := Unescape(nil, content)
		if !ok || utf8.Valid(got) {
			t.Errorf("%s: Unescape(%q) = %q, %v; want it kept invalid", name, content, got, ok)
		}
	}
}

func TestNumber(t *testing.T) {
	for name, c := range map[string]struct {
		s    string
		want num
	}{
		"Zero": {`0`, num{1, true, true}}, "MinusZero": {`-0`, num{2, true, true}},
		"Integer": {`1234,`, num{4, true, true}}, "Negative": {`-12]`, num{3, true, true}},
		"Fraction": {`12.50`, num{5, false, true}}, "Exponent": {`1e3`, num{3, false, true}},
		"ExponentUpperSigned": {`1E-3}`, num{4, false, true}}, "ExponentPlus": {`2e+10`, num{5, false, true}},
		"All":              {`-0.5e-7`, num{7, false, true}},
		"Huge":             {`123456789012345678901234567890`, num{30, true, true}},
		"LeadingZeroStops": {`012`, num{1, true, true}}, // the 12 is the caller's to refuse
		// Not a number: ok is false.
		"Minus": {`-`, num{}}, "MinusLetter": {`-a`, num{}}, "Plus": {`+1`, num{}}, "LeadingDot": {`.5`, num{}},
		"TrailingDot": {`1.`, num{}}, "DotExponent": {`1.e3`, num{}}, "EmptyExponent": {`1e`, num{}},
		"SignOnlyExponent": {`1e+`, num{}}, "Hex": {`x1`, num{}}, "Empty": {``, num{}}, "Infinity": {`Infinity`, num{}},
	} {
		got := same(t, name, numberOf(c.s), numberOf([]byte(c.s)))
		if got != c.want {
			t.Errorf("%s: Number(%q) = %+v, want %+v", name, c.s, got, c.want)
		}
		// A whole token is exactly what encoding/json takes as a number.
		if got.ok && got.end == len(c.s) && !json.Valid([]byte(c.s)) {
			t.Errorf("%s: Number took %q, encoding/json refuses it", name, c.s)
		}
	}
}

// FuzzString: a scanned string token is one encoding/json takes, and
// Unescape gives encoding/json's value whenever the result is valid
// UTF-8 (invalid UTF-8 is each caller's to handle).
func FuzzString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"\ud83d\ude00"`, `"\ud800x"`, "\"Zoë\"", "\"\xff\"", `"\u00zz"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || b[0] != '"' {
			return
		}
		end, kind, ok := String(b, 0)
		if !ok {
			return
		}
		var ref string
		if err := json.Unmarshal(b[:end+1], &ref); err != nil {
			t.Fatalf("String took %q, encoding/json: %v", b[:end+1], err)
		}
		got, uok := Unescape(nil, b[1:end])
		switch {
		case !uok:
			t.Fatalf("Unescape refused %q that String took", b[:end+1])
		case len(got) > end-1:
			t.Fatalf("Unescape(%q) = %q, longer than the content", b[1:end], got)
		case kind&Escaped == 0 && string(got) != string(b[1:end]):
			t.Fatalf("content without escapes %q changed: %q", b[1:end], got)
		case (kind&NonASCII == 0 || utf8.Valid(got)) && string(got) != ref:
			t.Fatalf("Unescape(%q) = %q, encoding/json %q", b[1:end], got, ref)
		}
	})
}
