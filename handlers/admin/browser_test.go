package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leadhook/leadhook/internal/chromium"
)

func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium.Find(t, "the admin page browser test")),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// A bound, not a timing assertion: a wedged browser fails the test
	// instead of hanging it.
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

func TestAdminPageInABrowser(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	hot := e.lead("b-1", "hot@example.com", 90)
	e.lead("b-2", "cold@example.com", 10)
	e.queued("b-3", "later@example.com")

	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/admin/"), // not signed in: the sign-in form
		chromedp.WaitVisible(chromedp.ID("token")),
	)
	if err != nil {
		t.Fatal(err)
	}
	signIn, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("token"), "wrong-token"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("error")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("deliveries")),
	)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#deliveries tbody")))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("tr.delivery")).map(r => r.dataset.id)`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signIn, "sign in") {
		t.Fatalf("not the sign-in page: %q", signIn)
	}
	if len(ids) != 3 || ids[2] != hot { // newest first: the hot lead came first
		t.Fatalf("rows %v", ids)
	}
	for _, want := range []string{"ok", "retry", "90", "Hot lead", "Warm lead", "capture"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the list lacks %q: %s", want, rows)
		}
	}
	if strings.Contains(rows, "hot@example.com") {
		t.Error("the list shows an email unmasked")
	}

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`tr.delivery[data-id="`+hot+`"] a.open`)),
		chromedp.WaitVisible(chromedp.ID("id")),
	)
	if err != nil {
		t.Fatal(err)
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return v
	}
	outcome, why, made, page := text("#outcome"), text(".why"), text("table.made"), text("body")
	for _, c := range []struct{ in, text, want string }{
		{"outcome", outcome, "ok"},
		{"why", why, "Score 90"},
		{"why", why, "capture"},
		{"why", why, "Hot lead"},
		{"made calls", made, "contacts.create"},
		{"made calls", made, "200"},
		{"page", page, "h***@example.com"},
		{"page", page, "budget"}, // the score part
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s lacks %q: %s", c.in, c.want, c.text)
		}
	}
	if strings.Contains(page, "hot@example.com") {
		t.Error("the detail page shows an email unmasked")
	}
}
