package browser

import (
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/leadhook/leadhook/rules"
)

// Limits holds a source's token buckets: one per client IP (in an LRU of
// at most MaxClients, so memory stays bounded whatever the traffic) and
// one for the whole source.
type Limits struct {
	perIP  rules.Rate
	source *rate.Limiter // nil: no per-source limit

	mu  sync.Mutex // makes get-or-create of an IP's bucket atomic
	ips *lru.Cache[string, *rate.Limiter]
}

// NewLimits builds the buckets of cfg; zero rates are no limit.
func NewLimits(cfg rules.RateLimit) (*Limits, error) {
	l := &Limits{perIP: cfg.PerIP}
	if !cfg.PerSource.IsZero() {
		l.source = bucket(cfg.PerSource)
	}
	if !cfg.PerIP.IsZero() {
		size := cfg.MaxClients
		if size <= 0 {
			size = rules.DefaultMaxClients
		}
		c, err := lru.New[string, *rate.Limiter](size)
		if err != nil {
			return nil, fmt.Errorf("rate_limit: %w", err)
		}
		l.ips = c
	}
	return l, nil
}

func bucket(r rules.Rate) *rate.Limiter {
	return rate.NewLimiter(rate.Every(r.Per/time.Duration(r.Events)), r.Events)
}

// Take spends one token of ip's bucket and one of the source's at now.
// When either is empty nothing is spent and wait says when to retry.
func (l *Limits) Take(ip string, now time.Time) (wait time.Duration, ok bool) {
	var ipb *rate.Limiter
	if l.ips != nil {
		ipb = l.ipBucket(ip)
	}
	var held []*rate.Reservation
	for _, b := range []*rate.Limiter{ipb, l.source} {
		if b == nil {
			continue
		}
		r := b.ReserveN(now, 1)
		if d := r.DelayFrom(now); !r.OK() || d > 0 {
			r.CancelAt(now)
			for _, h := range held {
				h.CancelAt(now) // give back the token already taken
			}
			if !r.OK() {
				d = time.Minute
			}
			return d, false
		}
		held = append(held, r)
	}
	return 0, true
}

// ipBucket returns ip's bucket, creating it (and evicting the least
// recently used one when full).
func (l *Limits) ipBucket(ip string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.ips.Get(ip); ok {
		return b
	}
	b := bucket(l.perIP)
	l.ips.Add(ip, b)
	return b
}

// Tracked is the number of client IPs with a bucket.
func (l *Limits) Tracked() int {
	if l.ips == nil {
		return 0
	}
	return l.ips.Len()
}
