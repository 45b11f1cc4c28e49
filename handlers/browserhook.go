package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/handlers/browser"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
)

// OutcomeSpam counts browser submissions blocked as spam (events_total).
const OutcomeSpam = "spam"

// browserGuard builds src's guard; a reload keeps the guard (and so the
// rate-limit buckets) of a source whose browser block did not change.
func (s *Service) browserGuard(src rules.Source) (*browser.Guard, error) {
	if src.Browser == nil {
		return nil, nil
	}
	if st := s.state.Load(); st != nil {
		if old, ok := st.sources[src.Name]; ok && old.guard != nil && sameBrowser(old.Browser, src.Browser) {
			return old.guard, nil
		}
	}
	name := src.Name
	return browser.New(src, browser.Options{
		Now: s.wopts.Now, HTTPClient: s.captcha, Logger: s.log,
		OnBlock: func(reason string) {
			if s.metrics != nil {
				s.metrics.browserBlocked.WithLabelValues(name, reason).Inc()
			}
		},
	})
}

func sameBrowser(a, b *rules.Browser) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Line, y.Line = 0, 0
	return reflect.DeepEqual(x, y)
}

// BrowserGuard returns the guard of source name (nil: not a browser source).
func (s *Service) BrowserGuard(name string) *browser.Guard {
	if src, ok := s.state.Load().sources[name]; ok {
		return src.guard
	}
	return nil
}

// screenBrowser runs a browser source's checks on the parsed events; stop
// says the answer is final and nothing is to be acted on.
func (s *Service) screenBrowser(ctx context.Context, src *source, req *webhook.Request, parsed *webhook.Parsed) (Response, bool) {
	if src.guard == nil {
		return Response{}, false
	}
	for i := range parsed.Events {
		v := src.guard.Screen(ctx, &parsed.Events[i], req.RemoteIP)
		if v.Kind == browser.Pass {
			continue
		}
		if v.Kind == browser.Spam {
			s.countEvent(src.Name, OutcomeSpam)
		} else {
			s.countEvent(src.Name, "rejected")
		}
		return verdictResponse(src.guard, src.Name, v), true
	}
	return Response{}, false
}

// verdictResponse is the JSON answer to a blocked browser submission.
// Spam answered as success has the shape of a taken submission's answer
// (no actions), so a bot cannot tell the difference.
func verdictResponse(g *browser.Guard, source string, v browser.Verdict) Response {
	var r Response
	switch {
	case v.Kind == browser.Spam && g.SpamAsSuccess():
		r = jsonResponse(http.StatusOK, &EventResult{EventID: eventID("", "", 0, 1), Source: source, Outcome: OutcomeOK, Matched: []string{}, Actions: []ActionResult{}})
	case v.Kind == browser.Spam:
		r = errorResponse(http.StatusForbidden, "", "the submission was refused as spam")
	default:
		r = errorResponse(v.Status, v.Field, v.Message)
		if v.RetryAfter > 0 || v.Status == http.StatusServiceUnavailable || v.Status == http.StatusTooManyRequests {
			r = r.withRetryAfter(v.RetryAfter)
		}
	}
	r.reason = v.Reason
	return r
}

// admitBrowser runs the checks that need no body; ok false: answered.
func (h *hookHandler) admitBrowser(c *gin.Context, g *browser.Guard, clientIP string) bool {
	v := g.Admit(c.Request, clientIP)
	if v.Kind == browser.Pass {
		return true
	}
	h.cfg.Service.countEvent(c.Param("source"), "rejected")
	writeBrowser(c, g, verdictResponse(g, c.Param("source"), v))
	return false
}

// writeBrowser answers a request to a browser source on the Gin router.
func writeBrowser(c *gin.Context, g *browser.Guard, r Response) {
	r = browserAnswer(g, c.Request, r)
	page, ok := r.Body.([]byte)
	if !ok {
		writeResponse(c, r)
		return
	}
	for k, vs := range r.Header {
		c.Writer.Header()[k] = vs
	}
	c.Data(r.Status, r.Header.Get("Content-Type"), page)
}

// browserAnswer turns the JSON answer r to a browser source into what
// the request gets: CORS headers for an allowed origin, then r itself
// when JSON is asked for, else a redirect or a page (Body []byte).
func browserAnswer(g *browser.Guard, req *http.Request, r Response) Response {
	hdr := r.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	for k, vs := range g.CORSHeaders(req.Header) {
		hdr[k] = vs
	}
	if browser.WantsJSON(req) {
		r.Header = hdr
		return r
	}
	p := browser.Page{Status: r.Status, Reason: r.reason, RetryAfter: hdr.Get("Retry-After")}
	var body struct {
		EventID string `json:"event_id"`
		Error   string `json:"error"`
	}
	if raw, ok := r.Body.(json.RawMessage); ok {
		_ = json.Unmarshal(raw, &body)
	}
	p.LeadID, p.Message = body.EventID, body.Error
	if r.Status >= 500 || r.Status == http.StatusRequestTimeout {
		p.Message = "Your message was not saved: we could not take it just now. Go back and send it again in a minute."
	}
	hdr.Del("Retry-After") // the page sets it again when it applies
	w := &pageWriter{header: hdr}
	g.WritePage(w, req, p)
	return Response{Status: w.status, Header: w.header, Body: w.body.Bytes()}
}

// pageWriter collects what WritePage writes.
type pageWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *pageWriter) Header() http.Header { return w.header }

func (w *pageWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *pageWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

// preflight answers OPTIONS on a browser source.
func preflight(c *gin.Context, g *browser.Guard) {
	status, hdr, msg := g.Preflight(c.Request.Header)
	for k, vs := range hdr {
		for _, v := range vs {
			c.Writer.Header().Add(k, v)
		}
	}
	if msg != "" {
		c.JSON(status, ErrorBody{Error: msg})
		return
	}
	c.Status(status)
}
