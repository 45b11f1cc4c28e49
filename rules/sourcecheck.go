package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/leadhook/leadhook/hookspec"
)

// authKeys lists, per auth type, the keys it requires and the keys it
// accepts besides "type" (the hookspec table).
func authKeys(typ string) (required, optional []string) {
	a, _ := hookspec.LookupAuth(typ)
	return a.Required, a.Optional
}

func sourceFields(l *loader, src *Source, rule string, authNode **yaml.Node) map[string]fieldFunc {
	return map[string]fieldFunc{
		"format":    func(_, v *yaml.Node) { src.Format, _ = l.str(v, rule, "format") },
		"auth":      func(_, v *yaml.Node) { *authNode = v },
		"allow_ips": func(_, v *yaml.Node) { src.AllowIPs = l.strList(v, rule, "allow_ips") },
		"id_field":  func(_, v *yaml.Node) { src.IDField, _ = l.str(v, rule, "id_field") },
		"browser": func(_, v *yaml.Node) {
			src.Browser = &Browser{Line: v.Line}
			l.decodeBrowser(v, rule, src.Browser)
		},
		"delivery": func(_, v *yaml.Node) { src.Delivery, _ = l.str(v, rule, "delivery") },
	}
}

func authFields(l *loader, a *Auth, rule string, set map[string]*yaml.Node) map[string]fieldFunc {
	str := func(dst *string, what string) fieldFunc {
		return func(_, v *yaml.Node) { set[what] = v; *dst, _ = l.str(v, rule, "auth "+what) }
	}
	secret := func(dst *Secret, what string) fieldFunc {
		return func(_, v *yaml.Node) {
			set[what] = v
			s, _ := l.str(v, rule, "auth "+what)
			*dst = Secret(s)
		}
	}
	return map[string]fieldFunc{
		"type":      func(_, v *yaml.Node) { a.Type, _ = l.str(v, rule, "auth type") },
		"header":    str(&a.Header, "header"),
		"secret":    secret(&a.Secret, "secret"),
		"encoding":  str(&a.Encoding, "encoding"),
		"prefix":    str(&a.Prefix, "prefix"),
		"token":     secret(&a.Token, "token"),
		"username":  str(&a.Username, "username"),
		"password":  secret(&a.Password, "password"),
		"tolerance": str(&a.Tolerance, "tolerance"),
		"secrets": func(_, v *yaml.Node) {
			set["secrets"] = v
			for _, s := range l.strList(v, rule, "auth secrets") {
				a.Secrets = append(a.Secrets, Secret(s))
			}
		},
		"timestamp_header": str(&a.TimestampHeader, "timestamp_header"),
		"topic_arns":       func(_, v *yaml.Node) { set["topic_arns"] = v; a.TopicARNs = l.strList(v, rule, "auth topic_arns") },
	}
}

// decodeSources reads `sources`; messages name the source like a rule.
func (l *loader) decodeSources(n *yaml.Node, set *Set) {
	for _, kv := range l.pairs(n, "", "sources") {
		k, v := kv[0], kv[1]
		name := k.Value
		src := Source{Name: name, Line: k.Line}
		if !validSourceName(name) {
			l.errorf(k, "", "source name %q must be lowercase letters, digits, '-' or '_'", name)
			continue
		}
		l.scope = fmt.Sprintf("source %q: ", name)
		l.decodeSource(v, &src)
		l.scope = ""
		set.sources[name] = src
	}
}

// decodeSource checks one source; messages carry l.scope.
func (l *loader) decodeSource(v *yaml.Node, src *Source) {
	const name = ""
	var authNode *yaml.Node
	if !l.mapping(v, name, "source", sourceFields(l, src, name, &authNode)) {
		return
	}
	switch {
	case src.Format == "":
		l.errorf(v, name, "no format (one of %s)", strings.Join(Formats(), ", "))
	case !slices.Contains(Formats(), src.Format):
		l.errorf(v, name, "unknown format %q (one of %s)", src.Format, strings.Join(Formats(), ", "))
	}
	switch {
	case src.Delivery == "":
		src.Delivery = DefaultDelivery(src.Format)
	case !slices.Contains(Deliveries(), src.Delivery):
		l.errorf(v, name, "unknown delivery %q (one of %s)", src.Delivery, strings.Join(Deliveries(), ", "))
	}
	l.checkAllowIPs(v, name, src.AllowIPs)
	if authNode == nil {
		l.errorf(v, name, "no auth (use auth: {type: none} to accept anyone)")
	} else {
		l.decodeAuth(authNode, name, &src.Auth)
	}
	if src.Browser != nil {
		l.checkBrowserSource(v, name, src)
	}
}

func validSourceName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (l *loader) checkAllowIPs(n *yaml.Node, rule string, ips []string) {
	for _, s := range ips {
		if _, err := netip.ParsePrefix(s); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(s); err == nil {
			continue
		}
		l.errorf(n, rule, "allow_ips: %q is not an IP address or CIDR", s)
	}
}

func (l *loader) decodeAuth(n *yaml.Node, rule string, a *Auth) {
	present := map[string]*yaml.Node{}
	if !l.mapping(n, rule, "auth", authFields(l, a, rule, present)) {
		return
	}
	if a.Type == "" {
		l.errorf(n, rule, "auth has no type (one of %s)", strings.Join(AuthTypes(), ", "))
		return
	}
	if !slices.Contains(AuthTypes(), a.Type) {
		l.errorf(n, rule, "unknown auth type %q (one of %s)", a.Type, strings.Join(AuthTypes(), ", "))
		return
	}
	required, optional := authKeys(a.Type)
	for _, key := range required {
		if key == "secret" && len(a.Secrets) > 0 {
			continue // secrets alone will do
		}
		if v, ok := present[key]; !ok || v.Value == "" && v.Kind == yaml.ScalarNode {
			l.errorf(n, rule, "auth type %q needs a non-empty %q", a.Type, key)
		}
	}
	keys := make([]string, 0, len(present))
	for key := range present {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		v := present[key]
		if !slices.Contains(required, key) && !slices.Contains(optional, key) {
			l.errorf(v, rule, "auth key %q does not apply to auth type %q", key, a.Type)
		}
	}
	l.checkAuthValues(n, rule, a)
}

func (l *loader) checkAuthValues(n *yaml.Node, rule string, a *Auth) {
	for i, s := range a.Secrets {
		if s == "" {
			l.errorf(n, rule, "auth secrets #%d is empty", i+1)
		}
	}
	if a.Encoding != "" && a.Encoding != "hex" && a.Encoding != "base64" {
		l.errorf(n, rule, "auth encoding must be \"hex\" or \"base64\", not %q", a.Encoding)
	}
	if a.Tolerance != "" {
		if d, err := time.ParseDuration(a.Tolerance); err != nil || d <= 0 {
			l.errorf(n, rule, "auth tolerance %q is not a positive duration like \"5m\"", a.Tolerance)
		}
	}
}
