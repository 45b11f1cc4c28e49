package webhook

import (
	"reflect"
	"testing"
)

// TestReadFormRules: the one form reader's choices, the same for every
// form-encoded format.
func TestReadFormRules(t *testing.T) {
	const mp = "multipart/form-data; boundary=B"
	part := func(disp, ct, body string) string {
		h := "--B\r\nContent-Disposition: " + disp + "\r\n"
		if ct != "" {
			h += "Content-Type: " + ct + "\r\n"
		}
		return h + "\r\n" + body + "\r\n"
	}
	tests := []struct {
		name, ct, body string
		want           map[string]any
		files          int
	}{
		{"NoContentTypeIsURLEncoded", "", "a=1&b=2", map[string]any{"a": "1", "b": "2"}, 0},
		{"BracketsMerged", "application/x-www-form-urlencoded", "tag[]=x&tag=y", map[string]any{"tag": []any{"y", "x"}}, 0},
		{"CharsetFieldHonoured", "application/x-www-form-urlencoded", "_charset_=iso-8859-1&n=Gr%FC%DFe", map[string]any{"n": "Grüße"}, 0},
		{"UndeclaredLatin1ReadAsWindows1252", "application/x-www-form-urlencoded", "n=Jos%E9", map[string]any{"n": "José"}, 0},
		{"UTF8Kept", "application/x-www-form-urlencoded", "n=Jos%C3%A9", map[string]any{"n": "José"}, 0},
		{"MultipartBracketsAndPartCharset", mp,
			part(`form-data; name="tag[]"`, "", "x") + part(`form-data; name="tag[]"`, "", "y") +
				part(`form-data; name="n"`, "text/plain; charset=iso-8859-1", "Gr\xfc\xdfe") + "--B--\r\n",
			map[string]any{"tag": []any{"x", "y"}, "n": "Grüße"}, 0},
		{"FilesCountedNotKept", mp,
			part(`form-data; name="cv"; filename="cv.pdf"`, "application/pdf", "%PDF") +
				part(`form-data; name="photo"`, "image/png", "PNG") +
				part(`attachment`, "text/plain", "loose") +
				part(`form-data; name="a"`, "", "1") + "--B--\r\n",
			map[string]any{"a": "1"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := readForm(provRequest(tc.ct, []byte(tc.body)), DefaultMaxMemory)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.fields(nil, nil); !reflect.DeepEqual(got, tc.want) || f.files != tc.files {
				t.Errorf("fields %v, %d files; want %v, %d", got, f.files, tc.want, tc.files)
			}
		})
	}
}
