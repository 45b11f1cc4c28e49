package webhook_test

// Fuzz targets for the parsers and verifiers that have none next to
// their own tests. Properties: no panic; a failure is a *webhook.Error
// with a 4xx status; a parse success yields events or a reply.

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// fuzzNow is the clock of the fuzzed verifiers (timestamps are seeded
// around it).
var fuzzNow = time.Unix(1_700_000_000, 0).UTC()

const fuzzSecret = "fuzz-secret"

func fuzzRequest(ct string, body []byte, hdr http.Header) *webhook.Request {
	h := hdr.Clone()
	if h == nil {
		h = http.Header{}
	}
	if ct != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", ct)
	}
	return &webhook.Request{Method: http.MethodPost, Path: "/hooks/fuzz", Header: h, Body: body,
		RemoteIP: "192.0.2.1", ReceivedAt: fuzzNow}
}

func checkFuzzErr(t *testing.T, err error, lo, hi int) {
	t.Helper()
	var e *webhook.Error
	if !errors.As(err, &e) || e.Status < lo || e.Status > hi {
		t.Fatalf("error %v (%T) is not a *webhook.Error with a status in [%d, %d]", err, err, lo, hi)
	}
}

func fuzzParse(t *testing.T, p webhook.Parser, req *webhook.Request) {
	t.Helper()
	got, err := p.Parse(context.Background(), req)
	if err != nil {
		checkFuzzErr(t, err, 400, 499)
		return
	}
	if got.Reply == nil && len(got.Events) == 0 {
		t.Fatal("success with neither events nor a reply")
	}
}

func newFuzzParser(f *testing.F, format string) webhook.Parser {
	f.Helper()
	p, err := webhook.NewParser(rules.Source{Name: "fuzz", Format: format, Auth: rules.Auth{Type: "none"}},
		webhook.Options{Now: func() time.Time { return fuzzNow }, MaxMemory: 64 << 10})
	if err != nil {
		f.Fatal(err)
	}
	return p
}

func seedFile(f *testing.F, name string) []byte {
	f.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzParseForm(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("name=Jane+Doe&email=jane%40example.com&budget=15000&tags=a&tags=b"))
	f.Add("multipart/form-data; boundary=X", seedFile(f, "form/multipart.txt"))
	f.Add("application/json", []byte(`{"email":"a@b.c"}`))
	f.Add("application/x-www-form-urlencoded", []byte("%zz=1&a=%"))
	f.Add("multipart/form-data", []byte("--X\r\n"))
	p := newFuzzParser(f, "form")
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		fuzzParse(t, p, fuzzRequest(ct, body, nil))
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add(seedFile(f, "json/nested.json"))
	f.Add([]byte(`{"email":"a@b.c","name":"x","n":1e400,"deep":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`[{"email":"a@b.c"}]`))
	f.Add([]byte(`{"email":"\ud800"}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]`))
	p := newFuzzParser(f, "json")
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzParse(t, p, fuzzRequest("application/json", body, nil))
	})
}

// fuzzVerifier fuzzes one scheme's verifier. setHeaders puts the fuzzed
// signature and timestamp where the scheme reads them; seeds are valid
// (signature, timestamp, body) triples and near misses.
func fuzzVerifier(f *testing.F, auth rules.Auth, setHeaders func(h http.Header, sig, ts string), seeds ...[3]string) {
	f.Helper()
	v, err := webhook.NewVerifier(rules.Source{Name: "fuzz", Format: "json", Auth: auth}, webhook.Options{
		Now: func() time.Time { return fuzzNow },
		HTTPClient: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("fuzz: no network")
		})},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("", "", []byte{})
	for _, s := range seeds {
		f.Add(s[0], s[1], []byte(s[2]))
	}
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		h := http.Header{}
		setHeaders(h, sig, ts)
		if err := v.Verify(context.Background(), fuzzRequest("application/json", body, h)); err != nil {
			checkFuzzErr(t, err, 400, 499)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func hmacHex(key []byte, msg string) string { return hex.EncodeToString(sign(string(key), msg)) }

func hmacB64(key []byte, msg string) string {
	return base64.StdEncoding.EncodeToString(sign(string(key), msg))
}

const fuzzBody = `{"email":"a@b.c"}`

var fuzzTS = strconv.FormatInt(fuzzNow.Unix(), 10)

func FuzzVerifyHMAC(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "hmac-sha256", Header: "X-Signature", Prefix: "sha256=", Secret: fuzzSecret},
		func(h http.Header, sig, _ string) { h.Set("X-Signature", sig) },
		[3]string{"sha256=" + hmacHex([]byte(fuzzSecret), fuzzBody), "", fuzzBody},
		[3]string{"sha256=zz", "", fuzzBody})
}

func FuzzVerifyStandardWebhooks(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	fuzzVerifier(f, rules.Auth{Type: "standard-webhooks", Secret: rules.Secret(secret)},
		func(h http.Header, sig, ts string) {
			h.Set("Webhook-Id", "msg_1")
			h.Set("Webhook-Timestamp", ts)
			h.Set("Webhook-Signature", sig)
		},
		[3]string{"v1," + hmacB64(key, "msg_1."+fuzzTS+"."+fuzzBody), fuzzTS, fuzzBody},
		[3]string{"v1,!!! v1a,x v2,", "-1", fuzzBody},
		[3]string{"v1,abc", "99999999999999999999", ""})
}

func FuzzVerifyToken(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "token", Token: "fuzz-token"},
		func(h http.Header, sig, _ string) { h.Set("Authorization", sig) },
		[3]string{"Bearer fuzz-token", "", ""}, [3]string{"bearer  fuzz-token ", "", ""}, [3]string{"Basic Zm9v", "", ""})
}

func FuzzVerifyBasic(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "basic", Username: "kiosk", Password: "pw"},
		func(h http.Header, sig, _ string) { h.Set("Authorization", sig) },
		[3]string{"Basic " + base64.StdEncoding.EncodeToString([]byte("kiosk:pw")), "", ""},
		[3]string{"Basic !!!", "", ""}, [3]string{"Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")), "", ""})
}

func FuzzVerifyTypeform(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "typeform", Secret: fuzzSecret},
		func(h http.Header, sig, _ string) { h.Set("Typeform-Signature", sig) },
		[3]string{"sha256=" + hmacB64([]byte(fuzzSecret), fuzzBody), "", fuzzBody})
}

func FuzzVerifyWebflow(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "webflow", Secret: fuzzSecret},
		func(h http.Header, sig, ts string) {
			h.Set("X-Webflow-Signature", sig)
			h.Set("X-Webflow-Timestamp", ts)
		},
		[3]string{hmacHex([]byte(fuzzSecret), fuzzTS+"000:"+fuzzBody), fuzzTS + "000", fuzzBody},
		[3]string{"zz", "abc", fuzzBody})
}

func FuzzVerifyTally(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "tally", Secret: fuzzSecret},
		func(h http.Header, sig, _ string) { h.Set("Tally-Signature", sig) },
		[3]string{hmacB64([]byte(fuzzSecret), fuzzBody), "", fuzzBody})
}

func FuzzVerifyStripe(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "stripe", Secret: fuzzSecret},
		func(h http.Header, sig, _ string) { h.Set("Stripe-Signature", sig) },
		[3]string{"t=" + fuzzTS + ",v1=" + hmacHex([]byte(fuzzSecret), fuzzTS+"."+fuzzBody), "", fuzzBody},
		[3]string{"t=,v1=,v0=,=,,", "", ""}, [3]string{"t=-99999999999999999999,v1=00", "", ""})
}

func FuzzVerifyGitHub(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "github", Secret: fuzzSecret},
		func(h http.Header, sig, _ string) { h.Set("X-Hub-Signature-256", sig) },
		[3]string{"sha256=" + hmacHex([]byte(fuzzSecret), fuzzBody), "", fuzzBody})
}

func FuzzVerifyMailgun(f *testing.F) {
	form := func(ts, tok, sig string) string { return "timestamp=" + ts + "&token=" + tok + "&signature=" + sig }
	fuzzVerifier(f, rules.Auth{Type: "mailgun", Secret: fuzzSecret},
		func(h http.Header, _, _ string) { h.Set("Content-Type", "application/x-www-form-urlencoded") },
		[3]string{"", "", form(fuzzTS, "tok", hmacHex([]byte(fuzzSecret), fuzzTS+"tok"))},
		[3]string{"", "", form("x", "", "")},
		[3]string{"", "", `{"signature":{"timestamp":"` + fuzzTS + `","token":"t","signature":"00"}}`})
}

// FuzzVerifyHMACTimestamped: the timestamped hmac-sha256 variant
// (auth.timestamp_header) with fuzzed signature, timestamp and body.
func FuzzVerifyHMACTimestamped(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "hmac-sha256", Header: "X-Signature", Prefix: "sha256=", Secret: fuzzSecret,
		Secrets: []rules.Secret{"fuzz-old-secret"}, TimestampHeader: "X-Leadhook-Timestamp"},
		func(h http.Header, sig, ts string) {
			h.Set("X-Signature", sig)
			h.Set("X-Leadhook-Timestamp", ts)
		},
		[3]string{"sha256=" + hmacHex([]byte(fuzzSecret), fuzzTS+"."+fuzzBody), fuzzTS, fuzzBody},
		[3]string{"sha256=" + hmacHex([]byte("fuzz-old-secret"), fuzzTS+"."+fuzzBody), fuzzTS, fuzzBody},
		[3]string{"sha256=" + hmacHex([]byte(fuzzSecret), fuzzBody), fuzzTS, fuzzBody},
		[3]string{"sha256=00", "-99999999999999999999", ""}, [3]string{"sha256=", "1e9", fuzzBody})
}

// FuzzMailgunTokenOnce: two deliveries carrying one validly signed
// (timestamp, token) pair and fuzzed mail. Property: the first passes;
// the second passes only when its form is the same as the first's (the
// same delivery again), never with other mail (issue 13).
func FuzzMailgunTokenOnce(f *testing.F) {
	f.Add("abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn", "Jane <jane@example.com>", "Eve <eve@example.com>", "hello", "hello")
	f.Add("t", "a@example.com", "a@example.com", "x", "x")
	f.Add("t&token=u", "a@example.com", "a@example.com", "x", "y")
	f.Add("tok", "", "", "", "\x00")
	f.Fuzz(func(t *testing.T, token, from1, from2, text1, text2 string) {
		v, err := webhook.NewVerifier(rules.Source{Name: "fuzz", Format: "mailgun", Auth: rules.Auth{Type: "mailgun", Secret: fuzzSecret}},
			webhook.Options{Now: func() time.Time { return fuzzNow }})
		if err != nil {
			t.Fatal(err)
		}
		form := func(from, text string) url.Values {
			return url.Values{"timestamp": {fuzzTS}, "token": {token}, "signature": {hmacHex([]byte(fuzzSecret), fuzzTS+token)},
				"from": {from}, "body-plain": {text}}
		}
		first, second := form(from1, text1), form(from2, text2)
		verify := func(v2 url.Values) error {
			return v.Verify(context.Background(), fuzzRequest("application/x-www-form-urlencoded", []byte(v2.Encode()), nil))
		}
		err1 := verify(first)
		if token == "" {
			checkFuzzErr(t, err1, 401, 401)
			return
		}
		if err1 != nil {
			t.Fatalf("first delivery refused: %v", err1)
		}
		err2 := verify(second)
		if same := first.Encode() == second.Encode(); same != (err2 == nil) {
			t.Fatalf("same form %v, second delivery err = %v", same, err2)
		}
		if err2 != nil {
			checkFuzzErr(t, err2, 401, 401)
		}
	})
}

func FuzzVerifySNS(f *testing.F) {
	fuzzVerifier(f, rules.Auth{Type: "sns", TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:leads"}},
		func(h http.Header, sig, _ string) { h.Set("X-Amz-Sns-Topic-Arn", sig) },
		[3]string{"arn:aws:sns:us-east-1:123456789012:leads", "", string(seedFileNoF("ses/notification.json"))},
		[3]string{"", "", string(seedFileNoF("ses/subscription_confirmation.json"))},
		[3]string{"", "", `{"Type":"Notification","SignatureVersion":"2","SigningCertURL":"https://sns.us-east-1.amazonaws.com/x.pem","Signature":"!!"}`})
}

func seedFileNoF(name string) []byte {
	b, _ := os.ReadFile("testdata/" + name)
	return b
}

// TestTruncatedMultipartRejected is the regression test of a fuzz-found
// bug: multipart.Reader wraps the EOF of a body cut before its closing
// boundary ("multipart: NextPart: EOF"), and errors.Is(err, io.EOF) took
// it for the end of a complete form, so a truncated delivery that lost
// its last fields was answered 200 and never retried.
func TestTruncatedMultipartRejected(t *testing.T) {
	const ct = "multipart/form-data; boundary=X"
	head := "--X\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\njane@example.com\r\n"
	tests := []struct {
		name, format, body string
		wantErr            bool
	}{
		{"FormComplete", "form", head + "--X--\r\n", false},
		{"FormCutInNamelessPart", "form", head + "--X\r\nContent-Disposition: form-data\r\n\r\ncut", true},
		{"FormCutInFilePart", "form", head + "--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\ncut", true},
		{"FormCutAfterPart", "form", head, true},
		{"MailgunCutInFilePart", "mailgun", head + "--X\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\ncut", true},
		{"SendgridCutAfterPart", "sendgrid", head, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := webhook.NewParser(rules.Source{Name: "t", Format: tc.format, Auth: rules.Auth{Type: "none"}}, webhook.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Parse(context.Background(), fuzzRequest(ct, []byte(tc.body), nil))
			var e *webhook.Error
			cut := errors.As(err, &e) && e.Status == http.StatusBadRequest && strings.Contains(e.Message, "multipart")
			if cut != tc.wantErr {
				t.Fatalf("err = %v, want a 400 about the multipart body: %v", err, tc.wantErr)
			}
		})
	}
}
