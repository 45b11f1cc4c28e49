package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// sign is the HMAC-SHA256 of body under secret (the tests' one signer;
// hmacHex and hmacB64 encode it).
func sign(secret, body string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return m.Sum(nil)
}

func request(body string, header map[string]string) *webhook.Request {
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	return &webhook.Request{Method: http.MethodPost, Path: "/hooks/t", Header: h, Body: []byte(body), RemoteIP: "203.0.113.7"}
}

func checkVerify(t *testing.T, v webhook.Verifier, req *webhook.Request, wantOK bool) {
	t.Helper()
	err := v.Verify(context.Background(), req)
	if wantOK {
		if err != nil {
			t.Fatalf("Verify = %v, want nil", err)
		}
		return
	}
	var we *webhook.Error
	if !errors.As(err, &we) || we.Status != http.StatusUnauthorized {
		t.Fatalf("Verify = %v, want a 401 *webhook.Error", err)
	}
	if we.Message != "authentication failed" || we.Field != "" {
		t.Fatalf("401 reveals detail: %+v", we)
	}
}

func newVerifier(t *testing.T, src rules.Source, opts webhook.Options) webhook.Verifier {
	t.Helper()
	if src.Name == "" {
		src.Name = "t"
	}
	v, err := webhook.NewVerifier(src, opts)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func TestHMAC(t *testing.T) {
	const secret, body = "It's a Secret to Everybody", "Hello, World!"
	// Published GitHub vector (webhook-formats.md 1.2).
	const github = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	hexSig := hex.EncodeToString(sign(secret, body))
	b64Sig := base64.StdEncoding.EncodeToString(sign(secret, body))
	tests := []struct {
		name string
		auth rules.Auth
		hdr  map[string]string
		body string
		ok   bool
	}{
		{"GitHubVector", rules.Auth{Header: "X-Hub-Signature-256", Prefix: "sha256="}, map[string]string{"X-Hub-Signature-256": github}, body, true},
		{"HexDefaultHeader", rules.Auth{}, map[string]string{"X-Signature": hexSig}, body, true},
		{"HexUppercase", rules.Auth{}, map[string]string{"X-Signature": strings.ToUpper(hexSig)}, body, true},
		{"Base64", rules.Auth{Encoding: "base64"}, map[string]string{"X-Signature": b64Sig}, body, true},
		{"Missing", rules.Auth{}, nil, body, false},
		{"BadSignature", rules.Auth{}, map[string]string{"X-Signature": strings.Repeat("0", 64)}, body, false},
		{"TamperedBody", rules.Auth{}, map[string]string{"X-Signature": hexSig}, body + " ", false},
		{"NotHex", rules.Auth{}, map[string]string{"X-Signature": "zz"}, body, false},
		{"MissingPrefix", rules.Auth{Header: "X-Hub-Signature-256", Prefix: "sha256="}, map[string]string{"X-Hub-Signature-256": hexSig}, body, false},
		{"WrongSecret", rules.Auth{}, map[string]string{"X-Signature": hex.EncodeToString(sign("other", body))}, body, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.auth.Type, tc.auth.Secret = "hmac-sha256", secret
			v := newVerifier(t, rules.Source{Auth: tc.auth}, webhook.Options{})
			checkVerify(t, v, request(tc.body, tc.hdr), tc.ok)
		})
	}
}

func TestStandardWebhooks(t *testing.T) {
	// Published vector (webhook-formats.md 1.1).
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		body   = `{"test": 2432232314}`
		good   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
		bad    = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	)
	at := time.Unix(1614265330, 0)
	hdr := func(sig, stamp string) map[string]string {
		return map[string]string{"webhook-id": id, "webhook-timestamp": stamp, "webhook-signature": sig}
	}
	tests := []struct {
		name   string
		secret rules.Secret
		now    time.Time
		hdr    map[string]string
		body   string
		ok     bool
	}{
		{"PublishedVector", secret, at, hdr(good, ts), body, true},
		{"SecretWithoutPrefix", rules.Secret(secret[len("whsec_"):]), at, hdr(good, ts), body, true},
		{"RotationListInHeader", secret, at, hdr("v1,bad v2,bad "+good, ts), body, true},
		{"RotatedSecrets", "whsec_" + rules.Secret(base64.StdEncoding.EncodeToString([]byte("old-key"))) + " " + secret, at, hdr(good, ts), body, true},
		{"SvixHeaders", secret, at, map[string]string{"svix-id": id, "svix-timestamp": ts, "svix-signature": good}, body, true},
		{"WithinTolerance", secret, at.Add(4 * time.Minute), hdr(good, ts), body, true},
		{"PublishedBadSignature", secret, at, hdr(bad, ts), body, false},
		{"Expired", secret, at.Add(6 * time.Minute), hdr(good, ts), body, false},
		{"FromTheFuture", secret, at.Add(-6 * time.Minute), hdr(good, ts), body, false},
		{"Missing", secret, at, nil, body, false},
		{"MissingTimestamp", secret, at, map[string]string{"webhook-id": id, "webhook-signature": good}, body, false},
		{"TamperedBody", secret, at, hdr(good, ts), `{"test": 2432232315}`, false},
		{"TimestampChanged", secret, at, hdr(good, strconv.Itoa(1614265331)), body, false},
		{"OnlyEd25519", secret, at, hdr("v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==", ts), body, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			v := newVerifier(t, rules.Source{Auth: rules.Auth{Type: "standard-webhooks", Secret: tc.secret}},
				webhook.Options{Now: func() time.Time { return now }})
			checkVerify(t, v, request(tc.body, tc.hdr), tc.ok)
		})
	}
}

func TestToken(t *testing.T) {
	tests := []struct {
		name string
		auth rules.Auth
		hdr  map[string]string
		ok   bool
	}{
		{"Bearer", rules.Auth{}, map[string]string{"Authorization": "Bearer s3cret"}, true},
		{"BearerCaseInsensitiveScheme", rules.Auth{}, map[string]string{"Authorization": "bearer s3cret"}, true},
		{"NamedHeader", rules.Auth{Header: "X-Token"}, map[string]string{"X-Token": "s3cret"}, true},
		{"Missing", rules.Auth{}, nil, false},
		{"Wrong", rules.Auth{}, map[string]string{"Authorization": "Bearer s3cre"}, false},
		{"OtherScheme", rules.Auth{}, map[string]string{"Authorization": "Basic s3cret"}, false},
		{"NamedHeaderMissing", rules.Auth{Header: "X-Token"}, map[string]string{"Authorization": "Bearer s3cret"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.auth.Type, tc.auth.Token = "token", "s3cret"
			v := newVerifier(t, rules.Source{Auth: tc.auth}, webhook.Options{})
			checkVerify(t, v, request("{}", tc.hdr), tc.ok)
		})
	}
}

func TestBasic(t *testing.T) {
	basic := func(u, p string) map[string]string {
		return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))}
	}
	tests := []struct {
		name string
		hdr  map[string]string
		ok   bool
	}{
		{"Good", basic("forms", "pa55"), true},
		{"WrongPassword", basic("forms", "pa56"), false},
		{"WrongUser", basic("form", "pa55"), false},
		{"Missing", nil, false},
		{"Malformed", map[string]string{"Authorization": "Basic !!!"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, rules.Source{Auth: rules.Auth{Type: "basic", Username: "forms", Password: "pa55"}}, webhook.Options{})
			checkVerify(t, v, request("{}", tc.hdr), tc.ok)
		})
	}
}

func TestAllowList(t *testing.T) {
	v := newVerifier(t, rules.Source{Auth: rules.Auth{Type: "none"}, AllowIPs: []string{"203.0.113.0/24", "2001:db8::1"}}, webhook.Options{})
	tests := []struct {
		name string
		ip   string
		ok   bool
	}{
		{"InRange", "203.0.113.7", true},
		{"SingleV6", "2001:db8::1", true},
		{"MappedV4", "::ffff:203.0.113.9", true},
		{"OutOfRange", "198.51.100.1", false},
		{"Empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request("{}", nil)
			req.RemoteIP = tc.ip
			checkVerify(t, v, req, tc.ok)
		})
	}
}

func TestClientIP(t *testing.T) {
	trusted, err := webhook.ParsePrefixes([]string{"10.0.0.0/8", "192.168.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		remote  string
		xff     string
		trusted bool
		want    string
	}{
		{"NoProxyIgnoresXFF", "203.0.113.7:5555", "1.2.3.4", false, "203.0.113.7"},
		{"UntrustedPeerIgnoresXFF", "198.51.100.2:1", "1.2.3.4", true, "198.51.100.2"},
		{"TrustedPeer", "10.1.2.3:80", "1.2.3.4", true, "1.2.3.4"},
		{"SkipsTrustedHops", "10.1.2.3:80", "6.6.6.6, 1.2.3.4, 192.168.1.1", true, "1.2.3.4"},
		{"SpoofedLeftmostIgnored", "10.1.2.3:80", "6.6.6.6, 1.2.3.4", true, "1.2.3.4"},
		{"AllTrusted", "10.1.2.3:80", "10.9.9.9", true, "10.9.9.9"},
		{"MalformedHopStops", "10.1.2.3:80", "1.2.3.4, junk", true, "10.1.2.3"},
		{"NoXFF", "10.1.2.3:80", "", true, "10.1.2.3"},
		{"MappedIPv4Unmapped", "[::ffff:203.0.113.7]:5555", "", false, "203.0.113.7"},
		{"IPv6Canonical", "[2001:DB8:0:0::1]:5555", "", false, "2001:db8::1"},
		{"NotAnAddress", "pipe", "", false, "pipe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.xff != "" {
				h.Set("X-Forwarded-For", tc.xff)
			}
			var tp = trusted
			if !tc.trusted {
				tp = nil
			}
			if got := webhook.ClientIP(tc.remote, h, tp); got != tc.want {
				t.Fatalf("ClientIP = %q, want %q", got, tc.want)
			}
		})
	}
	// An IPv4 peer's answer is the address as it came, not a copy.
	if n := testing.AllocsPerRun(100, func() { _ = webhook.ClientIP("203.0.113.7:5555", http.Header{}, nil) }); n != 0 {
		t.Errorf("ClientIP of an IPv4 peer: %v allocations, want 0", n)
	}
}

func TestNewVerifierConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		src  rules.Source
		want string
	}{
		{"UnknownType", rules.Source{Auth: rules.Auth{Type: "magic"}}, `unknown auth type "magic"`},
		{"HMACNoSecret", rules.Source{Auth: rules.Auth{Type: "hmac-sha256"}}, "needs auth.secret"},
		{"HMACBadEncoding", rules.Source{Auth: rules.Auth{Type: "hmac-sha256", Secret: "x", Encoding: "b32"}}, `encoding "b32"`},
		{"SWBadSecret", rules.Source{Auth: rules.Auth{Type: "standard-webhooks", Secret: "whsec_!!"}}, "secret #1"},
		{"SWBadTolerance", rules.Source{Auth: rules.Auth{Type: "standard-webhooks", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Tolerance: "soon"}}, `tolerance "soon"`},
		{"TokenMissing", rules.Source{Auth: rules.Auth{Type: "token"}}, "needs auth.token"},
		{"BasicMissing", rules.Source{Auth: rules.Auth{Type: "basic", Username: "u"}}, "needs auth.username and auth.password"},
		{"BadCIDR", rules.Source{Auth: rules.Auth{Type: "none"}, AllowIPs: []string{"10.0.0.0/99"}}, `"10.0.0.0/99" is not a CIDR`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.src.Name = "s"
			_, err := webhook.NewVerifier(tc.src, webhook.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "MfKQ9r8") {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}
