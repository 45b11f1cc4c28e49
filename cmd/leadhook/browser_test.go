package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/internal/chromium"
)

// turnstileStub stands in for Cloudflare's widget script: it adds the
// hidden cf-turnstile-response input the real widget adds once solved,
// with a token the fake siteverify accepts.
//
// The page loads it async, so it may run before the parser has reached
// the widgets (a cached copy often does): like the real api.js it waits
// for the document, else the second form would never get its token.
const turnstileStub = `function render() {
  for (const d of document.querySelectorAll('.cf-turnstile')) {
    const i = document.createElement('input'); i.type = 'hidden'; i.name = 'cf-turnstile-response'; i.value = 'pass'; d.appendChild(i);
  }
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', render); else render();`

// startBrowserRig runs the fake siteverify, leadhook serve on the sandbox
// with rules.example.yaml (its contact-form source allowing the site's
// origin and checking Turnstile against the fake), and a static host with
// examples/static-site/index.html pointed at that leadhook. It returns
// leadhook's base URL, the site's allowed origin and another origin of
// the same host (localhost instead of 127.0.0.1).
func startBrowserRig(t *testing.T) (base, allowed, other string) {
	t.Helper()
	siteverify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("secret") == "test-turnstile-secret" && r.PostForm.Get("response") == "pass" {
			_, _ = w.Write([]byte(`{"success":true,"error-codes":[]}`))
			return
		}
		_, _ = w.Write([]byte(`{"success":false,"error-codes":["invalid-input-response"]}`))
	}))
	t.Cleanup(siteverify.Close)

	var page []byte
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/", "/index.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
		case "/turnstile-stub.js":
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write([]byte(turnstileStub))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(site.Close)
	allowed = site.URL
	other = strings.Replace(site.URL, "127.0.0.1", "localhost", 1)

	example := mustReplace(t, readFile(t, "../../rules.example.yaml"),
		"allowed_origins: ['http://localhost:8000', 'http://127.0.0.1:8000']", "allowed_origins: ['"+allowed+"']",
		"      # captcha: {provider: turnstile, secret: <from an env var>}   # see examples/static-site",
		"      captcha: {provider: turnstile, secret: test-turnstile-secret, verify_url: '"+siteverify.URL+"/siteverify'}")
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	base = serveRules(t, rulesFile)
	page = []byte(mustReplace(t, readFile(t, "../../examples/static-site/index.html"),
		"http://localhost:8080", base,
		"https://challenges.cloudflare.com/turnstile/v0/api.js", "/turnstile-stub.js"))
	return base, allowed, other
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustReplace replaces each old with its new, failing when old is not
// there (the example changed under the test).
func mustReplace(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("the example no longer has %q", pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// serveRules runs `leadhook serve` on the sandbox with rulesFile.
func serveRules(t *testing.T, rulesFile string) string {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	env, out, errw := testEnv(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--rules", rulesFile}, env) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if addr := listenAddr(out.String()); addr != "" {
			return "http://" + addr
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d: %s %s", code, errw.String(), out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start: %s", out.String())
	return ""
}

// sandboxContacts lists the sandbox Deskera's contacts.
// queuedContacts waits until the sandbox holds n contacts: form sources
// are queued (answered 202, acted on by a worker), so a contact appears
// shortly after the visitor's page. Only a test timeout ends the wait.
func queuedContacts(t *testing.T, base string, n int) []deskera.Contact {
	t.Helper()
	for {
		if cs := sandboxContacts(t, base); len(cs) >= n {
			return cs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sandboxContacts(t *testing.T, base string) []deskera.Contact {
	t.Helper()
	code, body := get(t, base+"/sandbox/v1/crm/contacts?limit=100", map[string]string{"x-access-token": "test-token"})
	if code != http.StatusOK {
		t.Fatalf("sandbox contacts: %d %s", code, body)
	}
	var list deskera.ContactList
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	return list.Data
}

// spentAMinute sets the render time of the page's forms a minute back:
// the visitor read the page before sending (min_submit_time passes).
var spentAMinute = chromedp.Evaluate[chromedp.Void](`for (const f of document.querySelectorAll('input[name=_rendered_at]')) f.value = String(Date.now() - 60000)`)

// The page is driven with JavaScript (Runtime.evaluate) rather than
// chromedp's DOM queries: a query that starts while a document is being
// replaced can wait forever, which a loaded machine made happen. What is
// tested is unchanged: the browser's own form submission, navigation and
// CORS check.

// pollTrue waits until expr is true in the page, asking from Go every
// 20 ms, each ask bounded. An evaluation that fails because a navigation
// replaced the page ("Cannot find context with specified id") is asked
// again in the new document; when ctx ends, the error says what the page
// held (which found the stub race above).
func pollTrue(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		var last error
		for {
			actx, cancel := context.WithTimeout(ctx, 2*time.Second)
			ok, err := chromedp.Evaluate[bool](expr)(actx, t)
			cancel()
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			if err != nil {
				last = err
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w (last error: %v; page: %s)", expr, ctx.Err(), last, pageState(ctx))
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// setValues fills form fields by id.
func setValues(byID map[string]string) chromedp.Action[chromedp.Void] {
	js, _ := json.Marshal(byID)
	return chromedp.Evaluate[chromedp.Void](`for (const [id, v] of Object.entries(` + string(js) + `)) document.getElementById(id).value = v`)
}

// openPage navigates to origin and waits for the form holding sel.
func openPage(origin, sel string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(sel)
	return chromedp.Steps(chromedp.Navigate(origin+"/"),
		pollTrue(`document.readyState === 'complete' && document.querySelector(`+string(q)+`) !== null`))
}

// fillContact opens the page at origin and fills the plain form.
func fillContact(origin, email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		openPage(origin, `#contact input[name="cf-turnstile-response"]`),
		setValues(map[string]string{"name": "Jane Doe", "email": email, "company": "Acme", "budget": "15000"}),
		spentAMinute,
	)
}

// submitForm sends the plain form and reads where the browser landed and
// the title of the page there.
func submitForm(ctx context.Context) (landed, title string, err error) {
	// RunResponse waits for the navigation the click starts.
	if _, err = chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('send').click()`)); err != nil {
		return "", "", err
	}
	if err = chromedp.Do(ctx, pollTrue(`document.readyState === 'complete' && document.getElementById('title') !== null`)); err != nil {
		return "", "", err
	}
	if landed, err = chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`)); err != nil {
		return "", "", err
	}
	title, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('title').textContent.trim()`))
	return landed, title, err
}

// sendFetch fills and sends the fetch variant at origin and returns what
// the page showed.
func sendFetch(ctx context.Context, origin, email string) (string, error) {
	err := chromedp.Do(ctx,
		openPage(origin, `#contact-fetch input[name="cf-turnstile-response"]`),
		setValues(map[string]string{"fetch-email": email, "fetch-name": "Sam Fetch"}),
		spentAMinute,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('fetch-send').click()`),
	)
	if err != nil {
		return "", err
	}
	if err := chromedp.Do(ctx, pollTrue(`document.getElementById('fetch-result').textContent !== ''`)); err != nil {
		return "", err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('fetch-result').textContent`))
}

// wantContacts fails t unless the sandbox holds want contacts after what
// the test just did (after names it in the message).
func wantContacts(t *testing.T, base string, want int, after string) {
	t.Helper()
	if n := len(sandboxContacts(t, base)); n != want {
		t.Fatalf("%d contacts after %s, want %d", n, after, want)
	}
}

// submitTampered fills the contact form on the page at origin, runs js
// on the page (what a bot or a forger changes), submits it and returns
// the title of the page it lands on.
func submitTampered(ctx context.Context, t *testing.T, origin, email, js string) string {
	t.Helper()
	if err := chromedp.Do(ctx, fillContact(origin, email), chromedp.Evaluate[chromedp.Void](js)); err != nil {
		t.Fatalf("filling the form: %v (page: %s)", err, pageState(ctx))
	}
	_, title, err := submitForm(ctx)
	if err != nil {
		t.Fatalf("submitting the form: %v (page: %s)", err, pageState(ctx))
	}
	return title
}

// pageState is where the browser is and what its page says, for a
// failure's message.
func pageState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + ' ' + document.readyState + ' resources ' +
		JSON.stringify(performance.getEntriesByType('resource').map(e => [e.name, Math.round(e.duration)])) + ': ' +
		(document.body ? document.body.innerText.slice(0, 300) : '')`))
	if err != nil {
		return "unknown: " + err.Error()
	}
	return s
}

// TestStaticSiteInChromium drives a real headless Chromium through
// examples/static-site against leadhook on the sandbox.
func TestStaticSiteInChromium(t *testing.T) {
	exe := chromium.Find(t, "the real-browser check of examples/static-site")
	base, allowed, other := startBrowserRig(t)

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil { // starts the browser, without a deadline
		t.Fatalf("starting chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	t.Run("form post lands on the thank-you page and the contact has its label", func(t *testing.T) {
		if err := chromedp.Do(ctx, fillContact(allowed, "jane@acme.io")); err != nil {
			t.Fatal(err)
		}
		landed, title, err := submitForm(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if title != "Thank you" || !strings.HasPrefix(landed, base+"/hooks/contact-form") {
			t.Fatalf("landed on %q titled %q", landed, title)
		}
		cs := queuedContacts(t, base, 1)
		if len(cs) != 1 || cs[0].Email != "jane@acme.io" || cs[0].Label == nil || cs[0].Label.Name != "Hot lead" {
			t.Fatalf("sandbox contacts %+v, want jane@acme.io labelled Hot lead", cs)
		}
	})
	t.Run("honeypot filled: thank-you page, nothing created", func(t *testing.T) {
		title := submitTampered(ctx, t, allowed, "bot@acme.io", `document.querySelector('#contact input[name=_gotcha]').value = 'https://spam.example'`)
		if title != "Thank you" {
			t.Fatalf("honeypot answer titled %q, want the thank-you page", title)
		}
		wantContacts(t, base, 1, "the honeypot")
	})
	t.Run("fetch from an allowed origin gets JSON", func(t *testing.T) {
		result, err := sendFetch(ctx, allowed, "sam@fetch.example")
		if err != nil {
			t.Fatal(err)
		}
		// The source is queued: the JSON answer says so (202), and the
		// worker makes the contact.
		if !strings.HasPrefix(result, "Thank you! {") || !strings.Contains(result, `"status":"queued"`) {
			t.Fatalf("page showed %q, want the JSON answer", result)
		}
		if n := len(queuedContacts(t, base, 2)); n != 2 {
			t.Fatalf("%d contacts after the fetch, want 2", n)
		}
	})
	t.Run("fetch from another origin is blocked by the browser's CORS check", func(t *testing.T) {
		result, err := sendFetch(ctx, other, "eve@other.example")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("the page on %s showed %q", other, result)
		if !strings.HasPrefix(result, "blocked: ") {
			t.Fatalf("page showed %q, want the browser to block the request", result)
		}
		wantContacts(t, base, 2, "the foreign fetch")
	})
	t.Run("a captcha token siteverify refuses creates nothing", func(t *testing.T) {
		title := submitTampered(ctx, t, allowed, "forged@acme.io", `document.querySelector('#contact input[name="cf-turnstile-response"]').value = 'forged'`)
		if title != "Not sent" {
			t.Fatalf("refused captcha answer titled %q, want the error page", title)
		}
		wantContacts(t, base, 2, "the refused captcha")
	})
	_, metrics := get(t, base+"/metrics", nil)
	for _, want := range []string{
		`leadhook_browser_blocked_total{reason="honeypot",source="contact-form"} 1`,
		`leadhook_browser_blocked_total{reason="captcha",source="contact-form"} 1`,
		`leadhook_browser_blocked_total{reason="origin",source="contact-form"} 1`,
		// Only Jane's form and Sam's fetch were queued: the blocked ones
		// were never stored for a worker to act on later.
		`leadhook_events_total{outcome="queued",source="contact-form"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
