package browser

import (
	"strings"
	"testing"
)

func TestOriginsAllowed(t *testing.T) {
	o, err := NewOrigins([]string{"https://www.example.com", "http://localhost:8000", "*.example.org", "http://*.shop.test:8080"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		origin string
		want   bool
	}{
		{"exact", "https://www.example.com", true},
		{"exact with default port", "https://www.example.com:443", true},
		{"upper case host", "https://WWW.Example.com", true},
		{"http port exact", "http://localhost:8000", true},
		{"other scheme", "http://www.example.com", false},
		{"other port", "http://localhost:8001", false},
		{"apex of an exact origin", "https://example.com", false},
		{"null (sandboxed frame, file://)", "null", false},
		{"empty", "", false},
		{"look-alike suffix", "https://www.example.com.evil.com", false},
		{"look-alike prefix", "https://evilwww.example.com", false},
		{"wildcard subdomain", "https://app.example.org", true},
		{"wildcard deeper subdomain", "https://a.b.example.org", true},
		{"wildcard does not cover the apex", "https://example.org", false},
		{"wildcard look-alike: evilexample.org", "https://evilexample.org", false},
		{"wildcard look-alike: example.org.evil.com", "https://example.org.evil.com", false},
		{"wildcard is https by default", "http://app.example.org", false},
		{"wildcard with scheme and port", "http://a.shop.test:8080", true},
		{"wildcard with the wrong port", "http://a.shop.test", false},
		{"a path is not an origin", "https://www.example.com/form", false},
		{"user info is not an origin", "https://user@www.example.com", false},
		{"trailing dot", "https://www.example.com.", false},
		{"another scheme", "ftp://www.example.com", false},
		{"opaque", "https:www.example.com", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := o.Allowed(tc.origin); got != tc.want {
				t.Errorf("Allowed(%q) = %v, want %v", tc.origin, got, tc.want)
			}
		})
	}
}

func TestNewOriginsRefuses(t *testing.T) {
	tests := []struct {
		name, entry, wantErr string
	}{
		{"any origin", "*", "list the origins"},
		{"null", "null", "cannot be allowed"},
		{"path", "https://example.com/contact", "not an origin"},
		{"scheme", "ftp://example.com", "http or https"},
		{"wildcard over a TLD", "*.com", "wildcard"},
		{"wildcard inside a label", "https://www*.example.com", "wildcard"},
		{"empty", " ", "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewOrigins([]string{tc.entry})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("NewOrigins(%q) error = %v, want one containing %q", tc.entry, err, tc.wantErr)
			}
		})
	}
}
