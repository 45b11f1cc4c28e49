package handlers_test

import (
	"testing"

	"github.com/leadhook/leadhook/handlers"
)

func TestMaskEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"jane.doe@example.com", "j***@example.com"},
		{"a@b.io", "a***@b.io"},
		{"", ""},
		{"not-an-email", "***"},
		{"@example.com", "***"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := handlers.MaskEmail(tc.in); got != tc.want {
				t.Fatalf("MaskEmail(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskEmails(t *testing.T) {
	in := `deskera: contacts.create: 409 "email jane.doe@example.com exists" (and bob@x.io)`
	want := `deskera: contacts.create: 409 "email j***@example.com exists" (and b***@x.io)`
	if got := handlers.MaskEmails(in); got != want {
		t.Fatalf("MaskEmails = %q, want %q", got, want)
	}
}
