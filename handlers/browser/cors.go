package browser

import (
	"net/http"
	"slices"
	"strings"
)

// allowedRequestHeaders are the request headers a page may send with
// fetch; anything else in a preflight is refused.
var allowedRequestHeaders = []string{"accept", "content-type", "idempotency-key", "x-requested-with"}

// preflightMaxAge is how long a browser may cache a preflight (seconds).
const preflightMaxAge = "600"

// Preflight answers a CORS preflight (OPTIONS): 204 with the CORS headers
// for an allowed origin asking to POST with allowed headers, else 403
// without them (the browser then blocks the request). The message says
// why, for the developer looking at the network tab.
func (g *Guard) Preflight(h http.Header) (status int, hdr http.Header, msg string) {
	hdr = http.Header{}
	hdr.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	origin := h.Get("Origin")
	method := h.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		hdr.Set("Allow", "POST, OPTIONS")
		return http.StatusNoContent, hdr, ""
	}
	if g.origins.Empty() || !g.origins.Allowed(origin) {
		g.block(ReasonOrigin)
		return http.StatusForbidden, hdr, "origin not allowed"
	}
	if method != http.MethodPost {
		return http.StatusForbidden, hdr, "only POST is allowed"
	}
	for _, name := range strings.Split(h.Get("Access-Control-Request-Headers"), ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "" && !slices.Contains(allowedRequestHeaders, name) {
			return http.StatusForbidden, hdr, "request header " + name + " is not allowed"
		}
	}
	setAllowOrigin(hdr, origin)
	hdr.Set("Access-Control-Allow-Methods", "POST")
	hdr.Set("Access-Control-Allow-Headers", strings.Join(allowedRequestHeaders, ", "))
	hdr.Set("Access-Control-Max-Age", preflightMaxAge)
	return http.StatusNoContent, hdr, ""
}

// CORSHeaders are the headers an answer to a request from origin gets:
// Access-Control-Allow-Origin with that very origin when it is allowed
// (never "*", and never Access-Control-Allow-Credentials), and always
// Vary: Origin so caches keep answers per origin.
func (g *Guard) CORSHeaders(reqHeader http.Header) http.Header {
	hdr := http.Header{}
	if g.origins.Empty() {
		return hdr
	}
	hdr.Set("Vary", "Origin")
	if origin := reqHeader.Get("Origin"); origin != "" && g.origins.Allowed(origin) {
		setAllowOrigin(hdr, origin)
		hdr.Set("Access-Control-Expose-Headers", "Retry-After")
	}
	return hdr
}

func setAllowOrigin(hdr http.Header, origin string) {
	hdr.Set("Access-Control-Allow-Origin", origin)
}
