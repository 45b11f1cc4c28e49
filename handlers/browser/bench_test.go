package browser

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// BenchmarkAdmit is the cost of the checks before a browser post's body
// is read: the Origin match and both buckets, over 10000 client IPs.
func BenchmarkAdmit(b *testing.B) {
	g, err := New(rules.Source{Name: "contact", Format: "form", Browser: &rules.Browser{
		AllowedOrigins: []string{"https://www.example.com", "*.example.org"},
		RateLimit:      rules.RateLimit{PerIP: rules.Rate{Events: 1000, Per: time.Second}, PerSource: rules.Rate{Events: 1_000_000, Per: time.Second}, MaxClients: 10000},
	}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ips := make([]string, 10000)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}).String()
	}
	r, _ := http.NewRequest(http.MethodPost, "/hooks/contact", nil)
	r.Header.Set("Origin", "https://shop.example.org")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if v := g.Admit(r, ips[i%len(ips)]); v.Kind != Pass {
			b.Fatalf("refused: %+v", v)
		}
	}
}

// BenchmarkLimitsFill fills the per-IP table to its bound of 10000 IPs
// (B/op / 10000 is the memory one tracked IP costs) and then keeps
// evicting: the table never grows past the bound.
func BenchmarkLimitsFill(b *testing.B) {
	const n = 10000
	ips := make([]string, 2*n)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
	}
	now := time.Unix(1e9, 0)
	b.ReportAllocs()
	for b.Loop() {
		l, err := NewLimits(rules.RateLimit{PerIP: rules.Rate{Events: 5, Per: time.Minute}, MaxClients: n})
		if err != nil {
			b.Fatal(err)
		}
		for _, ip := range ips[:n] {
			l.Take(ip, now)
		}
		if l.Tracked() != n {
			b.Fatalf("tracked %d", l.Tracked())
		}
	}
}
