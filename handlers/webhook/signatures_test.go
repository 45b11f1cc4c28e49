package webhook

import (
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
			err = v.Verify(tc.req)
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

func TestVerifyGitHub(t *testing.T) {
	const body = "Hello, World!"
	const good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" // [V] GitHub docs
	req := func(sig, b string) *Request {
		return provRequest("application/json", []byte(b), "X-Hub-Signature-256", sig)
	}
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
	req := func(h, b string) *Request { return provRequest("application/json", []byte(b), "Stripe-Signature", h) }
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
	req := func(sig, b string) *Request {
		return provRequest("application/json", []byte(b), "Typeform-Signature", sig)
	}
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
	req := func(sig, b string) *Request {
		return provRequest("application/json", []byte(b), "Tally-Signature", sig)
	}
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
		err := v.Verify(provRequest("application/x-www-form-urlencoded", body))
		if s.ok && err != nil {
			t.Errorf("%s: Verify: %v", s.name, err)
		}
		if !s.ok {
			provWantError(t, err, http.StatusUnauthorized, "")
		}
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
			err = v.Verify(provRequest("application/x-www-form-urlencoded", []byte("timestamp=1700000000&token=t&signature=00")))
			if err == nil || err.Error() != Unauthorized().Error() {
				t.Errorf("err = %v, want exactly %v", err, Unauthorized())
			}
		})
	}
}
