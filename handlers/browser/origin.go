package browser

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// Origins matches request origins against a source's allowed_origins.
type Origins struct {
	patterns []rules.OriginPattern
}

// NewOrigins parses allowed_origins entries (see rules.ParseOriginPattern).
func NewOrigins(list []string) (*Origins, error) {
	o := &Origins{}
	for _, s := range list {
		p, err := rules.ParseOriginPattern(s)
		if err != nil {
			return nil, fmt.Errorf("allowed_origins: %w", err)
		}
		o.patterns = append(o.patterns, p)
	}
	return o, nil
}

// Empty reports whether no origin is configured (no CORS, no checks).
func (o *Origins) Empty() bool { return len(o.patterns) == 0 }

// Allowed reports whether origin (an Origin header's value: scheme, host
// and optional port, nothing else) is allowed. "null", anything with a
// path, user info or another scheme, and look-alike hosts are not.
func (o *Origins) Allowed(origin string) bool {
	scheme, host, port, ok := splitOrigin(origin)
	if !ok {
		return false
	}
	for _, p := range o.patterns {
		if p.Scheme != scheme || p.Port != port {
			continue
		}
		if !p.Wildcard && host == p.Host {
			return true
		}
		// A wildcard covers sub.domain, never domain itself nor a host
		// that merely ends in the same letters (evilexample.com).
		if p.Wildcard && strings.HasSuffix(host, "."+p.Host) && len(host) > len(p.Host)+1 {
			return true
		}
	}
	return false
}

// splitOrigin parses a serialized origin strictly.
func splitOrigin(origin string) (scheme, host, port string, ok bool) {
	if origin == "" || strings.EqualFold(origin, "null") {
		return "", "", "", false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return "", "", "", false
	}
	scheme = strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", "", false
	}
	host = strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsAny(host, "*%") || strings.HasSuffix(host, ".") {
		return "", "", "", false
	}
	port = u.Port()
	if port == "443" && scheme == "https" || port == "80" && scheme == "http" {
		port = ""
	}
	return scheme, host, port, true
}

// refererOrigin is the origin of a Referer URL ("" when it has none).
func refererOrigin(ref string) string {
	u, err := url.Parse(ref)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
