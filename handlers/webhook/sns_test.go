package webhook

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1.
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

const (
	snsTestTopic   = "arn:aws:sns:us-east-1:012345678912:example-topic"
	snsTestHost    = "sns.us-east-1.amazonaws.com"
	snsTestCertURL = "https://" + snsTestHost + "/SimpleNotificationService-test.pem"
)

// snsFake is a fake SNS endpoint: an httptest TLS server reached through a
// client whose transport maps sns.us-east-1.amazonaws.com (only) to it, so
// the verifier's host check runs against the real host name. It serves the
// signing certificate and records SubscribeURL confirmations.
type snsFake struct {
	key     *rsa.PrivateKey
	certPEM []byte
	srv     *httptest.Server
	client  *http.Client

	certFetches atomic.Int32
	mu          sync.Mutex
	confirms    []string // request URIs of confirmation GETs
	confirmCode int
}

func newSNSFake(t testing.TB, notAfter time.Time) *snsFake {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: snsTestHost},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	f := &snsFake{key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), confirmCode: http.StatusOK}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.client = f.clientFor(f.srv)
	return f
}

func (f *snsFake) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, ".pem") {
		f.certFetches.Add(1)
		_, _ = w.Write(f.certPEM)
		return
	}
	if r.URL.Query().Get("Action") == "ConfirmSubscription" {
		f.mu.Lock()
		f.confirms = append(f.confirms, r.URL.RequestURI())
		code := f.confirmCode
		f.mu.Unlock()
		w.WriteHeader(code)
		return
	}
	http.NotFound(w, r)
}

func (f *snsFake) confirmed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.confirms...)
}

// clientFor dials srv for sns.us-east-1.amazonaws.com:443 and refuses any
// other address; TLS is verified against the test server's certificate.
func (f *snsFake) clientFor(srv *httptest.Server) *http.Client {
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.ServerName = "example.com" // httptest's certificate names example.com
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != snsTestHost+":443" {
			return nil, fmt.Errorf("test transport: no route to %q", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// sign sets the signature fields of env for the version ("1" or "2").
func (f *snsFake) sign(t testing.TB, env *snsEnvelope, version string) {
	t.Helper()
	env.SignatureVersion, env.SigningCertURL = version, snsTestCertURL
	canon, err := snsTestCanonical(env)
	if err != nil {
		t.Fatal(err)
	}
	var sig []byte
	if version == "1" {
		sum := sha1.Sum([]byte(canon)) //nolint:gosec // SNS SignatureVersion 1.
		sig, err = rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA1, sum[:])
	} else {
		sum := sha256.Sum256([]byte(canon))
		sig, err = rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, sum[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	env.Signature = base64.StdEncoding.EncodeToString(sig)
}

// snsTestCanonical is written independently of snsCanonical, from the AWS
// documentation's key lists.
func snsTestCanonical(env *snsEnvelope) (string, error) {
	m := map[string]string{"Message": env.Message, "MessageId": env.MessageID, "SubscribeURL": env.SubscribeURL,
		"Timestamp": env.Timestamp, "Token": env.Token, "TopicArn": env.TopicArn, "Type": env.Type}
	keys := []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	if env.Type == "Notification" {
		keys = []string{"Message", "MessageId", "Timestamp", "TopicArn", "Type"}
		if env.Subject != nil {
			m["Subject"] = *env.Subject
			keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
		}
	}
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "\n" + m[k] + "\n")
	}
	return b.String(), nil
}

func snsTestEnvelope(t testing.TB, name string) snsEnvelope {
	t.Helper()
	var env snsEnvelope
	if err := json.Unmarshal(provFixture(t, name), &env); err != nil {
		t.Fatal(err)
	}
	// The fixtures' timestamps are years old and a signed SNS message is
	// only good for SNSDefaultMaxAge: date it now.
	env.Timestamp = time.Now().UTC().Format(time.RFC3339Nano)
	return env
}

func snsBody(t testing.TB, env snsEnvelope) []byte {
	t.Helper()
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifySNS(t *testing.T) {
	fake := newSNSFake(t, time.Now().Add(24*time.Hour))
	v := newTestSNSVerifier(t, fake.client)
	note := snsTestEnvelope(t, "ses/notification.json")
	sub := snsTestEnvelope(t, "ses/subscription_confirmation.json")
	other := newSNSFake(t, time.Now().Add(24*time.Hour)) // a different key

	signed := func(env snsEnvelope, version string, edit func(*snsEnvelope)) []byte {
		fake.sign(t, &env, version)
		if edit != nil {
			edit(&env)
		}
		return snsBody(t, env)
	}
	noSubject := note
	noSubject.Subject = nil
	otherSig := note
	other.sign(t, &otherSig, "2")
	otherSig.SigningCertURL = snsTestCertURL

	cases := []struct {
		name   string
		body   []byte
		status int // 0 = accepted
	}{
		{"NotificationV1", signed(note, "1", nil), 0},
		{"NotificationV2", signed(note, "2", nil), 0},
		{"NotificationWithoutSubject", signed(noSubject, "2", nil), 0},
		{"SubscriptionConfirmationV1", signed(sub, "1", nil), 0},
		{"SubscriptionConfirmationV2", signed(sub, "2", nil), 0},
		{"TamperedMessage", signed(note, "2", func(e *snsEnvelope) { e.Message += " " }), http.StatusUnauthorized},
		{"SubjectAddedAfterSigning", signed(noSubject, "1", func(e *snsEnvelope) { s := "x"; e.Subject = &s }), http.StatusUnauthorized},
		{"VersionSwapped", signed(note, "1", func(e *snsEnvelope) { e.SignatureVersion = "2" }), http.StatusUnauthorized},
		{"UnknownVersion", signed(note, "2", func(e *snsEnvelope) { e.SignatureVersion = "3" }), http.StatusUnauthorized},
		{"SignedByAnotherKey", snsBody(t, otherSig), http.StatusUnauthorized},
		{"BadBase64", signed(note, "2", func(e *snsEnvelope) { e.Signature = "!!" }), http.StatusUnauthorized},
		{"TopicNotAllowed", signed(note, "2", func(e *snsEnvelope) { e.TopicArn = "arn:aws:sns:us-east-1:012345678912:other" }), http.StatusUnauthorized},
		{"CertHostLookalike", signed(note, "2", func(e *snsEnvelope) {
			e.SigningCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"
		}), http.StatusUnauthorized},
		{"CertOverHTTP", signed(note, "2", func(e *snsEnvelope) { e.SigningCertURL = "http://" + snsTestHost + "/c.pem" }), http.StatusUnauthorized},
		{"CertNotPEMPath", signed(note, "2", func(e *snsEnvelope) { e.SigningCertURL = "https://" + snsTestHost + "/cert" }), http.StatusUnauthorized},
		{"UnknownType", signed(note, "2", func(e *snsEnvelope) { e.Type = "Other" }), http.StatusUnauthorized},
		{"NotJSON", []byte("{"), http.StatusUnauthorized},
		// A validly signed message does not verify forever (issue 13).
		{"SignedMessageOlderThanWindow", signed(note, "2", nil), http.StatusUnauthorized},
		{"SignedMessageFromTheFuture", signed(note, "2", nil), http.StatusUnauthorized},
		{"TimestampNotRFC3339", signed(note, "2", nil), http.StatusUnauthorized},
	}
	// Re-sign the three age cases with their own timestamps.
	for i := range cases {
		var ts string
		switch cases[i].name {
		case "SignedMessageOlderThanWindow":
			ts = time.Now().Add(-SNSDefaultMaxAge - time.Minute).UTC().Format(time.RFC3339Nano)
		case "SignedMessageFromTheFuture":
			ts = time.Now().Add(SNSDefaultMaxAge + time.Minute).UTC().Format(time.RFC3339Nano)
		case "TimestampNotRFC3339":
			ts = "yesterday"
		default:
			continue
		}
		env := note
		env.Timestamp = ts
		cases[i].body = signed(env, "2", nil)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Verify(context.Background(), provRequest("text/plain; charset=UTF-8", tc.body))
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			provWantError(t, err, tc.status, "")
		})
	}
	if n := fake.certFetches.Load(); n != 1 {
		t.Errorf("certificate fetched %d times, want 1 (cached)", n)
	}
}

func newTestSNSVerifier(t *testing.T, client *http.Client) Verifier {
	t.Helper()
	v, err := NewVerifier(rules.Source{Name: "test", Auth: rules.Auth{Type: "sns", TopicARNs: []string{snsTestTopic}}},
		Options{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifySNSMaxAge: the window is measured on the injected clock and
// auth.tolerance widens or narrows it.
func TestVerifySNSMaxAge(t *testing.T) {
	fake := newSNSFake(t, time.Now().Add(24*time.Hour))
	note := snsTestEnvelope(t, "ses/notification.json")
	signedAt := time.Now().UTC().Truncate(time.Second)
	note.Timestamp = signedAt.Format(time.RFC3339Nano)
	fake.sign(t, &note, "2")
	body := snsBody(t, note)
	cases := []struct {
		name      string
		tolerance string
		age       time.Duration
		status    int // 0 = accepted
	}{
		{"Fresh", "", time.Minute, 0},
		{"AtDefaultWindow", "", SNSDefaultMaxAge, 0},
		{"PastDefaultWindow", "", SNSDefaultMaxAge + time.Second, http.StatusUnauthorized},
		{"PastConfiguredWindow", "2m", 3 * time.Minute, http.StatusUnauthorized},
		{"WithinConfiguredWindow", "1h", 30 * time.Minute, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := signedAt.Add(tc.age)
			v, err := NewVerifier(rules.Source{Name: "test", Auth: rules.Auth{Type: "sns", TopicARNs: []string{snsTestTopic}, Tolerance: tc.tolerance}},
				Options{HTTPClient: fake.client, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			err = v.Verify(context.Background(), provRequest("text/plain", body))
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			provWantError(t, err, tc.status, "")
		})
	}
}

func TestVerifySNSCertificateProblems(t *testing.T) {
	note := snsTestEnvelope(t, "ses/notification.json")
	t.Run("ExpiredCertificate", func(t *testing.T) {
		fake := newSNSFake(t, time.Now().Add(-time.Minute))
		fake.sign(t, &note, "2")
		err := newTestSNSVerifier(t, fake.client).Verify(context.Background(), provRequest("text/plain", snsBody(t, note)))
		provWantError(t, err, http.StatusUnauthorized, "")
	})
	t.Run("CertificateServerDown", func(t *testing.T) {
		fake := newSNSFake(t, time.Now().Add(time.Hour))
		fake.sign(t, &note, "2")
		fake.srv.Close()
		err := newTestSNSVerifier(t, fake.client).Verify(context.Background(), provRequest("text/plain", snsBody(t, note)))
		provWantError(t, err, http.StatusServiceUnavailable, "")
	})
	t.Run("TopicHeaderMismatch", func(t *testing.T) {
		fake := newSNSFake(t, time.Now().Add(time.Hour))
		fake.sign(t, &note, "2")
		req := provRequest("text/plain", snsBody(t, note), "X-Amz-Sns-Topic-Arn", "arn:aws:sns:us-east-1:1:x")
		provWantError(t, newTestSNSVerifier(t, fake.client).Verify(context.Background(), req), http.StatusUnauthorized, "")
	})
	t.Run("NoTopicsConfigured", func(t *testing.T) {
		if _, err := NewVerifier(rules.Source{Name: "s", Auth: rules.Auth{Type: "sns"}}, Options{}); err == nil {
			t.Fatal("NewVerifier accepted sns without topic_arns")
		}
	})
}

func TestSNSURLAllowed(t *testing.T) {
	cases := []struct {
		url  string
		pem  bool
		want bool
	}{
		{"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem", true, true},
		{"https://sns.eu-west-3.amazonaws.com/x.pem", true, true},
		{"https://sns.cn-north-1.amazonaws.com.cn/x.pem", true, true},
		{"https://sns.us-east-1.amazonaws.com:443/x.pem", true, true},
		{"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t", false, true},
		{"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", true, false},
		{"http://sns.us-east-1.amazonaws.com/x.pem", true, false},
		{"https://sns.us-east-1.amazonaws.com.evil.example/x.pem", true, false},
		{"https://evil.example/sns.us-east-1.amazonaws.com/x.pem", true, false},
		{"https://user@sns.us-east-1.amazonaws.com/x.pem", true, false},
		{"https://sns.us-east-1.amazonaws.com:8443/x.pem", true, false},
		{"https://s3.amazonaws.com/x.pem", true, false},
		{"https://sns..amazonaws.com/x.pem", true, false},
		{"::", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			if got := snsURLAllowed(tc.url, tc.pem); got != tc.want {
				t.Errorf("snsURLAllowed(%q, %v) = %v, want %v", tc.url, tc.pem, got, tc.want)
			}
		})
	}
}

func TestSNSCanonical(t *testing.T) {
	subj := "Hi"
	cases := []struct {
		name string
		env  snsEnvelope
		want string
	}{
		{"Notification", snsEnvelope{Type: "Notification", MessageID: "m", TopicArn: "arn", Subject: &subj, Message: "body\nline", Timestamp: "ts"},
			"Message\nbody\nline\nMessageId\nm\nSubject\nHi\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n"},
		{"NotificationNoSubject", snsEnvelope{Type: "Notification", MessageID: "m", TopicArn: "arn", Message: "b", Timestamp: "ts"},
			"Message\nb\nMessageId\nm\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n"},
		{"SubscriptionConfirmation", snsEnvelope{Type: "SubscriptionConfirmation", MessageID: "m", TopicArn: "arn", Message: "b",
			Timestamp: "ts", Token: "tok", SubscribeURL: "u"},
			"Message\nb\nMessageId\nm\nSubscribeURL\nu\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := snsCanonical(&tc.env)
			if err != nil || got != tc.want {
				t.Errorf("snsCanonical = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
