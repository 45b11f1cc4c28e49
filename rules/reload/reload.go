package reload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadhook/leadhook/rules"
)

// DefaultDebounce is how long the folder must be quiet after a change
// before the file is reloaded (editors and ConfigMap updates touch several
// files in a row).
const DefaultDebounce = 100 * time.Millisecond

// Reload results (the `result` label of leadhook_rules_reload_total).
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Option configures New.
type Option func(*Reloader) error

// setIf is the Option that applies set when ok and else fails with
// "reload: " + why: the one check-then-set that the options refusing an
// unusable value (nil, not positive) share.
func setIf(ok bool, why string, set func(*Reloader)) Option {
	return func(r *Reloader) error {
		if !ok {
			return errors.New("reload: " + why)
		}
		set(r)
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return setIf(l != nil, "nil logger", func(r *Reloader) { r.log = l })
}

// WithRegisterer registers the reload metrics on reg.
func WithRegisterer(reg prometheus.Registerer) Option {
	return setIf(reg != nil, "nil registerer", func(r *Reloader) { r.reg = reg })
}

// WithLoadOptions passes options to rules.Load (e.g. rules.WithLookupEnv).
func WithLoadOptions(opts ...rules.LoadOption) Option {
	return func(r *Reloader) error {
		r.loadOpts = append(r.loadOpts, opts...)
		return nil
	}
}

// WithInitial uses set (already loaded from the file) as the current
// rules instead of loading the file in New.
func WithInitial(set *rules.Set) Option {
	return setIf(set != nil, "nil initial set", func(r *Reloader) { r.initial = set })
}

// WithApply sets a function called with every newly compiled set before
// it becomes current (e.g. to rebuild the service's parsers); an error
// rejects the set and keeps the previous one.
func WithApply(fn func(ctx context.Context, set *rules.Set) error) Option {
	return func(r *Reloader) error {
		r.apply = fn
		return nil
	}
}

// WithSignals makes Run reload on every value received from ch instead of
// on SIGHUP (tests; or another trigger).
func WithSignals(ch <-chan os.Signal) Option {
	return func(r *Reloader) error {
		r.signals = ch
		return nil
	}
}

// WithDebounce sets the quiet period after a file change (DefaultDebounce).
func WithDebounce(d time.Duration) Option {
	return setIf(d > 0, fmt.Sprintf("debounce %v is not positive", d), func(r *Reloader) { r.debounce = d })
}

// WithClock sets the clock for timestamps (default time.Now).
func WithClock(now func() time.Time) Option {
	return setIf(now != nil, "nil clock", func(r *Reloader) { r.now = now })
}

// Reloader holds the current rules set of one file.
type Reloader struct {
	path     string
	log      *slog.Logger
	reg      prometheus.Registerer
	loadOpts []rules.LoadOption
	initial  *rules.Set
	apply    func(context.Context, *rules.Set) error
	signals  <-chan os.Signal
	debounce time.Duration
	now      func() time.Time

	current atomic.Pointer[rules.Set]
	mu      sync.Mutex // serialises reloads and guards status and lastHash
	status  Status
	// lastHash is the content last tried, so an unchanged file is not
	// reloaded on every unrelated change in the folder.
	lastHash string

	total       *prometheus.CounterVec
	lastSuccess prometheus.Gauge
}

// Status describes the rules in force and the last reload attempt.
type Status struct {
	File string `json:"file"`
	// SHA256 is a prefix of the loaded content's hash (to compare replicas).
	SHA256   string    `json:"sha256"`
	Rules    int       `json:"rules"`
	Sources  int       `json:"sources"`
	LoadedAt time.Time `json:"loaded_at"`
	// Successes and Failures count reloads since start (not the first load).
	Successes int `json:"reloads"`
	Failures  int `json:"reload_failures"`
	// LastError lists the problems of the last attempt when it failed
	// (the previous rules stay in force); empty once a reload succeeds.
	LastError   []string  `json:"last_error,omitempty"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
}

// New loads the rules file at path (unless WithInitial gives the set) and
// returns a Reloader holding it. Call Run to follow changes.
func New(path string, opts ...Option) (*Reloader, error) {
	if path == "" {
		return nil, errors.New("reload: empty rules file path")
	}
	r := &Reloader{path: path, log: slog.New(slog.DiscardHandler), debounce: DefaultDebounce, now: time.Now}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	if err := r.registerMetrics(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reload: read rules file: %w", err)
	}
	set := r.initial
	if set == nil {
		if set, err = rules.Load(path, data, r.loadOpts...); err != nil {
			return nil, err
		}
	}
	r.install(set, hash(data))
	return r, nil
}

func (r *Reloader) registerMetrics() error {
	r.total = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leadhook_rules_reload_total", Help: "Rules file reloads by result (success, failure).",
	}, []string{"result"})
	r.lastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "leadhook_rules_last_reload_success_timestamp_seconds",
		Help: "Unix time the rules in force were loaded.",
	})
	r.total.WithLabelValues(ResultSuccess)
	r.total.WithLabelValues(ResultFailure)
	if r.reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{r.total, r.lastSuccess} {
		if err := r.reg.Register(c); err != nil {
			return fmt.Errorf("reload: register metrics: %w", err)
		}
	}
	return nil
}

// install makes set current; the caller holds mu or is New.
func (r *Reloader) install(set *rules.Set, h string) {
	now := r.now()
	r.current.Store(set)
	r.lastHash = h
	r.status.File, r.status.SHA256 = r.path, h
	r.status.Rules, r.status.Sources = len(set.Rules()), len(set.Sources())
	r.status.LoadedAt, r.status.LastAttempt, r.status.LastError = now, now, nil
	r.lastSuccess.Set(float64(now.UnixNano()) / 1e9)
}

// Current returns the rules set in force. Read it once per event.
func (r *Reloader) Current() *rules.Set { return r.current.Load() }

// Status returns a copy of the reload status.
func (r *Reloader) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status
	st.LastError = append([]string(nil), st.LastError...)
	return st
}

// Reload loads the file now and swaps it in when it is valid; on error
// the previous rules stay in force and the error lists every problem.
func (r *Reloader) Reload(ctx context.Context) error {
	_, err := r.reload(ctx, true)
	return err
}

// reload loads the file; unless force, an unchanged file is skipped
// (changed reports whether a load was attempted).
func (r *Reloader) reload(ctx context.Context, force bool) (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, err := os.ReadFile(r.path)
	if err != nil {
		if !force && errors.Is(err, os.ErrNotExist) {
			return false, nil // mid-swap: the file will be back
		}
		return true, r.fail(fmt.Errorf("read rules file: %w", err))
	}
	h := hash(data)
	if !force && h == r.lastHash {
		return false, nil
	}
	r.lastHash = h
	set, err := rules.Load(r.path, data, r.loadOpts...)
	if err == nil && r.apply != nil {
		err = r.apply(ctx, set)
	}
	if err != nil {
		return true, r.fail(err)
	}
	r.install(set, h)
	r.status.Successes++
	r.total.WithLabelValues(ResultSuccess).Inc()
	r.log.Info("rules reloaded", "file", r.path, "rules", r.status.Rules, "sources", r.status.Sources, "sha256", h)
	for _, w := range set.Warnings() {
		r.log.Warn("rules warning", "problem", w.Error())
	}
	return true, nil
}

// fail records a failed attempt and logs every problem; the caller holds mu.
func (r *Reloader) fail(err error) error {
	r.status.Failures++
	r.status.LastAttempt = r.now()
	r.total.WithLabelValues(ResultFailure).Inc()
	var problems []string
	var le *rules.LoadError
	if errors.As(err, &le) {
		for _, p := range le.Problems {
			problems = append(problems, p.Error())
		}
	} else {
		problems = []string{err.Error()}
	}
	r.status.LastError = problems
	r.log.Error("rules reload failed; the previous rules stay in force", "file", r.path, "problems", len(problems))
	for _, p := range problems {
		r.log.Error("rules problem", "problem", p)
	}
	return fmt.Errorf("reload %s: %w", r.path, err)
}

// hash is a short hex prefix of the content's SHA-256.
func hash(data []byte) string {
	sum := sha256.Sum256(bytes.TrimSpace(data))
	return hex.EncodeToString(sum[:6])
}
