package browser

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// WantsJSON reports whether r asks for JSON rather than a page: an Accept
// naming application/json, or a fetch/XHR (Sec-Fetch-Mode cors or
// same-origin). A navigation (a plain form post: Sec-Fetch-Mode navigate,
// or an Accept with text/html) gets a page; anything else (curl, a
// server) gets JSON as from any source.
func WantsJSON(r *http.Request) bool {
	accept := strings.ToLower(r.Header.Get("Accept"))
	if strings.Contains(accept, "application/json") {
		return true
	}
	switch r.Header.Get("Sec-Fetch-Mode") {
	case "cors", "same-origin", "no-cors":
		return true
	case "navigate":
		return false
	}
	return !strings.Contains(accept, "text/html")
}

// Page is what a person is answered with.
type Page struct {
	Status int
	// LeadID names the taken submission (for redirect's ?lead=).
	LeadID string
	// Reason is the blocked reason, when there is one.
	Reason string
	// Message says what went wrong, for the built-in error page.
	Message string
	// RetryAfter is the Retry-After header of the JSON answer, if any.
	RetryAfter string
}

// WritePage answers a person: a taken submission 303 to redirect (with
// ?lead= when lead_param) or the built-in thank-you page; anything else
// 303 to error_redirect?error=<reason> or the built-in error page with
// its status (and Retry-After).
func (g *Guard) WritePage(w http.ResponseWriter, r *http.Request, p Page) {
	w.Header().Set("Cache-Control", "no-store")
	ok := p.Status >= 200 && p.Status < 300
	if ok && g.cfg.Redirect != "" {
		target := g.cfg.Redirect
		if g.cfg.LeadParam && p.LeadID != "" {
			target = withQuery(target, "lead", p.LeadID)
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	if !ok && g.cfg.ErrorRedirect != "" {
		http.Redirect(w, r, withQuery(g.cfg.ErrorRedirect, "error", errorCode(p)), http.StatusSeeOther)
		return
	}
	data := pageData{Back: g.backLink(r)}
	if ok {
		data.Title, data.Text = "Thank you", "Your message has arrived. We will be in touch soon."
	} else {
		data.Title, data.Text = errorTitle(p.Status), p.Message
		if p.RetryAfter != "" {
			w.Header().Set("Retry-After", p.RetryAfter)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = pageTemplate.Execute(w, data)
}

// backLink is the page the form was on, when it is one we may link to.
func (g *Guard) backLink(r *http.Request) string {
	ref := r.Header.Get("Referer")
	o := refererOrigin(ref)
	if o == "" || (!g.origins.Empty() && !g.origins.Allowed(o)) {
		return ""
	}
	return ref
}

// errorCode is the ?error= value of an error redirect.
func errorCode(p Page) string {
	switch {
	case p.Reason == ReasonCaptchaUnavailable || p.Status >= 500 || p.Status == http.StatusRequestTimeout:
		return "unavailable"
	case p.Reason == ReasonHoneypot || p.Reason == ReasonTooFast || p.Reason == ReasonLowScore:
		return "spam"
	case p.Reason != "":
		return p.Reason
	case p.Status == http.StatusTooManyRequests:
		return ReasonRateLimited
	}
	return "invalid"
}

func errorTitle(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "Too many submissions"
	case status >= 500 || status == http.StatusRequestTimeout:
		return "Not saved: please send again"
	case status == http.StatusForbidden:
		return "Not sent"
	}
	return "Please check the form"
}

func withQuery(target, key, value string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

type pageData struct{ Title, Text, Back string }

// pageTemplate is the built-in page: small, no script, no external asset.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.5rem}</style>
</head><body>
<h1 id="title">{{.Title}}</h1>
<p id="text">{{.Text}}</p>
{{if .Back}}<p><a href="{{.Back}}">Back to the site</a></p>{{end}}
</body></html>
`))
