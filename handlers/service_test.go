package handlers_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers"
)

func TestFormPostCreatesLabelledOwnedContact(t *testing.T) {
	h := newHarness(t)
	r := h.postForm("name=Jane+Doe&email=+Jane%40Example.com+&phone=%2B1+555+0100&budget=500", nil)
	wantStatus(t, r, http.StatusOK)
	c := h.onlyContact()
	if c.Email != "jane@example.com" || c.Name != "Jane Doe" || c.Phone != "+1 555 0100" {
		t.Errorf("contact = %q %q %q", c.Name, c.Email, c.Phone)
	}
	if c.Label == nil || c.Label.Name != "Warm lead" {
		t.Errorf("label = %+v, want Warm lead", c.Label)
	}
	if c.OwnerID != 17826 && c.OwnerID != 21584 {
		t.Errorf("owner = %d, want one of the sales pool", c.OwnerID)
	}
	if got := h.deskera.Count("contacts.create"); got != 1 {
		t.Errorf("creates = %d, want 1 (label and owner inside the POST)", got)
	}
	if r.JSON["outcome"] != "ok" || r.JSON["source"] != "website" || r.JSON["event_id"] == "" {
		t.Errorf("answer = %s", r.Raw)
	}
	if m, _ := r.JSON["matched"].([]any); len(m) != 1 || m[0] != "capture" {
		t.Errorf("matched = %v, want [capture]", r.JSON["matched"])
	}
	acts, _ := r.JSON["actions"].([]any)
	if len(acts) == 0 {
		t.Fatalf("no actions in %s", r.Raw)
	}
	for _, a := range acts {
		a := a.(map[string]any)
		if a["contact_id"] != float64(c.ID) || a["outcome"] == "" || a["error"] != nil {
			t.Errorf("action = %v, want contact %d and an outcome", a, c.ID)
		}
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"email":"j***@example.com"`) || strings.Contains(logs, "jane@example.com") {
		t.Errorf("logs do not mask the email:\n%s", logs)
	}
	if strings.Contains(logs, "555 0100") {
		t.Errorf("logs contain body content:\n%s", logs)
	}
}

func multipartBody(t *testing.T, fields map[string]string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("cv", "cv.pdf")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(fw, "%PDF-1.7 not really")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.String()
}

func TestInputFormats(t *testing.T) {
	mpType, mpBody := multipartBody(t, map[string]string{"First Name": "Ada", "Last Name": "Lovelace", "E-mail": "ADA@example.org"})
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("kiosk:"+kioskPassword))
	tests := []struct {
		name, path, ct, body string
		header               map[string]string
		email, contact       string
	}{
		{"JSON", "/hooks/api", "application/json", `{"contact":{"email":"Grace Hopper <GRACE@navy.mil>"},"budget":20000}`,
			map[string]string{"Authorization": "Bearer " + apiToken}, "grace@navy.mil", "Grace Hopper"},
		{"Multipart", "/hooks/kiosk", mpType, mpBody,
			map[string]string{"Authorization": basic}, "ada@example.org", "Ada Lovelace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.post(tc.path, tc.ct, tc.body, tc.header)
			wantStatus(t, r, http.StatusOK)
			c := h.onlyContact()
			if c.Email != tc.email || c.Name != tc.contact {
				t.Fatalf("contact = %q <%s>, want %q <%s>", c.Name, c.Email, tc.contact, tc.email)
			}
		})
	}
}

func TestAuthSchemes(t *testing.T) {
	h := newHarness(t)
	form := "email=auth%40example.com"
	sig := "sha256=" + hexHMAC(websiteSecret, form)
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	tests := []struct {
		name, path, ct, body string
		header               map[string]string
		status               int
	}{
		{"HMACGood", "/hooks/website", "application/x-www-form-urlencoded", form, map[string]string{"X-Signature": sig}, 200},
		{"HMACBad", "/hooks/website", "application/x-www-form-urlencoded", form, map[string]string{"X-Signature": "sha256=" + hexHMAC("guess", form)}, 401},
		{"HMACTampered", "/hooks/website", "application/x-www-form-urlencoded", form + "x", map[string]string{"X-Signature": sig}, 401},
		{"HMACMissing", "/hooks/website", "application/x-www-form-urlencoded", form, nil, 401},
		{"BearerGood", "/hooks/api", "application/json", `{}`, map[string]string{"Authorization": "Bearer " + apiToken}, 200},
		{"BearerBad", "/hooks/api", "application/json", `{}`, map[string]string{"Authorization": "Bearer nope"}, 401},
		{"BearerMissing", "/hooks/api", "application/json", `{}`, nil, 401},
		{"HeaderTokenGood", "/hooks/partner", "application/json", `{}`, map[string]string{"X-Partner-Token": partnerToken}, 200},
		{"HeaderTokenBad", "/hooks/partner", "application/json", `{}`, map[string]string{"X-Partner-Token": partnerToken + "x"}, 401},
		{"HeaderTokenMissing", "/hooks/partner", "application/json", `{}`, nil, 401},
		{"BasicGood", "/hooks/kiosk", "application/x-www-form-urlencoded", "a=1", map[string]string{"Authorization": basic("kiosk", kioskPassword)}, 200},
		{"BasicBad", "/hooks/kiosk", "application/x-www-form-urlencoded", "a=1", map[string]string{"Authorization": basic("kiosk", "wrong")}, 401},
		{"BasicMissing", "/hooks/kiosk", "application/x-www-form-urlencoded", "a=1", nil, 401},
		{"AllowListViaTrustedProxy", "/hooks/office", "application/x-www-form-urlencoded", "a=1", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 200},
		{"AllowListOutside", "/hooks/office", "application/x-www-form-urlencoded", "a=1", map[string]string{"X-Forwarded-For": "198.51.100.1"}, 401},
		{"AllowListMissingXFF", "/hooks/office", "application/x-www-form-urlencoded", "a=1", nil, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.post(tc.path, tc.ct, tc.body, tc.header)
			wantStatus(t, r, tc.status)
			if tc.status == 401 && string(r.Raw) != `{"error":"authentication failed"}` {
				t.Fatalf("401 body = %s, want the generic error", r.Raw)
			}
		})
	}
}

// svixSign signs like a Standard Webhooks sender.
func svixSign(id string, ts int64, body string) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(svixSecret, "whsec_"))
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.%s", id, ts, body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestStandardWebhooksOverHTTP(t *testing.T) {
	const (
		vectorID   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		vectorTS   = 1614265330
		vectorBody = `{"test": 2432232314}`
		vectorSig  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	lead := `{"email":"svix@example.com"}`
	hdr := func(id string, ts int64, sig string) map[string]string {
		return map[string]string{"webhook-id": id, "webhook-timestamp": strconv.FormatInt(ts, 10), "webhook-signature": sig}
	}
	tests := []struct {
		name     string
		now      int64
		body     string
		header   map[string]string
		status   int
		contacts int
	}{
		{"PublishedVector", vectorTS, vectorBody, hdr(vectorID, vectorTS, vectorSig), 200, 0},
		{"PublishedVectorRotationList", vectorTS + 60, vectorBody, hdr(vectorID, vectorTS, "v1,bad v2,bad "+vectorSig), 200, 0},
		{"PublishedBadSignature", vectorTS, vectorBody, hdr(vectorID, vectorTS, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), 401, 0},
		{"Expired", vectorTS + 301, vectorBody, hdr(vectorID, vectorTS, vectorSig), 401, 0},
		{"Missing", vectorTS, vectorBody, nil, 401, 0},
		{"SignedLead", vectorTS, lead, hdr("msg_lead", vectorTS, svixSign("msg_lead", vectorTS, lead)), 200, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(_ *harness, _ *handlers.ServerConfig, c *handlers.Config) {
				c.Webhook.Now = func() time.Time { return time.Unix(tc.now, 0) }
			})
			r := h.post("/hooks/svix", "application/json", tc.body, tc.header)
			wantStatus(t, r, tc.status)
			if got := len(h.deskera.Contacts()); got != tc.contacts {
				t.Fatalf("contacts = %d, want %d", got, tc.contacts)
			}
			if tc.status == 200 && r.JSON["event_id"] != tc.header["webhook-id"] {
				t.Fatalf("event_id = %v, want the webhook-id", r.JSON["event_id"])
			}
		})
	}
}

func TestReplayReturnsFirstAnswer(t *testing.T) {
	tests := []struct {
		name, path, body string
		header           map[string]string
	}{
		{"IdempotencyKey", "/hooks/api", `{"email":"replay@example.com"}`,
			map[string]string{"Authorization": "Bearer " + apiToken, "Idempotency-Key": "order-1"}},
		{"IDField", "/hooks/survey", `{"email":"replay@example.com","submission_id":42}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			first := h.post(tc.path, "application/json", tc.body, tc.header)
			wantStatus(t, first, http.StatusOK)
			calls := h.deskera.Total()
			second := h.post(tc.path, "application/json", tc.body, tc.header)
			wantStatus(t, second, http.StatusOK)
			if !bytes.Equal(first.Raw, second.Raw) {
				t.Fatalf("replay answered\n%s\nwant\n%s", second.Raw, first.Raw)
			}
			if second.Header.Get(handlers.ReplayHeader) != "true" || first.Header.Get(handlers.ReplayHeader) != "" {
				t.Fatalf("replay header: first %q second %q", first.Header.Get(handlers.ReplayHeader), second.Header.Get(handlers.ReplayHeader))
			}
			if got := h.deskera.Total(); got != calls {
				t.Fatalf("replay made %d Deskera calls", got-calls)
			}
			h.onlyContact()
		})
	}
}

func TestConcurrentDuplicatesCreateOneContact(t *testing.T) {
	h := newHarness(t)
	h.deskera.SetLatency(20 * time.Millisecond) // keep the first in flight while the rest arrive
	body := "name=Dup&email=dup%40example.com"
	const n = 50
	answers := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = h.postForm(body, map[string]string{"Idempotency-Key": "form-7"}) })
	}
	wg.Wait()
	for i, a := range answers {
		wantStatus(t, a, http.StatusOK)
		if !bytes.Equal(a.Raw, answers[0].Raw) {
			t.Fatalf("answer %d differs:\n%s\n%s", i, a.Raw, answers[0].Raw)
		}
	}
	h.onlyContact()
	if got := h.deskera.Count("contacts.create"); got != 1 {
		t.Fatalf("creates = %d, want 1", got)
	}
}

func TestDeskeraOutageThenRetry(t *testing.T) {
	noWrap := func(rt http.RoundTripper) http.RoundTripper { return rt }
	tests := []struct {
		name  string
		wrap  func(http.RoundTripper) http.RoundTripper
		fault func(h *harness)
		// found: the engine's search right after the failed create finds
		// the contact it made, so the first delivery already succeeds.
		found bool
	}{
		{"ServiceUnavailable", noWrap, func(h *harness) { h.deskera.FailNext(10, http.StatusServiceUnavailable, 0) }, false},
		{"RateLimited", noWrap, func(h *harness) { h.deskera.FailNext(10, http.StatusTooManyRequests, 50*time.Millisecond) }, false},
		{"CreateAppliedAnswerLost", func(rt http.RoundTripper) http.RoundTripper { return &loseCreateAnswer{next: rt} }, func(*harness) {}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessWithTransport(t, tc.wrap)
			tc.fault(h)
			body := "email=outage%40example.com"
			hdr := map[string]string{"Idempotency-Key": "delivery-1"}
			r := h.postForm(body, hdr)
			if tc.found {
				wantStatus(t, r, http.StatusOK)
				h.onlyContact()
				if n := h.deskera.Count("contacts.create"); n != 1 {
					t.Fatalf("creates = %d, want 1", n)
				}
				return
			}
			wantStatus(t, r, http.StatusServiceUnavailable)
			if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 {
				t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
			}
			if r.JSON["outcome"] != "retry" || strings.Contains(string(r.Raw), "test-token") {
				t.Fatalf("answer = %s", r.Raw)
			}
			h.deskera.FailNext(0, 0, 0)
			retry := h.postForm(body, hdr)
			wantStatus(t, retry, http.StatusOK)
			if retry.Header.Get(handlers.ReplayHeader) != "" {
				t.Fatal("a 503 was stored and replayed")
			}
			h.onlyContact()
		})
	}
}

func TestDeskeraRejectsData(t *testing.T) {
	h := newHarness(t)
	h.deskera.FailNext(1, http.StatusBadRequest, 0)
	hdr := map[string]string{"Idempotency-Key": "bad-1"}
	r := h.postForm("email=rejected%40example.com", hdr)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.JSON["outcome"] != "failed" || r.JSON["error"] == nil {
		t.Fatalf("answer = %s", r.Raw)
	}
	again := h.postForm("email=rejected%40example.com", hdr)
	wantStatus(t, again, http.StatusUnprocessableEntity)
	if again.Header.Get(handlers.ReplayHeader) != "true" {
		t.Fatal("a permanent failure was not stored")
	}
}

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	bearer := map[string]string{"Authorization": "Bearer " + apiToken}
	tests := []struct {
		name, method, path, ct, body string
		header                       map[string]string
		status                       int
		field                        string
	}{
		{"Oversize", "POST", "/hooks/api", "application/json", `{"x":"` + strings.Repeat("a", 5000) + `"}`, bearer, 413, "body"},
		{"WrongContentType", "POST", "/hooks/api", "text/plain", `{}`, bearer, 415, "Content-Type"},
		{"FormWrongContentType", "POST", "/hooks/kiosk", "application/json", `{}`, map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("kiosk:"+kioskPassword))}, 415, "Content-Type"},
		{"MalformedJSON", "POST", "/hooks/api", "application/json", `{"email":`, bearer, 400, "body"},
		{"NotAnObject", "POST", "/hooks/api", "application/json", `[1]`, bearer, 400, "body"},
		{"BadEmail", "POST", "/hooks/api", "application/json", `{"email":"nobody"}`, bearer, 400, "email"},
		{"MalformedForm", "POST", "/hooks/survey", "application/json", `{"email": "a@b.c", }`, nil, 400, "body"},
		{"UnknownSource", "POST", "/hooks/nope", "application/json", `{}`, nil, 404, "source"},
		{"WrongMethod", "GET", "/hooks/api", "", ``, nil, 405, ""},
		{"NoRoute", "GET", "/nothing", "", ``, nil, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, h.srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			r := h.do(req)
			wantStatus(t, r, tc.status)
			if r.JSON["error"] == nil || r.JSON["error"] == "" {
				t.Fatalf("no JSON error in %s", r.Raw)
			}
			if got, _ := r.JSON["field"].(string); got != tc.field {
				t.Fatalf("field = %q, want %q (%s)", got, tc.field, r.Raw)
			}
		})
	}
	if n := len(h.deskera.Contacts()); n != 0 {
		t.Fatalf("bad input created %d contacts", n)
	}
}

func TestDryRun(t *testing.T) {
	body := `{"email":"plan@example.com","budget":50000}`
	tests := []struct {
		name   string
		admin  string // configured admin token
		header map[string]string
		status int
	}{
		{"AdminToken", adminToken, map[string]string{"Authorization": "Bearer " + adminToken}, 200},
		{"SourceTokenIsNotAdmin", adminToken, map[string]string{"Authorization": "Bearer " + apiToken}, 401},
		{"Missing", adminToken, nil, 401},
		{"Disabled", "", map[string]string{"Authorization": "Bearer " + adminToken}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(_ *harness, _ *handlers.ServerConfig, c *handlers.Config) { c.AdminToken = tc.admin })
			before := h.deskera.Counts()
			r := h.post("/hooks/api?dry_run=1", "application/json", body, tc.header)
			wantStatus(t, r, tc.status)
			// A dry run reads (search, labels) and never writes.
			for op, n := range h.deskera.Counts() {
				if n != before[op] && !strings.HasSuffix(op, ".list") && !strings.HasSuffix(op, ".get") {
					t.Fatalf("dry run sent %d %s", n-before[op], op)
				}
			}
			if tc.status != 200 {
				return
			}
			if r.JSON["outcome"] != "dry_run" {
				t.Fatalf("answer = %s", r.Raw)
			}
			if calls, _ := r.JSON["calls"].([]any); len(calls) == 0 {
				t.Fatalf("no planned calls in %s", r.Raw)
			}
			if m, _ := r.JSON["matched"].([]any); len(m) != 2 {
				t.Fatalf("matched = %v, want capture and big-budget", r.JSON["matched"])
			}
		})
	}
}

func TestInFlightCap(t *testing.T) {
	// The slow delivery's first Deskera call is held until the fast one
	// has its answer, so the one slot is taken whatever the scheduling.
	// Armed only once the harness is built: preparing the engine lists
	// the labels through the same transport.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var armed atomic.Bool
	hold := func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if armed.Load() {
				once.Do(func() { close(entered); <-release })
			}
			return rt.RoundTrip(r)
		})
	}
	h := newHarnessWithTransport(t, hold, func(_ *harness, s *handlers.ServerConfig, _ *handlers.Config) { s.MaxInFlight = 1 })
	armed.Store(true)
	slow := make(chan reply)
	go func() { slow <- h.postForm("email=slow%40example.com", nil) }()
	<-entered
	r := h.postForm("email=fast%40example.com", nil)
	close(release)
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	wantStatus(t, <-slow, http.StatusOK)
}
