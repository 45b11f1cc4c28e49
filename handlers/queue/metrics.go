package queue

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the queue's Prometheus collectors (leadhook_queue_*):
// register them with Collectors.
type Metrics struct {
	q        *Queue
	attempts *prometheus.CounterVec
	waits    prometheus.Counter
	depth    *prometheus.Desc
	oldest   *prometheus.Desc
	dead     *prometheus.Desc
	paused   *prometheus.Desc
	pauses   *prometheus.Desc
	up       *prometheus.Desc
}

func newMetrics(q *Queue) *Metrics {
	m := &Metrics{
		q: q,
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadhook_queue_attempts_total",
			Help: "Attempts at queued deliveries by outcome: ok, refused (Deskera rejected the data; done), retry, crm_down (Deskera down: shared pause), dead (dead-lettered).",
		}, []string{"outcome"}),
		waits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leadhook_queue_paused_waits_total",
			Help: "Queued deliveries put back to wait because CRM intake was paused (Deskera down or 429).",
		}),
		depth:  prometheus.NewDesc("leadhook_queue_depth", "Queued deliveries not done yet (waiting, retrying or running).", nil, nil),
		oldest: prometheus.NewDesc("leadhook_queue_oldest_age_seconds", "Age of the oldest queued delivery not done yet (0 when none).", nil, nil),
		dead:   prometheus.NewDesc("leadhook_queue_dead_letters", "Dead-lettered deliveries (leadhook deliveries retry-dead queues them again).", nil, nil),
		paused: prometheus.NewDesc("leadhook_queue_crm_paused", "1 while CRM intake is paused because Deskera is down or answered 429.", nil, nil),
		pauses: prometheus.NewDesc("leadhook_queue_crm_pauses_total", "Times CRM intake was paused.", nil, nil),
		up:     prometheus.NewDesc("leadhook_queue_store_up", "1 when the queue's store answered the last scrape.", nil, nil),
	}
	for _, o := range []string{"ok", "refused", "retry", "crm_down", "dead"} {
		m.attempts.WithLabelValues(o)
	}
	return m
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.attempts.Describe(ch)
	m.waits.Describe(ch)
	for _, d := range []*prometheus.Desc{m.depth, m.oldest, m.dead, m.paused, m.pauses, m.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the counts are read from the
// store at scrape time (bounded to 2s).
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.attempts.Collect(ch)
	m.waits.Collect(ch)
	paused, pauses := m.q.gate.Paused()
	ch <- prometheus.MustNewConstMetric(m.paused, prometheus.GaugeValue, b2f(paused))
	ch <- prometheus.MustNewConstMetric(m.pauses, prometheus.CounterValue, float64(pauses))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := m.q.Stats(ctx)
	ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, b2f(err == nil))
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(m.depth, prometheus.GaugeValue, float64(s.Queued))
	ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, s.OldestQueued.Seconds())
	ch <- prometheus.MustNewConstMetric(m.dead, prometheus.GaugeValue, float64(s.Dead))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
