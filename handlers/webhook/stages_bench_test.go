package webhook_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// Per-stage micro-benchmarks of the ingest path: parsing per format,
// signature verification and normalisation.

// benchLeadFields is the ~600-byte, 13-field lead of the load benchmark.
var benchLeadFields = [][2]string{
	{"email", "jane@acme-industrial.example"}, {"name", "Jane Example"}, {"phone", "+65 8575 8458"},
	{"company", "Acme Industrial Automation Pte Ltd"}, {"company_size", "80"}, {"budget", "20000"},
	{"message", "Hello, we are evaluating CRM automation for our sales team of 50 and would like pricing for the team plan, plus a demo next week if possible. We currently use spreadsheets and lose track of inbound enquiries. Thanks, Jane."},
	{"utm_source", "google"}, {"utm_medium", "cpc"}, {"utm_campaign", "q4-crm-automation"},
	{"page", "https://www.example.com/pricing?plan=team&billing=annual&ref=hero-cta"}, {"country", "SG"}, {"consent", "yes"},
}

func benchJSONLead() []byte {
	b := []byte{'{'}
	for i, f := range benchLeadFields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `"`+f[0]+`":"`+f[1]+`"`...)
	}
	return append(b, '}')
}

func benchFormLead() []byte {
	v := url.Values{}
	for _, f := range benchLeadFields {
		v.Set(f[0], f[1])
	}
	return []byte(v.Encode())
}

func benchFixture(b *testing.B, name string) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func benchReq(ct string, body []byte, kv ...string) *webhook.Request {
	h := http.Header{"Content-Type": {ct}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return &webhook.Request{Method: http.MethodPost, Path: "/hooks/b", Header: h, Body: body,
		RemoteIP: "127.0.0.1", ReceivedAt: time.Unix(1700000000, 0)}
}

// BenchmarkParse parses one delivery per format into events (including
// normalisation, which every parser runs).
func BenchmarkParse(b *testing.B) {
	cases := []struct {
		name, format, ct, fixture string
		body                      []byte
	}{
		{name: "json", format: "json", ct: "application/json", body: benchJSONLead()},
		{name: "form", format: "form", ct: "application/x-www-form-urlencoded", body: benchFormLead()},
		{name: "form-multipart", format: "form", ct: "multipart/form-data; boundary=X", fixture: "form/multipart.txt"},
		{name: "typeform", format: "typeform", ct: "application/json", fixture: "typeform/form_response.json"},
		{name: "tally", format: "tally", ct: "application/json", fixture: "tally/form_response.json"},
		{name: "webflow", format: "webflow", ct: "application/json", fixture: "webflow/form_submission_v2.json"},
		{name: "mailgun", format: "mailgun", ct: "application/x-www-form-urlencoded", fixture: "mailgun/route.urlencoded"},
		{name: "postmark", format: "postmark", ct: "application/json", fixture: "postmark/inbound.json"},
		{name: "cloudevents", format: "cloudevents", ct: "application/cloudevents+json", fixture: "cloudevents/structured.json"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			p, err := webhook.NewParser(rules.Source{Name: "b", Format: tc.format}, webhook.Options{})
			if err != nil {
				b.Fatal(err)
			}
			body := tc.body
			if tc.fixture != "" {
				body = benchFixture(b, tc.fixture)
			}
			req := benchReq(tc.ct, body)
			if _, err := p.Parse(context.Background(), req); err != nil {
				b.Fatalf("parse: %v", err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify checks one signature per scheme over the lead body.
func BenchmarkVerify(b *testing.B) {
	body := benchJSONLead()
	const swID, swTS = "msg_p5jXN8AQM9LWM0D4loKWxJek", "1700000000"
	swKey := []byte("bench-standard-webhooks-key")
	swSig := "v1," + base64.StdEncoding.EncodeToString(sign(string(swKey), swID+"."+swTS+"."+string(body)))
	cases := []struct {
		name string
		auth rules.Auth
		req  *webhook.Request
	}{
		{"hmac-sha256", rules.Auth{Type: "hmac-sha256", Header: "X-Signature", Prefix: "sha256=", Secret: "s3cret"},
			benchReq("application/json", body, "X-Signature", "sha256="+hex.EncodeToString(sign("s3cret", string(body))))},
		{"standard-webhooks", rules.Auth{Type: "standard-webhooks", Secret: rules.Secret("whsec_" + base64.StdEncoding.EncodeToString(swKey))},
			benchReq("application/json", body, "webhook-id", swID, "webhook-timestamp", swTS, "webhook-signature", swSig)},
		{"typeform", rules.Auth{Type: "typeform", Secret: "abc123"},
			benchReq("application/json", body, "Typeform-Signature", "sha256="+base64.StdEncoding.EncodeToString(sign("abc123", string(body))))},
		{"token", rules.Auth{Type: "token", Header: "X-Token", Token: "t0ken"}, benchReq("application/json", body, "X-Token", "t0ken")},
	}
	now := func() time.Time { return time.Unix(1700000000, 0) }
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			v, err := webhook.NewVerifier(rules.Source{Name: "b", Auth: tc.auth}, webhook.Options{Now: now})
			if err != nil {
				b.Fatal(err)
			}
			if err := v.Verify(context.Background(), tc.req); err != nil {
				b.Fatalf("verify: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(context.Background(), tc.req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNormalize finds email, name, phone and company in the lead's
// fields.
func BenchmarkNormalize(b *testing.B) {
	fields := map[string]any{}
	for _, f := range benchLeadFields {
		fields[f[0]] = f[1]
	}
	b.ReportAllocs()
	for b.Loop() {
		ev := rules.Event{Kind: rules.KindForm, Fields: fields}
		if err := webhook.Normalize(&ev); err != nil || ev.Email == "" {
			b.Fatalf("normalize: %v %q", err, ev.Email)
		}
	}
}
