package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/internal/obs"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
	"github.com/leadhook/leadhook/rules/reload"
)

const serveDoc = `Serve HTTP: POST /hooks/{source} runs the rules on each delivery; /healthz, /readyz and /metrics.
Without Deskera credentials it serves on an in-memory sandbox Deskera under /sandbox/ and says so
loudly at start-up (every lead is lost at exit). Exit 2 on a configuration error, 1 on a runtime
failure, 0 after a signal-driven shutdown.
` + tracingDoc

// runServe is the serve command: configuration errors exit 2 with one
// message, runtime failures exit 1, a signal-driven shutdown exits 0, or
// 1 when requests were still in flight at the end of the shutdown
// timeout (they were cut off; their senders retry).
//
// SIGHUP (reload the rules) is caught before anything else: Go's default
// for it is to kill the process, and start-up (loading rules, preparing
// labels against Deskera) takes a while. A SIGHUP received meanwhile is
// kept and acted on once serving.
func runServe(ctx context.Context, env *Env, args []string) int {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg, code := loadConfig("serve", serveDoc, args, env)
	if code >= 0 {
		return code
	}
	log, logs := serveLogger(env.Stdout, cfg)
	defer logs.Close()
	// fail reports a start-up error on stderr after the lines logged
	// before it, so that a log collector merging both streams keeps
	// their order.
	fail := func(exit int, err error) int {
		_ = logs.Flush()
		fmt.Fprintf(env.Stderr, "leadhook: %v\n", err)
		return exit
	}
	gogc, from := tuneGC(env)
	log.Debug("garbage collector", "gogc", gogc, "from", from)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	shutdownTracing, err := startTracing(ctx, env, cfg, log)
	if err != nil {
		return fail(2, err)
	}
	defer shutdownTracing()
	app, err := newAppWith(ctx, cfg, log, true, reload.WithSignals(hup))
	if err != nil {
		return fail(2, err)
	}
	defer app.closeQueue()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fail(1, err)
	}
	// Before the listening line, so that it is logged when serve announces.
	if _, err := handlers.StartDebug(ctx, env.Getenv(handlers.EnvDebugAddr), log); err != nil {
		ln.Close()
		return fail(1, err)
	}
	app.announce(ln.Addr().String(), env.Version)
	_ = logs.Flush() // the start-up lines at once: scripts wait for "leadhook listening"
	defer app.close()
	if app.history != nil {
		pruneTicker := time.NewTicker(history.DefaultPruneEvery)
		defer pruneTicker.Stop()
		go app.history.RunPruner(ctx, pruneTicker.C, log)
	}
	labelTicker := time.NewTicker(cfg.LabelRefresh)
	defer labelTicker.Stop()
	go app.engine.RefreshLabelsOn(ctx, labelTicker.C)
	go func() {
		if err := app.reloader.Run(ctx); err != nil {
			log.Error("rules hot reload is off", "err", err.Error())
		}
	}()
	if err := app.startQueue(ctx); err != nil {
		if ctx.Err() != nil {
			// SIGTERM (or the caller) ended serve while the workers
			// started: a clean stop, nothing was accepted yet.
			log.Info("stopped during start-up")
			return 0
		}
		log.Error("queued deliveries' workers did not start", "err", err.Error())
		return 1
	}
	defer app.stopQueue()
	srv := handlers.NewHTTPServer(cfg.Addr, app.router, log)
	if err := handlers.Serve(ctx, srv, ln, cfg.ShutdownTimeout, log); err != nil {
		if errors.Is(err, handlers.ErrShutdownTimeout) {
			log.Error("requests still in flight at the end of the shutdown timeout were cut off; their senders retry",
				"timeout", cfg.ShutdownTimeout.String())
			return 1
		}
		log.Error("server failed", "err", err.Error())
		return 1
	}
	return 0
}

// app is the wired service.
type app struct {
	cfg     *Config
	log     *slog.Logger
	set     *rules.Set
	svc     *handlers.Service
	engine  *engine.Engine // the lambda command's scheduled sweep uses it
	router  *gin.Engine
	sandbox *deskeratest.Fake
	rdb     *redis.Client // see redis
	// reloader follows the rules file (serve runs it; see reload.go).
	reloader *reload.Reloader
	// history is the delivery history (nil: off; see history.go);
	// historyTmp the sandbox's temporary directory for it.
	history    *history.Store
	historyTmp string
	// queue keeps the queued deliveries (nil when no source is queued,
	// and in Lambda); see queue.go.
	queue *queueStore
}

// close releases what newApp opened.
func (a *app) close() {
	if a.history != nil {
		a.history.Close()
	}
	if a.historyTmp != "" {
		os.RemoveAll(a.historyTmp)
	}
}

// newApp loads the rules and wires Deskera, the engine, the service and
// the router; reloadOpts go to the rules reloader (serve passes the
// SIGHUP channel it set up first). Every error here is a configuration
// problem.
func newApp(ctx context.Context, cfg *Config, log *slog.Logger, reloadOpts ...reload.Option) (*app, error) {
	return newAppWith(ctx, cfg, log, false, reloadOpts...)
}

// newAppWith is newApp; withQueue opens the delivery store for the
// queued sources (serve does; Lambda has no disk to keep it on).
func newAppWith(ctx context.Context, cfg *Config, log *slog.Logger, withQueue bool, reloadOpts ...reload.Option) (*app, error) {
	set, err := rules.LoadFile(cfg.Rules, cfg.loadOptions()...)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, set: set}
	metrics := handlers.NewMetrics()
	metrics.SetBuildInfo(cfg.Version)
	client, err := a.newDeskera(metrics)
	if err != nil {
		return nil, err
	}
	// A create whose answer was lost may still land for about the client's
	// timeout: its retries wait that long before creating again.
	engineOpts := []engine.EngineOption{engine.WithLogger(log), engine.WithSettleWindow(cfg.DeskeraTimeout)}
	if cfg.TracerProvider != nil {
		engineOpts = append(engineOpts, engine.WithTracerProvider(cfg.TracerProvider))
	}
	if cfg.RedisURL != "" {
		// Replicas share the per-contact lock and the settle window, so
		// that none creates a contact another one (or this one before a
		// restart) may have created.
		cs, err := idempotency.NewContactState(a.redis())
		if err != nil {
			return nil, err
		}
		engineOpts = append(engineOpts, engine.WithContactCoordinator(cs))
	}
	eng, err := engine.NewEngine(client, engineOpts...)
	if err != nil {
		return nil, err
	}
	svcCfg := handlers.Config{
		Rules: set, Engine: eng, AdminToken: cfg.AdminToken, Metrics: metrics, Logger: log,
		Store: a.dedupeStore(ctx), DedupeTTL: cfg.DedupeTTL, Secrets: cfg.secrets(),
		Webhook: webhook.Options{MaxMemory: cfg.MaxBody}, TracerProvider: cfg.TracerProvider,
	}
	if withQueue { // first: the history shares its store
		if a.queue, err = a.openQueue(ctx, metrics); err != nil {
			return nil, err
		}
		svcCfg.Queue = a.queue
	} else if cfg.queue != nil {
		svcCfg.Queue = cfg.queue
	}
	if err := a.withHistory(ctx, &svcCfg); err != nil {
		a.closeQueue()
		return nil, err
	}
	a.svc, err = handlers.NewService(svcCfg)
	if err != nil {
		a.closeQueue()
		a.close()
		return nil, err
	}
	if a.queue != nil {
		a.queue.SetProcessor(a.svc)
	}
	a.engine = eng
	if a.reloader, err = a.newReloader(set, eng, metrics, reloadOpts...); err != nil {
		return nil, err
	}
	prepared := a.prepare(ctx, eng)
	sc := handlers.ServerConfig{
		Service: a.svc, Metrics: metrics, Logger: log, MaxBody: cfg.MaxBody,
		MaxInFlight: cfg.MaxInFlight, BodyTimeout: cfg.BodyTimeout, TrustedProxies: cfg.TrustedProxies,
		Ready: a.readiness(client, prepared), ReadyDetail: a.rulesStatus,
	}
	if a.sandbox != nil {
		sc.Sandbox = a.sandbox
	}
	if sc.Admin, err = a.adminHandler(); err != nil {
		a.close()
		return nil, err
	}
	a.router, err = handlers.NewRouter(sc)
	return a, err
}

// dedupeStore is the shared Redis store when LEADHOOK_REDIS_URL is set
// (validated by the config), else the in-memory one. An unreachable Redis
// does not stop start-up: deliveries get 503 until it answers.
func (a *app) dedupeStore(ctx context.Context) idempotency.Store {
	if a.cfg.RedisURL == "" {
		return idempotency.NewMemory(a.cfg.DedupeSize, idempotency.WithMaxBytes(a.cfg.DedupeBytes))
	}
	opt, _ := redis.ParseURL(a.cfg.RedisURL)
	st, _ := idempotency.NewRedis(a.redis())
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := st.Ping(pctx); err != nil {
		a.log.Error("redis idempotency store unreachable; deliveries with an id get 503 until it answers", "err", err.Error())
	} else {
		a.log.Info("idempotency store: redis (shared with it: the per-contact locks and the settle window of lost creates)", "addr", opt.Addr)
	}
	return st
}

// redis is the client of LEADHOOK_REDIS_URL (validated by the config)
// that the idempotency store and the shared contact state use.
func (a *app) redis() *redis.Client {
	if a.rdb == nil {
		opt, _ := redis.ParseURL(a.cfg.RedisURL)
		a.rdb = redis.NewClient(opt)
	}
	return a.rdb
}

// secrets are the credentials redacted from panic messages.
func (c *Config) secrets() []string {
	out := []string{c.AccessToken, c.ClientSecret, c.RefreshToken, c.RedisURL, c.StoreURL}
	if opt, err := redis.ParseURL(c.RedisURL); err == nil {
		out = append(out, opt.Password)
	}
	return out
}

// newDeskera builds the Deskera client: the real API with credentials,
// else the in-process sandbox fake.
func (a *app) newDeskera(m *handlers.Metrics) (*deskera.Client, error) {
	cfg := a.cfg
	opts := []deskera.Option{
		deskera.WithTimeout(cfg.DeskeraTimeout), deskera.WithLogger(a.log), deskera.WithObserver(m.ObserveDeskera),
	}
	if cfg.TracerProvider != nil {
		opts = append(opts, deskera.WithTracerProvider(cfg.TracerProvider))
	}
	if cfg.RateLimit != nil {
		opts = append(opts, deskera.WithRateLimit(*cfg.RateLimit, max(1, int(*cfg.RateLimit))))
	}
	if cfg.Sandbox() {
		a.sandbox = deskeratest.New()
		opts = append(opts,
			deskera.WithBaseURL(sandboxURL(cfg.Addr)),
			deskera.WithAccessToken(deskeratest.DefaultToken),
			deskera.WithHTTPClient(&http.Client{Transport: stripPrefix{"/sandbox", a.sandbox.Transport()}}))
		return deskera.NewClient(opts...)
	}
	opts = append(opts, deskera.WithBaseURL(cfg.DeskeraBaseURL))
	if cfg.AccessToken != "" {
		opts = append(opts, deskera.WithAccessToken(cfg.AccessToken))
	}
	if cfg.ClientID != "" {
		opts = append(opts, deskera.WithOAuth(cfg.ClientID, cfg.ClientSecret, cfg.RefreshToken))
		if cfg.OAuthURL != "" {
			opts = append(opts, deskera.WithOAuthURL(cfg.OAuthURL))
		}
		if store := a.tokenStore(); store != nil {
			opts = append(opts, deskera.WithTokenStore(store))
		}
	}
	c, err := deskera.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("deskera: %w", err)
	}
	return c, nil
}

// tokenStore keeps a rotated refresh token across restarts: in the
// shared Redis when configured (replicas share it), else in a file under
// LEADHOOK_DATA_DIR; nil (memory only, with a warning) when neither is set.
func (a *app) tokenStore() deskera.TokenStore {
	switch {
	case a.cfg.RedisURL != "":
		opt, _ := redis.ParseURL(a.cfg.RedisURL) // validated by the config
		return redisTokenStore{rdb: redis.NewClient(opt), key: "leadhook:deskera:refresh-token"}
	case a.cfg.DataDir != "":
		return deskera.FileTokenStore{Dir: a.cfg.DataDir}
	}
	a.log.Warn("a rotated Deskera refresh token is kept in memory only and lost at restart; set LEADHOOK_DATA_DIR (or LEADHOOK_REDIS_URL)")
	return nil
}

// redisTokenStore keeps the refresh token under one Redis key.
type redisTokenStore struct {
	rdb *redis.Client
	key string
}

func (s redisTokenStore) Load(ctx context.Context) (deskera.StoredToken, error) {
	var t deskera.StoredToken
	b, err := s.rdb.Get(ctx, s.key).Bytes()
	if errors.Is(err, redis.Nil) {
		return t, nil
	}
	if err != nil {
		return t, fmt.Errorf("redis token store: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return deskera.StoredToken{}, fmt.Errorf("redis token store: key %q is not valid json: %w", s.key, err)
	}
	return t, nil
}

func (s redisTokenStore) Save(ctx context.Context, t deskera.StoredToken) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.key, b, 0).Err(); err != nil {
		return fmt.Errorf("redis token store: %w", err)
	}
	return nil
}

// stripPrefix removes the sandbox mount point from request paths before
// the in-process fake sees them, as http.StripPrefix does for /sandbox/.
type stripPrefix struct {
	prefix string
	next   http.RoundTripper
}

func (s stripPrefix) RoundTrip(r *http.Request) (*http.Response, error) {
	// As http.StripPrefix does it: a copy of the request and of its URL,
	// sharing the header, which neither side changes (r.Clone copied the
	// header too, on every call of the sandbox).
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path = strings.TrimPrefix(r.URL.Path, s.prefix)
	r2.URL.RawPath = ""
	return s.next.RoundTrip(r2)
}

// sandboxURL is where the sandbox is reachable, for display and as the
// client's base URL (the in-process transport never dials it).
func sandboxURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/sandbox"
}

// prepare resolves the rules' labels. It tries once now and, when
// Deskera is not reachable, keeps trying in the background; the returned
// flag tells /readyz when it has succeeded.
func (a *app) prepare(ctx context.Context, eng *engine.Engine) *atomic.Bool {
	done := &atomic.Bool{}
	try := func() error {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return eng.Prepare(pctx, a.set)
	}
	if err := try(); err == nil {
		done.Store(true)
		return done
	} else {
		a.log.Error("preparing labels failed; retrying in the background", "err", err.Error())
	}
	go func() {
		for delay := time.Second; ctx.Err() == nil; delay = min(2*delay, time.Minute) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			if err := try(); err != nil {
				a.log.Error("preparing labels failed", "err", err.Error())
				continue
			}
			done.Store(true)
			a.log.Info("labels prepared")
			return
		}
	}()
	return done
}

// hasQueued reports whether a source of the rules file is queued.
func hasQueued(set *rules.Set) bool {
	for _, s := range set.Sources() {
		if s.Delivery == rules.DeliveryQueued {
			return true
		}
	}
	return false
}

// readiness: labels prepared, and (outside the sandbox) Deskera answers
// with our token; a good check is cached for 30s.
func (a *app) readiness(client *deskera.Client, prepared *atomic.Bool) func(context.Context) error {
	var okUntil atomic.Int64
	return func(ctx context.Context) error {
		if !prepared.Load() {
			msg := "labels not prepared yet (is Deskera reachable?)"
			if a.queue != nil {
				msg += "; queued deliveries are accepted and wait for Deskera"
			}
			return errors.New(msg)
		}
		if a.queue != nil {
			if _, err := a.queue.Stats(ctx); err != nil {
				return fmt.Errorf("delivery store: %w", err)
			}
		}
		if a.sandbox != nil || time.Now().UnixNano() < okUntil.Load() {
			return nil
		}
		if _, err := client.ListLabels(ctx); err != nil {
			return fmt.Errorf("deskera: %w", err)
		}
		okUntil.Store(time.Now().Add(30 * time.Second).UnixNano())
		return nil
	}
}

// announce logs the start-up lines: where we listen, the sandbox (loudly)
// and every source that accepts unauthenticated requests.
func (a *app) announce(addr, version string) {
	a.log.Info("leadhook listening", "addr", addr, "version", version, "rules", a.cfg.Rules,
		"sources", len(a.set.Sources()), "dry_run", a.cfg.AdminToken != "")
	if a.sandbox != nil {
		a.log.Warn("SANDBOX MODE: no Deskera credentials set, so contacts go to an in-memory fake Deskera and are lost at exit; "+
			"set DESKERA_ACCESS_TOKEN (or DESKERA_CLIENT_ID, DESKERA_CLIENT_SECRET and DESKERA_REFRESH_TOKEN) to use a real account",
			"sandbox_url", sandboxURL(addr)+"/v1/crm/contacts", "sandbox_header", "x-access-token: "+deskeratest.DefaultToken)
	} else {
		a.log.Info("deskera", "base_url", a.cfg.DeskeraBaseURL)
	}
	if q := a.svc.Queued(); len(q) > 0 {
		a.log.Info("queued sources: verified deliveries are stored and answered 202, workers act on them", "sources", strings.Join(q, ","))
	}
	if open := a.svc.Unauthenticated(); len(open) > 0 {
		a.log.Warn("sources without authentication (auth: none)", "sources", strings.Join(open, ","))
	}
}

// logBufferSize is the most serve keeps of its log lines between writes.
const logBufferSize = 64 << 10

// serveLogger is serve's logger, on a LogWriter that writes info and
// debug lines out together, at most cfg.LogFlush after they are logged
// (warnings and errors at once); with LogFlush 0 the writer passes each
// line straight to w.
func serveLogger(w io.Writer, cfg *Config) (*slog.Logger, *obs.LogWriter) {
	lw := obs.NewLogWriter(w, logBufferSize, cfg.LogFlush)
	h := handlers.NewLogger(lw, cfg.LogLevel).Handler()
	return slog.New(obs.FlushAbove(h, lw, slog.LevelWarn)), lw
}
