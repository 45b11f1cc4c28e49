package webhook

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// ParsePrefixes parses CIDRs ("10.0.0.0/8", "2001:db8::/32"); a bare
// address counts as a single-host prefix.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR", s)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func containsAddr(list []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the sender's address. remoteAddr is the peer
// ("host:port" or bare). When the peer is a trusted proxy, the
// X-Forwarded-For chain is walked from the right, skipping trusted hops;
// the first untrusted address is the client. Without trusted proxies
// X-Forwarded-For is ignored, so it cannot be spoofed.
func ClientIP(remoteAddr string, h http.Header, trusted []netip.Prefix) string {
	host := remoteAddr
	if hp, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = hp
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if peer.Is4() && (len(trusted) == 0 || !containsAddr(trusted, peer)) {
		// ParseAddr takes an IPv4 address only in its canonical dotted
		// form: host is what String would give, without its copy.
		return host
	}
	peer = peer.Unmap()
	if len(trusted) == 0 || !containsAddr(trusted, peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(h.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop ends the trustworthy part of the chain
		}
		client = a.Unmap()
		if !containsAddr(trusted, client) {
			break
		}
	}
	return client.String()
}

// allowListVerifier rejects senders outside the source's allow_ips before
// running the source's own verifier.
type allowListVerifier struct {
	allow []netip.Prefix
	next  Verifier
}

// withAllowList wraps v with src.AllowIPs when there are any.
func withAllowList(src rules.Source, v Verifier) (Verifier, error) {
	if len(src.AllowIPs) == 0 {
		return v, nil
	}
	allow, err := ParsePrefixes(src.AllowIPs)
	if err != nil {
		return nil, fmt.Errorf("source %q: allow_ips: %w", src.Name, err)
	}
	return &allowListVerifier{allow: allow, next: v}, nil
}

// Verify checks req.RemoteIP, then the wrapped verifier.
func (v *allowListVerifier) Verify(ctx context.Context, req *Request) error {
	a, err := netip.ParseAddr(req.RemoteIP)
	if err != nil || !containsAddr(v.allow, a) {
		return Unauthorized()
	}
	return v.next.Verify(ctx, req)
}
