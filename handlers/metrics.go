package handlers

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leadhook/leadhook/handlers/browser"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// Metrics holds leadhook's Prometheus collectors on their own registry.
// Every label value is bounded: route templates (never raw paths),
// source, rule and action names from the rules file, Deskera operation
// names, status codes and a fixed set of outcomes.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	httpInFlight    prometheus.Gauge
	events          *prometheus.CounterVec
	rulesMatched    *prometheus.CounterVec
	rulesErrored    *prometheus.CounterVec
	actions         *prometheus.CounterVec
	deskeraRequests *prometheus.CounterVec
	deskeraDuration *prometheus.HistogramVec
	dedupeHits      *prometheus.CounterVec
	authFailures    *prometheus.CounterVec
	failures        *prometheus.CounterVec
	browserBlocked  *prometheus.CounterVec
	// deliveryDuration times Service.Handle per known source (HTTP and Lambda).
	deliveryDuration *prometheus.HistogramVec
	// hot caches the children the request path uses (see children).
	hot hotChildren
}

// NewMetrics registers the collectors (plus Go and process collectors)
// on a fresh registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{Registry: reg}
	m.httpRequests = counter(f, "http_requests_total", "HTTP requests by route template, method and status code.", "route", "method", "code")
	m.httpDuration = histogram(f, "http_request_duration_seconds", "HTTP request latency by route template and method.", "route", "method")
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "leadhook_http_requests_in_flight", Help: "HTTP requests being served."})
	f(m.httpInFlight)
	m.events = counter(f, "events_total", "Inbound events by source and outcome.", "source", "outcome")
	m.rulesMatched = counter(f, "rules_matched_total", "Rule matches by rule.", "rule")
	m.rulesErrored = counter(f, "rules_errored_total", "Rule evaluation errors by rule.", "rule")
	m.actions = counter(f, "actions_total", "Executed actions by type and outcome.", "type", "outcome")
	m.deskeraRequests = counter(f, "deskera_requests_total", "Deskera API calls by operation and status code (0 = transport error).", "op", "code")
	m.deskeraDuration = histogram(f, "deskera_request_duration_seconds", "Deskera API call latency by operation.", "op")
	m.dedupeHits = counter(f, "dedupe_hits_total", "Deliveries answered from the idempotency store or an in-flight duplicate, by source.", "source")
	m.authFailures = counter(f, "auth_failures_total", "Rejected authentication by source.", "source")
	m.failures = counter(f, "failures_total", "Events not done, by cause (only cause=delivery is the sender's fault and final).", "cause")
	for _, c := range engine.Causes {
		m.failures.WithLabelValues(string(c))
	}
	m.browserBlocked = counter(f, "browser_blocked_total", "Browser submissions and preflights blocked, by source and reason (honeypot, too_fast, captcha, low_score, captcha_unavailable, origin, rate_limited, disposable).", "source", "reason")
	m.deliveryDuration = histogram(f, "delivery_duration_seconds", "Time to answer one delivery to a known source (HTTP or Lambda), by source.", "source")
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.cacheChildren()
	return m
}

func counter(reg func(prometheus.Collector), name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadhook_" + name, Help: help}, labels)
	reg(c)
	return c
}

func histogram(reg func(prometheus.Collector), name, help string, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "leadhook_" + name, Help: help, Buckets: prometheus.DefBuckets,
	}, labels)
	reg(h)
	return h
}

// SetBuildInfo exports leadhook_build_info{version,revision,goversion} 1:
// version as stamped at build time (-X main.version), the VCS revision Go
// stamped into the binary ("unknown" without one; "-dirty" when modified).
func (m *Metrics) SetBuildInfo(version string) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leadhook_build_info", Help: "Always 1; the labels say which build is running.",
	}, []string{"version", "revision", "goversion"})
	if m.Registry.Register(g) != nil {
		return // already set
	}
	g.WithLabelValues(version, buildRevision(debug.ReadBuildInfo), runtime.Version()).Set(1)
}

// buildRevision is the vcs.revision build setting ("unknown" when absent).
func buildRevision(read func() (*debug.BuildInfo, bool)) string {
	bi, ok := read()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && rev != "unknown" {
		rev += "-dirty"
	}
	return rev
}

// ObserveDelivery times one delivery to a known source.
func (m *Metrics) ObserveDelivery(source string, d time.Duration) {
	m.hot.delivery.get(source).Observe(d.Seconds())
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Middleware counts and times every request by route template
// ("unmatched" when no route matched).
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		m.httpInFlight.Inc()
		defer m.httpInFlight.Dec()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method := boundedMethod(c.Request.Method)
		m.hot.httpRequests.get(routeKey{route, method, c.Writer.Status()}).Inc()
		m.hot.httpDuration.get(pair{route, method}).Observe(time.Since(start).Seconds())
	}
}

// ObserveDeskera records one Deskera call; it matches the deskera
// client's WithObserver signature.
func (m *Metrics) ObserveDeskera(op string, status int, d time.Duration) {
	m.hot.deskeraRequests.get(opStatus{op, status}).Inc()
	m.hot.deskeraDuration.get(op).Observe(d.Seconds())
}

// boundedMethod keeps the method label to the standard set.
func boundedMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// BrowserBlocked is the counter of browser submissions of source blocked
// for reason (leadhook_browser_blocked_total).
func (m *Metrics) BrowserBlocked(source, reason string) prometheus.Counter {
	return m.browserBlocked.WithLabelValues(source, reason)
}

// knowRules pre-creates the per-rule counters at 0, so that
// rules_errored_total is exported (and alertable) before the first error.
func (m *Metrics) knowRules(set *rules.Set) {
	for _, r := range set.Rules() {
		m.rulesErrored.WithLabelValues(r.Name)
	}
	for _, src := range set.Sources() {
		if src.Browser != nil {
			for _, reason := range browser.Reasons() {
				m.browserBlocked.WithLabelValues(src.Name, reason)
			}
		}
	}
}
