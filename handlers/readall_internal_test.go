package handlers

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAllAnnouncedSize(t *testing.T) {
	body := strings.Repeat("x", 597)
	for _, tc := range []struct {
		name        string
		size, limit int64
	}{
		{"Exact", 597, 1 << 20},
		{"Unknown", -1, 1 << 20},
		{"Shorter", 100, 1 << 20},
		{"Longer", 1000, 1 << 20},
		{"OverLimit", 2000, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(iotest.HalfReader(strings.NewReader(body)), tc.size, tc.limit)
			if err != nil || string(got) != body {
				t.Fatalf("readAll = %d bytes, %v; want the %d-byte body", len(got), err, len(body))
			}
		})
	}
	boom := errors.New("boom")
	if _, err := readAll(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)), 10, 100); !errors.Is(err, boom) {
		t.Errorf("read error = %v, want boom", err)
	}
}
