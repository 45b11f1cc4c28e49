package browser

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// clock is a test clock moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLimitsTake(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type step struct {
		after    time.Duration // clock advance before this take
		ip       string
		wantOK   bool
		wantWait time.Duration // when refused
	}
	tests := []struct {
		name  string
		cfg   rules.RateLimit
		steps []step
	}{
		{"per-IP burst then refused with the time to the next token",
			rules.RateLimit{PerIP: rules.Rate{Events: 2, Per: time.Minute}},
			[]step{{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", false, 30 * time.Second}, {0, "b", true, 0}}},
		{"per-IP refills",
			rules.RateLimit{PerIP: rules.Rate{Events: 1, Per: time.Minute}},
			[]step{{0, "a", true, 0}, {59 * time.Second, "a", false, time.Second}, {time.Second, "a", true, 0}}},
		{"per-source across IPs",
			rules.RateLimit{PerSource: rules.Rate{Events: 2, Per: time.Hour}},
			[]step{{0, "a", true, 0}, {0, "b", true, 0}, {0, "c", false, 30 * time.Minute}}},
		{"a refusal by the source gives the IP's token back",
			rules.RateLimit{PerIP: rules.Rate{Events: 1, Per: time.Hour}, PerSource: rules.Rate{Events: 1, Per: time.Minute}},
			[]step{{0, "a", true, 0}, {0, "b", false, time.Minute}, {time.Minute, "b", true, 0}}},
		{"no limits", rules.RateLimit{}, []step{{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLimits(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			now := t0
			for i, s := range tc.steps {
				now = now.Add(s.after)
				wait, ok := l.Take(s.ip, now)
				if ok != s.wantOK || (!ok && wait != s.wantWait) {
					t.Errorf("step %d (%s): ok %v wait %v, want ok %v wait %v", i, s.ip, ok, wait, s.wantOK, s.wantWait)
				}
			}
		})
	}
}

func TestLimitsMemoryBounded(t *testing.T) {
	l, err := NewLimits(rules.RateLimit{PerIP: rules.Rate{Events: 1, Per: time.Hour}, MaxClients: 3})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1e9, 0)
	for i := range 1000 {
		l.Take(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).String(), now)
	}
	if got := l.Tracked(); got != 3 {
		t.Fatalf("tracked %d IPs, want the bound 3", got)
	}
}

// TestAdmitRateLimitUnderTrustedProxies: the bucket is the client's as
// --trusted-proxies computes it, so visitors behind the load balancer
// each get their own, and a sender cannot pick a fresh bucket by forging
// X-Forwarded-For.
func TestAdmitRateLimitUnderTrustedProxies(t *testing.T) {
	proxies, err := webhook.ParsePrefixes([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	type post struct {
		remote, xff string
		want        Kind
	}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		posts   []post
	}{
		{"visitors behind a trusted proxy have their own buckets", proxies, []post{
			{"10.0.0.5:4000", "198.51.100.7", Pass},
			{"10.0.0.5:4001", "198.51.100.7", Refused},
			{"10.0.0.5:4002", "198.51.100.8", Pass},
		}},
		{"hops are walked from the right: a forged left hop does not help", proxies, []post{
			{"10.0.0.5:4000", "203.0.113.1, 198.51.100.7", Pass},
			{"10.0.0.5:4001", "203.0.113.2, 198.51.100.7", Refused},
		}},
		{"an untrusted peer's X-Forwarded-For is ignored", proxies, []post{
			{"192.0.2.9:5000", "198.51.100.1", Pass},
			{"192.0.2.9:5001", "198.51.100.2", Refused},
		}},
		{"without trusted proxies every post from the proxy shares its bucket", nil, []post{
			{"10.0.0.5:4000", "198.51.100.7", Pass},
			{"10.0.0.5:4001", "198.51.100.8", Refused},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1e9, 0)}
			g := testGuard(t, rules.Browser{RateLimit: rules.RateLimit{PerIP: rules.Rate{Events: 1, Per: time.Hour}}}, Options{Now: c.now})
			for i, p := range tc.posts {
				r, _ := http.NewRequest(http.MethodPost, "/hooks/contact", nil)
				r.RemoteAddr = p.remote
				r.Header.Set("X-Forwarded-For", p.xff)
				v := g.Admit(r, webhook.ClientIP(r.RemoteAddr, r.Header, tc.trusted))
				if v.Kind != p.want {
					t.Fatalf("post %d from %s via %s: %v, want %v", i, p.xff, p.remote, v.Kind, p.want)
				}
				if v.Kind == Refused && (v.Status != http.StatusTooManyRequests || v.RetryAfter <= 0) {
					t.Errorf("refusal %+v, want 429 with a retry time", v)
				}
			}
		})
	}
}

func TestAdmitOrigin(t *testing.T) {
	g := testGuard(t, rules.Browser{AllowedOrigins: []string{"https://www.example.com"}}, Options{})
	tests := []struct {
		name   string
		header map[string]string
		want   Kind
	}{
		{"allowed Origin", map[string]string{"Origin": "https://www.example.com"}, Pass},
		{"other Origin", map[string]string{"Origin": "https://evil.example"}, Refused},
		{"null Origin", map[string]string{"Origin": "null"}, Refused},
		{"no Origin, allowed Referer", map[string]string{"Referer": "https://www.example.com/contact?x=1"}, Pass},
		{"no Origin, look-alike Referer", map[string]string{"Referer": "https://www.example.com.evil.com/contact"}, Refused},
		{"no Origin, Referer without a host", map[string]string{"Referer": "about:blank"}, Refused},
		{"Origin wins over Referer", map[string]string{"Origin": "https://evil.example", "Referer": "https://www.example.com/"}, Refused},
		{"neither (a server, or a browser hiding both)", map[string]string{}, Pass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, "/hooks/contact", nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			v := g.Admit(r, "198.51.100.7")
			if v.Kind != tc.want {
				t.Fatalf("%+v, want kind %v", v, tc.want)
			}
			if v.Kind == Refused && (v.Status != http.StatusForbidden || v.Reason != ReasonOrigin) {
				t.Errorf("refusal %+v, want 403 origin", v)
			}
		})
	}
}
