package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Vendor signature schemes, checked against the vectors of
// shared/reference/webhook-formats.md: [V] published by the vendor, [C]
// computed from the documented algorithm.

type sigCase struct {
	name string
	req  *Request
	now  time.Time // zero: provTestTime (Unix 1700000000)
	ok   bool
}

func runSigCases(t *testing.T, auth rules.Auth, cases []sigCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = provTestTime
			}
			v, err := NewVerifier(rules.Source{Name: "test", Auth: auth}, Options{Now: func() time.Time { return now }})
			if err != nil {
				t.Fatalf("NewVerifier: %v", err)
			}
			err = v.Verify(context.Background(), tc.req)
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			provWantError(t, err, http.StatusUnauthorized, "")
		})
	}
}

// signedJSON builds JSON requests carrying a signature in header.
func signedJSON(header string) func(sig, body string) *Request {
	return func(sig, body string) *Request {
		return provRequest("application/json", []byte(body), header, sig)
	}
}

func TestVerifyGitHub(t *testing.T) {
	const body = "Hello, World!"
	const good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" // [V] GitHub docs
	req := signedJSON("X-Hub-Signature-256")
	runSigCases(t, rules.Auth{Type: "github", Secret: "It's a Secret to Everybody"}, []sigCase{
		{name: "PublishedVector", req: req(good, body), ok: true},
		{name: "TamperedBody", req: req(good, body+" "), ok: false},
		{name: "WrongDigest", req: req("sha256=857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", body), ok: false},
		{name: "NoPrefix", req: req(good[len("sha256="):], body), ok: false},
		{name: "LegacySHA1Only", req: provRequest("", []byte(body), "X-Hub-Signature", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"), ok: false},
		{name: "Missing", req: provRequest("", []byte(body)), ok: false},
	})
}

func TestVerifyStripe(t *testing.T) {
	const body = `{"id":"evt_test","object":"event"}`
	const good = "c25fec335f20601dcb662f0e7c4944646158a9324bb6ed8b7f6ab126449f507a" // [C] t=1700000000, secret whsec_test
	const bad = "d25fec335f20601dcb662f0e7c4944646158a9324bb6ed8b7f6ab126449f507a"
	req := signedJSON("Stripe-Signature")
	runSigCases(t, rules.Auth{Type: "stripe", Secret: "whsec_test"}, []sigCase{
		{name: "ComputedVector", req: req("t=1700000000,v1="+good, body), ok: true},
		{name: "SecondV1Matches", req: req("t=1700000000,v1="+bad+",v1="+good+",v0=abc", body), ok: true},
		{name: "OnlyV0", req: req("t=1700000000,v0="+good, body), ok: false},
		{name: "WrongSignature", req: req("t=1700000000,v1="+bad, body), ok: false},
		{name: "TimestampNotSigned", req: req("t=1700000001,v1="+good, body), now: provTestTime.Add(time.Second), ok: false},
		{name: "TamperedBody", req: req("t=1700000000,v1="+good, body+"\n"), ok: false},
		{name: "Stale", req: req("t=1700000000,v1="+good, body), now: provTestTime.Add(301 * time.Second), ok: false},
		{name: "WithinTolerance", req: req("t=1700000000,v1="+good, body), now: provTestTime.Add(299 * time.Second), ok: true},
		{name: "FarFuture", req: req("t=1700000000,v1="+good, body), now: provTestTime.Add(-301 * time.Second), ok: false},
		{name: "NoTimestamp", req: req("v1="+good, body), ok: false},
		{name: "Missing", req: provRequest("", []byte(body)), ok: false},
	})
	runSigCases(t, rules.Auth{Type: "stripe", Secret: "whsec_test", Tolerance: "10m"}, []sigCase{
		{name: "ConfiguredTolerance", req: req("t=1700000000,v1="+good, body), now: provTestTime.Add(9 * time.Minute), ok: true},
	})
}

func TestVerifyTypeform(t *testing.T) {
	const body = `{"event_id":"LtWXD3crgy","event_type":"form_response"}`
	const good = "sha256=fQ0Tf/AAVUZy1Bdk1is5tXMLH2Il2Qj36lezGX2eN6s=" // [C] secret abc123
	req := signedJSON("Typeform-Signature")
	runSigCases(t, rules.Auth{Type: "typeform", Secret: "abc123"}, []sigCase{
		{name: "ComputedVector", req: req(good, body), ok: true},
		{name: "TamperedBody", req: req(good, body+" "), ok: false},
		{name: "HexInsteadOfBase64", req: req("sha256=7d0d137ff0005546b2d41764d62b39b5730b1f6225d908f7ea57b3197d9e37ab", body), ok: false},
		{name: "NoPrefix", req: req(good[len("sha256="):], body), ok: false},
		{name: "AlteredSignature", req: req("sha256=AQ0Tf/AAVUZy1Bdk1is5tXMLH2Il2Qj36lezGX2eN6s=", body), ok: false},
		{name: "Missing", req: provRequest("", []byte(body)), ok: false},
	})
}

func TestVerifyTally(t *testing.T) {
	const body = `{"eventId":"a","eventType":"FORM_RESPONSE"}`
	const good = "SDzKlmK8RHY1dDw9TvGg7tb8gjS6VsVDIfgseJWwV3c=" // [C] secret tallysecret
	req := signedJSON("Tally-Signature")
	runSigCases(t, rules.Auth{Type: "tally", Secret: "tallysecret"}, []sigCase{
		{name: "ComputedVector", req: req(good, body), ok: true},
		{name: "TamperedBody", req: req(good, `{"eventId":"b","eventType":"FORM_RESPONSE"}`), ok: false},
		{name: "NotBase64", req: req("not base64!", body), ok: false},
		{name: "Missing", req: provRequest("", []byte(body)), ok: false},
	})
}

func TestVerifyWebflow(t *testing.T) {
	const body = `{"triggerType":"form_submission","payload":{"name":"Contact Us"}}`
	const good = "f820bfcdd430889767dc902fff314648b279e2b4d891c6cf0441482121fc0bad" // [C] ts 1700000000000, secret client_secret
	req := func(ts, sig, b string) *Request {
		return provRequest("application/json", []byte(b), "X-Webflow-Timestamp", ts, "X-Webflow-Signature", sig)
	}
	runSigCases(t, rules.Auth{Type: "webflow", Secret: "client_secret"}, []sigCase{
		{name: "ComputedVector", req: req("1700000000000", good, body), ok: true},
		{name: "TimestampNotSigned", req: req("1700000000001", good, body), ok: false},
		{name: "SecondsTimestamp", req: req("1700000000", good, body), ok: false},
		{name: "TamperedBody", req: req("1700000000000", good, body+" "), ok: false},
		{name: "Stale", req: req("1700000000000", good, body), now: provTestTime.Add(5*time.Minute + time.Millisecond), ok: false},
		{name: "WithinWindow", req: req("1700000000000", good, body), now: provTestTime.Add(4 * time.Minute), ok: true},
		{name: "Future", req: req("1700000000000", good, body), now: provTestTime.Add(-6 * time.Minute), ok: false},
		{name: "MissingTimestamp", req: provRequest("", []byte(body), "X-Webflow-Signature", good), ok: false},
		{name: "MissingSignature", req: provRequest("", []byte(body), "X-Webflow-Timestamp", "1700000000000"), ok: false},
	})
}

func TestVerifyMailgun(t *testing.T) {
	const token = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn"
	const good = "93f914f02443fad634158c3d7bd4c38a0824eb28fadbb2a7853a33cbd405f1ac" // [C] key key-test, ts 1700000000
	form := func(ts, tok, sig string) *Request {
		v := url.Values{"timestamp": {ts}, "token": {tok}, "signature": {sig}, "from": {"Bob <bob@example.com>"}}
		return provRequest("application/x-www-form-urlencoded", []byte(v.Encode()))
	}
	runSigCases(t, rules.Auth{Type: "mailgun", Secret: "key-test"}, []sigCase{
		{name: "ComputedVector", req: form("1700000000", token, good), ok: true},
		{name: "URLEncodedFixture", req: provRequest("application/x-www-form-urlencoded", provFixture(t, "mailgun/route.urlencoded")), ok: true},
		{name: "MultipartFixture", req: provRequest(mailgunMultipartCT, provFixture(t, "mailgun/route_attachments.multipart")), ok: true},
		{name: "WrongToken", req: form("1700000000", token[1:]+"x", good), ok: false},
		{name: "TimestampNotSigned", req: form("1700000001", token, good), ok: false},
		{name: "Stale", req: form("1700000000", token, good), now: provTestTime.Add(6 * time.Minute), ok: false},
		{name: "Future", req: form("1700000000", token, good), now: provTestTime.Add(-6 * time.Minute), ok: false},
		{name: "NoSignature", req: form("1700000000", token, ""), ok: false},
		{name: "NotAForm", req: provRequest("application/json", []byte(`{"token":"x"}`)), ok: false},
	})
}

func TestVerifyMailgunReplay(t *testing.T) {
	now := provTestTime
	v, err := NewVerifier(rules.Source{Name: "mg", Auth: rules.Auth{Type: "mailgun", Secret: "key-test"}},
		Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	body := provFixture(t, "mailgun/route.urlencoded")
	steps := []struct {
		name    string
		advance time.Duration
		ok      bool
	}{
		{"First", 0, true},
		// Mailgun's own retry of a failed delivery repeats the fields: the
		// verifier accepts it and the idempotency store dedupes it.
		{"RetryWithinWindow", 4 * time.Minute, true},
		{"StaleAfterWindow", 2*time.Minute + time.Second, false},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		err := v.Verify(context.Background(), provRequest("application/x-www-form-urlencoded", body))
		if s.ok && err != nil {
			t.Errorf("%s: Verify: %v", s.name, err)
		}
		if !s.ok {
			provWantError(t, err, http.StatusUnauthorized, "")
		}
	}
}

// TestVerifyMailgunTokenOnce: the signature covers only timestamp and
// token, so one captured triple must not carry other mail (issue 13).
func TestVerifyMailgunTokenOnce(t *testing.T) {
	const token = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn"
	const sig = "93f914f02443fad634158c3d7bd4c38a0824eb28fadbb2a7853a33cbd405f1ac" // [C] key key-test, ts 1700000000
	mail := func(from string) *Request {
		v := url.Values{"timestamp": {"1700000000"}, "token": {token}, "signature": {sig}, "from": {from}}
		return provRequest("application/x-www-form-urlencoded", []byte(v.Encode()))
	}
	newV := func(t *testing.T, seen SeenOnce) Verifier {
		t.Helper()
		v, err := NewVerifier(rules.Source{Name: "mg", Auth: rules.Auth{Type: "mailgun", Secret: "key-test"}},
			Options{Now: func() time.Time { return provTestTime }, Seen: seen})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Run("SameTokenOtherMailRefused", func(t *testing.T) {
		v := newV(t, nil)
		if err := v.Verify(context.Background(), mail("Jane <jane@example.com>")); err != nil {
			t.Fatalf("first: %v", err)
		}
		provWantError(t, v.Verify(context.Background(), mail("Eve <eve@example.com>")), http.StatusUnauthorized, "")
	})
	t.Run("SameTokenSameMailPasses", func(t *testing.T) {
		v := newV(t, nil)
		for i := range 2 {
			if err := v.Verify(context.Background(), mail("Jane <jane@example.com>")); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
	})
	t.Run("SharedStoreAcrossReplicas", func(t *testing.T) {
		shared := newLocalSeen(func() time.Time { return provTestTime })
		a, b := newV(t, shared), newV(t, shared)
		if err := a.Verify(context.Background(), mail("Jane <jane@example.com>")); err != nil {
			t.Fatalf("replica a: %v", err)
		}
		provWantError(t, b.Verify(context.Background(), mail("Eve <eve@example.com>")), http.StatusUnauthorized, "")
	})
	t.Run("StoreDownIsTemporary", func(t *testing.T) {
		v := newV(t, failingSeen{})
		provWantError(t, v.Verify(context.Background(), mail("Jane <jane@example.com>")), http.StatusServiceUnavailable, "")
	})
	t.Run("BadSignatureNotRemembered", func(t *testing.T) {
		seen := &countingSeen{SeenOnce: newLocalSeen(time.Now)}
		v := newV(t, seen)
		bad := url.Values{"timestamp": {"1700000000"}, "token": {token}, "signature": {"00"}, "from": {"x@example.com"}}
		provWantError(t, v.Verify(context.Background(), provRequest("application/x-www-form-urlencoded", []byte(bad.Encode()))), http.StatusUnauthorized, "")
		if seen.n != 0 {
			t.Fatalf("an unsigned request reached the seen-once store %d times", seen.n)
		}
	})
}

type failingSeen struct{}

func (failingSeen) FirstUse(context.Context, string, string, time.Duration) (bool, error) {
	return false, errors.New("store down")
}

type countingSeen struct {
	SeenOnce
	n int
}

func (c *countingSeen) FirstUse(ctx context.Context, k, v string, ttl time.Duration) (bool, error) {
	c.n++
	return c.SeenOnce.FirstUse(ctx, k, v, ttl)
}

// TestVerifyHMACTimestamped: hmac-sha256 with auth.timestamp_header signs
// "{timestamp}.{body}" and refuses a timestamp outside the tolerance.
func TestVerifyHMACTimestamped(t *testing.T) {
	const body = `{"email":"jane@example.com"}`
	const good = "sha256=3a66caa9f6faf6d50de8ada4ec48113c522d8de4bc76aae85dea28d2793bd060"     // [C] secret site-secret, "1700000000."+body
	const bodyOnly = "sha256=7cd06368539aef7304c5536dc937ba87dfd97632758a1a45457b2d90f3710bb4" // [C] same secret, body alone
	req := func(ts, sig, b string) *Request {
		return provRequest("application/json", []byte(b), "X-Leadhook-Timestamp", ts, "X-Signature", sig)
	}
	auth := rules.Auth{Type: "hmac-sha256", Header: "X-Signature", Prefix: "sha256=", Secret: "site-secret", TimestampHeader: "X-Leadhook-Timestamp"}
	runSigCases(t, auth, []sigCase{
		{name: "ComputedVector", req: req("1700000000", good, body), ok: true},
		{name: "WithinWindow", req: req("1700000000", good, body), now: provTestTime.Add(299 * time.Second), ok: true},
		{name: "ReplayAfterWindow", req: req("1700000000", good, body), now: provTestTime.Add(301 * time.Second), ok: false},
		{name: "FromTheFuture", req: req("1700000000", good, body), now: provTestTime.Add(-301 * time.Second), ok: false},
		{name: "TimestampNotSigned", req: req("1700000001", good, body), ok: false},
		{name: "BodyOnlySignature", req: req("1700000000", bodyOnly, body), ok: false},
		{name: "TamperedBody", req: req("1700000000", good, body+" "), ok: false},
		{name: "MissingTimestamp", req: provRequest("application/json", []byte(body), "X-Signature", good), ok: false},
		{name: "TimestampNotANumber", req: req("1700000000.0", good, body), ok: false},
	})
	wide := auth
	wide.Tolerance = "1h"
	runSigCases(t, wide, []sigCase{
		{name: "ConfiguredTolerance", req: req("1700000000", good, body), now: provTestTime.Add(59 * time.Minute), ok: true},
	})
	// Without timestamp_header the same source verifies the body alone
	// (and forever: the README's replay window says so).
	plain := auth
	plain.TimestampHeader = ""
	runSigCases(t, plain, []sigCase{
		{name: "UntimestampedVerifiesYearsLater", req: req("", bodyOnly, body), now: provTestTime.Add(3 * 365 * 24 * time.Hour), ok: true},
	})
}

// TestVerifySecretRotation: every HMAC-style scheme accepts any of
// auth.secret and auth.secrets (issue 13), checked with the vectors above.
func TestVerifySecretRotation(t *testing.T) {
	cases := []struct {
		name   string
		auth   rules.Auth // Secret is the new secret; the vector's is in Secrets
		secret string
		req    *Request
	}{
		{"hmac-sha256", rules.Auth{Type: "hmac-sha256", Header: "X-Signature", Prefix: "sha256="}, "site-secret",
			provRequest("application/json", []byte(`{"email":"jane@example.com"}`), "X-Signature", "sha256=7cd06368539aef7304c5536dc937ba87dfd97632758a1a45457b2d90f3710bb4")},
		{"github", rules.Auth{Type: "github"}, "It's a Secret to Everybody",
			provRequest("application/json", []byte("Hello, World!"), "X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")},
		{"typeform", rules.Auth{Type: "typeform"}, "abc123",
			provRequest("application/json", []byte(`{"event_id":"LtWXD3crgy","event_type":"form_response"}`), "Typeform-Signature", "sha256=fQ0Tf/AAVUZy1Bdk1is5tXMLH2Il2Qj36lezGX2eN6s=")},
		{"tally", rules.Auth{Type: "tally"}, "tallysecret",
			provRequest("application/json", []byte(`{"eventId":"a","eventType":"FORM_RESPONSE"}`), "Tally-Signature", "SDzKlmK8RHY1dDw9TvGg7tb8gjS6VsVDIfgseJWwV3c=")},
		{"stripe", rules.Auth{Type: "stripe"}, "whsec_test",
			provRequest("application/json", []byte(`{"id":"evt_test","object":"event"}`), "Stripe-Signature", "t=1700000000,v1=c25fec335f20601dcb662f0e7c4944646158a9324bb6ed8b7f6ab126449f507a")},
		{"webflow", rules.Auth{Type: "webflow"}, "client_secret",
			provRequest("application/json", []byte(`{"triggerType":"form_submission","payload":{"name":"Contact Us"}}`), "X-Webflow-Timestamp", "1700000000000", "X-Webflow-Signature", "f820bfcdd430889767dc902fff314648b279e2b4d891c6cf0441482121fc0bad")},
		{"mailgun", rules.Auth{Type: "mailgun"}, "key-test",
			provRequest("application/x-www-form-urlencoded", []byte(url.Values{"timestamp": {"1700000000"}, "token": {"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn"},
				"signature": {"93f914f02443fad634158c3d7bd4c38a0824eb28fadbb2a7853a33cbd405f1ac"}, "from": {"bob@example.com"}}.Encode()))},
		{"standard-webhooks", rules.Auth{Type: "standard-webhooks"}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			provRequest("application/json", []byte(`{"test": 2432232314}`), "Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "Webhook-Timestamp", "1614265330",
				"Webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := provTestTime
			if tc.auth.Type == "standard-webhooks" {
				now = time.Unix(1614265330, 0)
			}
			verify := func(a rules.Auth) error {
				v, err := NewVerifier(rules.Source{Name: "test", Auth: a}, Options{Now: func() time.Time { return now }})
				if err != nil {
					t.Fatalf("NewVerifier: %v", err)
				}
				return v.Verify(context.Background(), tc.req)
			}
			newOnly := tc.auth
			newOnly.Secret = "whsec_bmV3LXNlY3JldC1hZnRlci1yb3RhdGlvbg==" // also valid as a Standard Webhooks key
			provWantError(t, verify(newOnly), http.StatusUnauthorized, "")
			rotating := newOnly
			rotating.Secrets = []rules.Secret{"whsec_b3RoZXI=", rules.Secret(tc.secret)}
			if err := verify(rotating); err != nil {
				t.Fatalf("old secret in auth.secrets: %v", err)
			}
			onlyList := tc.auth
			onlyList.Secrets = []rules.Secret{rules.Secret(tc.secret)}
			if err := verify(onlyList); err != nil {
				t.Fatalf("auth.secrets without auth.secret: %v", err)
			}
		})
	}
}

func TestVendorVerifierConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		auth rules.Auth
	}{
		{"TypeformNoSecret", rules.Auth{Type: "typeform"}},
		{"WebflowNoSecret", rules.Auth{Type: "webflow"}},
		{"TallyNoSecret", rules.Auth{Type: "tally"}},
		{"StripeNoSecret", rules.Auth{Type: "stripe"}},
		{"GitHubNoSecret", rules.Auth{Type: "github"}},
		{"MailgunNoSecret", rules.Auth{Type: "mailgun"}},
		{"StripeBadTolerance", rules.Auth{Type: "stripe", Secret: "s", Tolerance: "soon"}},
		{"WebflowNegativeTolerance", rules.Auth{Type: "webflow", Secret: "s", Tolerance: "-1m"}},
		{"MailgunZeroTolerance", rules.Auth{Type: "mailgun", Secret: "s", Tolerance: "0s"}},
		{"SNSNoTopics", rules.Auth{Type: "sns"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewVerifier(rules.Source{Name: "s", Auth: tc.auth}, Options{}); err == nil {
				t.Fatal("NewVerifier accepted an invalid configuration")
			}
		})
	}
}

// Every vendor failure is the same 401: nothing about the expected value.
func TestVendorFailuresRevealNothing(t *testing.T) {
	for _, auth := range []rules.Auth{
		{Type: "github", Secret: "topsecret"}, {Type: "typeform", Secret: "topsecret"}, {Type: "tally", Secret: "topsecret"},
		{Type: "stripe", Secret: "topsecret"}, {Type: "webflow", Secret: "topsecret"}, {Type: "mailgun", Secret: "topsecret"},
	} {
		t.Run(auth.Type, func(t *testing.T) {
			v, err := NewVerifier(rules.Source{Name: "s", Auth: auth}, Options{Now: func() time.Time { return provTestTime }})
			if err != nil {
				t.Fatal(err)
			}
			err = v.Verify(context.Background(), provRequest("application/x-www-form-urlencoded", []byte("timestamp=1700000000&token=t&signature=00")))
			if err == nil || err.Error() != Unauthorized().Error() {
				t.Errorf("err = %v, want exactly %v", err, Unauthorized())
			}
		})
	}
}
