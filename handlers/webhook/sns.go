package webhook

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1 is SHA1withRSA.
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// The sns verifier checks the signature of an SNS HTTP(S) message: RSA
// PKCS#1 v1.5 over the canonical "Key\nValue\n" string, SHA1
// (SignatureVersion 1) or SHA256 (2), with the certificate at
// SigningCertURL, which must be https://sns.<region>.amazonaws.com/...pem.
// Certificates are fetched with Options.HTTPClient and cached until they
// expire. The topic must be listed in auth.topic_arns. A message whose
// signed Timestamp is more than auth.tolerance (default SNSDefaultMaxAge,
// 15 minutes) from now is refused: a signed message does not verify
// forever.

// SNSDefaultMaxAge is how old (or how far ahead) a signed SNS message's
// Timestamp may be, unless the source sets auth.tolerance.
const SNSDefaultMaxAge = 15 * time.Minute

const (
	snsFetchTimeout = 10 * time.Second
	snsMaxCert      = 64 << 10
	snsMaxCached    = 32
)

// errSNSCertUnavailable marks a certificate fetch that failed in transit
// (a later retry may succeed), as opposed to a certificate that is bad.
var errSNSCertUnavailable = errors.New("sns: signing certificate unavailable")

var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// snsURLAllowed reports whether raw is an https URL on an SNS host (and,
// for certificates, a .pem path).
func snsURLAllowed(raw string, pemPath bool) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || (u.Port() != "" && u.Port() != "443") {
		return false
	}
	if !snsHost.MatchString(strings.ToLower(u.Hostname())) {
		return false
	}
	return !pemPath || strings.HasSuffix(u.Path, ".pem")
}

// snsHTTPClient is a copy of Options.HTTPClient (or a default client) that
// never follows redirects, so no fetch leaves the checked host.
func snsHTTPClient(opts Options) *http.Client {
	c := http.Client{Timeout: snsFetchTimeout}
	if opts.HTTPClient != nil {
		c = *opts.HTTPClient
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

type snsVerifier struct {
	topics []string
	maxAge time.Duration
	client *http.Client
	now    func() time.Time

	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

func newSNSVerifier(src rules.Source, opts Options) (Verifier, error) {
	if len(src.Auth.TopicARNs) == 0 {
		return nil, fmt.Errorf("source %q: auth sns needs topic_arns", src.Name)
	}
	maxAge, err := parseTolerance(src.Name, src.Auth.Tolerance, SNSDefaultMaxAge)
	if err != nil {
		return nil, err
	}
	return &snsVerifier{topics: src.Auth.TopicARNs, maxAge: maxAge, client: snsHTTPClient(opts), now: opts.now,
		certs: map[string]*x509.Certificate{}}, nil
}

// Verify implements Verifier; the certificate fetch runs under ctx (the
// request's), bounded by snsFetchTimeout.
func (v *snsVerifier) Verify(ctx context.Context, req *Request) error {
	ctx, cancel := context.WithTimeout(ctx, snsFetchTimeout)
	defer cancel()
	var env snsEnvelope
	if err := json.Unmarshal(req.Body, &env); err != nil {
		return Unauthorized()
	}
	if !slices.Contains(v.topics, env.TopicArn) {
		return Unauthorized()
	}
	if h := req.Header.Get("X-Amz-Sns-Topic-Arn"); h != "" && h != env.TopicArn {
		return Unauthorized()
	}
	ts, err := time.Parse(time.RFC3339Nano, env.Timestamp)
	if err != nil || !withinTolerance(ts, v.now(), v.maxAge) {
		return Unauthorized()
	}
	hash, sum, err := snsDigest(&env)
	if err != nil {
		return Unauthorized()
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) == 0 {
		return Unauthorized()
	}
	if !snsURLAllowed(env.SigningCertURL, true) {
		return Unauthorized()
	}
	cert, err := v.cert(ctx, env.SigningCertURL)
	if errors.Is(err, errSNSCertUnavailable) {
		return &Error{Status: http.StatusServiceUnavailable, Message: "signing certificate unavailable"}
	}
	if err != nil {
		return Unauthorized()
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || rsa.VerifyPKCS1v15(pub, hash, sum, sig) != nil {
		return Unauthorized()
	}
	return nil
}

// snsDigest hashes the canonical string with the SignatureVersion's hash.
func snsDigest(env *snsEnvelope) (crypto.Hash, []byte, error) {
	canon, err := snsCanonical(env)
	if err != nil {
		return 0, nil, err
	}
	switch env.SignatureVersion {
	case "1":
		s := sha1.Sum([]byte(canon)) //nolint:gosec // mandated by SignatureVersion 1.
		return crypto.SHA1, s[:], nil
	case "2":
		s := sha256.Sum256([]byte(canon))
		return crypto.SHA256, s[:], nil
	default:
		return 0, nil, errors.New("unsupported signature version")
	}
}

// snsCanonical builds the string SNS signs: "Key\nValue\n" for the
// type's keys, in byte order.
func snsCanonical(env *snsEnvelope) (string, error) {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	switch env.Type {
	case "Notification":
		add("Message", env.Message)
		add("MessageId", env.MessageID)
		if env.Subject != nil {
			add("Subject", *env.Subject)
		}
		add("Timestamp", env.Timestamp)
		add("TopicArn", env.TopicArn)
		add("Type", env.Type)
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		add("Message", env.Message)
		add("MessageId", env.MessageID)
		add("SubscribeURL", env.SubscribeURL)
		add("Timestamp", env.Timestamp)
		add("Token", env.Token)
		add("TopicArn", env.TopicArn)
		add("Type", env.Type)
	default:
		return "", errors.New("unsupported message type")
	}
	return b.String(), nil
}

// cert returns the (cached) certificate at u.
func (v *snsVerifier) cert(ctx context.Context, u string) (*x509.Certificate, error) {
	now := v.now()
	v.mu.Lock()
	c, ok := v.certs[u]
	v.mu.Unlock()
	if ok && now.Before(c.NotAfter) {
		return c, nil
	}
	c, err := v.fetchCert(ctx, u)
	if err != nil {
		return nil, err
	}
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return nil, errors.New("sns: signing certificate outside its validity period")
	}
	v.mu.Lock()
	if len(v.certs) >= snsMaxCached {
		clear(v.certs)
	}
	v.certs[u] = c
	v.mu.Unlock()
	return c, nil
}

func (v *snsVerifier) fetchCert(ctx context.Context, u string) (*x509.Certificate, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSNSCertUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: status %d", errSNSCertUnavailable, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, snsMaxCert))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSNSCertUnavailable, err)
	}
	block, _ := pem.Decode(body)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("sns: certificate is not PEM")
	}
	return x509.ParseCertificate(block.Bytes)
}
