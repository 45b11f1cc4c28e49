package deskera

import (
	"os"
	"path/filepath"
	"testing"
)

// EncodeListQuery returns the query ListContacts sends for o (Query: the
// direct encoding when it applies) and url.Values' encoding of it.
func EncodeListQuery(o *ListContactsOptions) (got, want string) {
	return o.Query(), o.values().Encode()
}

// QueryEscape is appendQueryEscape as a string.
func QueryEscape(s string) string { return string(appendQueryEscape(nil, s)) }

// TestdataReplies returns the recorded Deskera replies in testdata, the
// fuzz targets' seeds.
func TestdataReplies(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		tb.Fatal(err)
	}
	out := make([][]byte, 0, len(files))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
