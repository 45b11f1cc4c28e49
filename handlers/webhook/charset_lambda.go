//go:build leadhook.lambda

package webhook

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// lookupCharset of the Lambda build (tag leadhook.lambda) knows the
// single-byte charsets of golang.org/x/text's charmap (ISO-8859-*,
// windows-125*, KOI8-*, Macintosh, IBM code pages) and UTF-16, not the
// CJK ones: htmlindex's tables cost the bootstrap about 0.3 MB zipped. As
// in htmlindex, ISO-8859-1, Latin-1 and US-ASCII read as windows-1252.
// Text in another charset is kept with its invalid bytes replaced.
func lookupCharset(name string) (encoding.Encoding, error) {
	key := charsetKey(name)
	switch key {
	case "iso88591", "latin1", "l1", "usascii", "ascii", "cp1252", "cp819", "ibm819":
		return charmap.Windows1252, nil
	case "utf16le", "utf16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), nil
	case "utf16be":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), nil
	case "utf8", "unicode11utf8":
		return unicode.UTF8, nil
	}
	for _, enc := range charmap.All {
		if cm, ok := enc.(*charmap.Charmap); ok && charsetKey(cm.String()) == key {
			return cm, nil
		}
	}
	return nil, fmt.Errorf("charset %q is not in the Lambda build", name)
}

// charsetKey folds a charset name for comparison: "ISO_8859-2",
// "iso-8859-2" and charmap's "ISO 8859-2" are all "iso88592".
func charsetKey(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, name)
}
