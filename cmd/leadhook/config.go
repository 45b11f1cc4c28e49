package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/leadhook/leadhook/rules"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/webhook"
)

// setting is one configuration value: a flag mirroring an environment
// variable, with a default.
type setting struct {
	flag, env, def, usage string
	secret                bool
	// boolean flags may be given bare (--sandbox means --sandbox=true).
	boolean bool
}

// settings lists every flag and variable (--help prints them in order).
func settings() []setting {
	return []setting{
		{flag: "addr", env: "LEADHOOK_ADDR", def: ":8080", usage: "listen address"},
		{flag: "rules", env: "LEADHOOK_RULES", def: "rules.example.yaml", usage: "rules file"},
		{flag: "admin-token", env: "LEADHOOK_ADMIN_TOKEN", usage: "bearer token for ?dry_run=1 (empty: dry runs disabled)", secret: true},
		{flag: "max-body", env: "LEADHOOK_MAX_BODY", def: "1048576", usage: "largest request body in bytes (larger: 413)"},
		{flag: "log-level", env: "LEADHOOK_LOG_LEVEL", def: "info", usage: "debug, info, warn or error"},
		{flag: "log-flush", env: "LEADHOOK_LOG_FLUSH", def: "100ms", usage: "serve: longest an info or debug line waits to be written with the lines after it, in one write (0: every line at once); warnings and errors are written at once"},
		{flag: "trusted-proxies", env: "LEADHOOK_TRUSTED_PROXIES", usage: "comma-separated CIDRs allowed to set X-Forwarded-For"},
		{flag: "dedupe-ttl", env: "LEADHOOK_DEDUPE_TTL", def: "24h", usage: "how long a delivery id is remembered"},
		{flag: "dedupe-size", env: "LEADHOOK_DEDUPE_SIZE", def: "100000", usage: "most delivery ids kept in memory"},
		{flag: "dedupe-bytes", env: "LEADHOOK_DEDUPE_BYTES", def: "67108864", usage: "most bytes of stored answers kept in memory"},
		{flag: "redis-url", env: "LEADHOOK_REDIS_URL", usage: "shared idempotency store for several replicas, e.g. redis://:password@host:6379/0 (empty: in memory, per process)", secret: true},
		{flag: "shutdown-timeout", env: "LEADHOOK_SHUTDOWN_TIMEOUT", def: "20s", usage: "time allowed for in-flight requests at shutdown"},
		{flag: "max-inflight", env: "LEADHOOK_MAX_INFLIGHT", def: "256", usage: "concurrent /hooks deliveries being processed (bodies read) before 429 (0: no cap)"},
		{flag: "body-timeout", env: "LEADHOOK_BODY_TIMEOUT", def: "10s", usage: "time allowed to send a request body after its headers (slower: 408)"},
		{flag: "sqs-source", env: "LEADHOOK_SQS_SOURCE", usage: "lambda: source for SQS messages without a `source` attribute (empty: such messages fail)"},
		{flag: "sqs-queue-url", env: "LEADHOOK_SQS_QUEUE_URL", usage: "lambda: SQS queue the deliveries of queued sources are put on, for the queue's trigger to run (empty: on Lambda queued sources are processed at once, as sync ones)"},
		{flag: "ses-source", env: "LEADHOOK_SES_SOURCE", def: "ses", usage: "lambda: source (format ses) that SES receipt events go to"},
		{flag: "sandbox", env: "LEADHOOK_SANDBOX", boolean: true, usage: "run on the in-memory sandbox Deskera without credentials (lambda and sweep refuse to start without credentials unless set; serve warns)"},
		{flag: "deskera-base-url", env: "DESKERA_BASE_URL", def: deskera.DefaultBaseURL, usage: "Deskera API base URL"},
		{flag: "deskera-access-token", env: "DESKERA_ACCESS_TOKEN", usage: "Deskera access token", secret: true},
		{flag: "deskera-client-id", env: "DESKERA_CLIENT_ID", usage: "Deskera OAuth client id"},
		{flag: "deskera-client-secret", env: "DESKERA_CLIENT_SECRET", usage: "Deskera OAuth client secret", secret: true},
		{flag: "deskera-refresh-token", env: "DESKERA_REFRESH_TOKEN", usage: "Deskera OAuth refresh token", secret: true},
		{flag: "deskera-oauth-url", env: "DESKERA_OAUTH_URL", usage: "Deskera OAuth token endpoint (empty: the base URL + /v2/oauth/token)"},
		{flag: "data-dir", env: "LEADHOOK_DATA_DIR", usage: "directory for state kept across restarts: the embedded delivery store leadhook.db (queued deliveries and their history) and the rotated Deskera refresh token (empty: a temporary directory for the store, lost at exit; the token in Redis when LEADHOOK_REDIS_URL is set, else in memory)"},
		{flag: "store-url", env: "LEADHOOK_STORE_URL", usage: "PostgreSQL URL of the store shared by replicas (queued deliveries and the delivery history), e.g. postgres://user:password@host:5432/db (empty: the embedded file under --data-dir)", secret: true},
		{flag: "store-fsync", env: "LEADHOOK_STORE_FSYNC", boolean: true, usage: "the embedded store syncs every commit to disk before answering 202 (SQLite synchronous=FULL): a queued lead survives power loss and OS crashes too; off (synchronous=NORMAL in WAL mode) it survives kill -9 and restarts, at several times the intake rate"},
		{flag: "history-body-retention", env: "LEADHOOK_HISTORY_BODY_RETENTION", def: "168h", usage: "how long the bodies of queued and dead-lettered deliveries are kept for replay"},
		{flag: "history-retention", env: "LEADHOOK_HISTORY_RETENTION", def: "720h", usage: "how long delivery history records are kept"},
		{flag: "shadow-rules", env: "LEADHOOK_SHADOW_RULES", usage: "candidate rules file every event is also evaluated by, offline (nothing acted); differences are counted and recorded"},
		{flag: "queue-workers", env: "LEADHOOK_QUEUE_WORKERS", def: "10", usage: "queued deliveries worked at once by this process"},
		{flag: "queue-max-age", env: "LEADHOOK_QUEUE_MAX_AGE", def: "72h", usage: "how long a queued delivery is retried before it is dead-lettered"},
		{flag: "queue-job-timeout", env: "LEADHOOK_QUEUE_JOB_TIMEOUT", def: "1m", usage: "time allowed for one attempt at a queued delivery"},
		{flag: "queue-rescue-after", env: "LEADHOOK_QUEUE_RESCUE_AFTER", def: "15m", usage: "a queued delivery still running after this (its worker died) is given to another worker; more than --queue-job-timeout"},
		{flag: "label-refresh", env: "LEADHOOK_LABEL_REFRESH", def: "10m", usage: "how often the Deskera label list is reloaded"},
		{flag: "deskera-rate-limit", env: "DESKERA_RATE_LIMIT", usage: "Deskera calls per second (empty: client default; 0: unlimited)"},
		{flag: "deskera-timeout", env: "DESKERA_TIMEOUT", def: deskera.DefaultTimeout.String(), usage: "timeout per Deskera request"},
	}
}

// flagOf returns the flag mirroring an environment variable.
func flagOf(env string) string {
	for _, s := range settings() {
		if s.env == env {
			return s.flag
		}
	}
	return env
}

func printSettings(w io.Writer) {
	for _, s := range settings() {
		def := ""
		if s.def != "" {
			def = fmt.Sprintf(" (default %q)", s.def)
		}
		fmt.Fprintf(w, "  --%-22s %-26s %s%s\n", s.flag, s.env, s.usage, def)
	}
}

// Config is the validated configuration.
type Config struct {
	Addr            string
	Rules           string
	AdminToken      string
	MaxBody         int64
	LogLevel        slog.Level
	TrustedProxies  []netip.Prefix
	DedupeTTL       time.Duration
	DedupeSize      int
	DedupeBytes     int64
	BodyTimeout     time.Duration
	RedisURL        string
	ShutdownTimeout time.Duration
	MaxInFlight     int
	// SQSSource and SESSource route Lambda SQS and SES events (lambda command).
	SQSSource, SESSource string
	// SQSQueueURL is the queue queued deliveries go to on Lambda.
	SQSQueueURL string
	// queue, when set (the lambda command's SQS queue), stores the
	// deliveries of queued sources instead of the embedded store.
	queue handlers.Enqueuer
	// SandboxRequested is LEADHOOK_SANDBOX / --sandbox: the in-memory
	// sandbox was asked for, not fallen into.
	SandboxRequested bool
	// Version is the build's version (leadhook_build_info).
	Version string
	// lookupEnv resolves the rules files' ${VAR} references: the same
	// injected Env the settings were read from.
	lookupEnv func(string) (string, bool)

	DeskeraBaseURL, AccessToken, ClientID, ClientSecret, RefreshToken string
	RateLimit                                                         *float64
	DeskeraTimeout                                                    time.Duration
	// OAuthURL is the token endpoint ("" = base URL + /v2/oauth/token).
	OAuthURL string
	// DataDir keeps the rotated refresh token ("" = none).
	DataDir string
	// LabelRefresh is how often the label cache is reloaded.
	LabelRefresh time.Duration
	// LogFlush is how long serve keeps info and debug lines to write
	// them out together (0: each line at once).
	LogFlush time.Duration
	// TracerProvider, set by the command (see tracing.go) when an OTLP
	// endpoint is configured, traces deliveries; nil traces nothing.
	TracerProvider trace.TracerProvider
	// StoreURL is the shared PostgreSQL store ("" = SQLite under DataDir).
	StoreURL string
	// HistoryBodyRetention and HistoryRetention: see the history package.
	HistoryBodyRetention, HistoryRetention time.Duration
	// ShadowRules is the candidate rules file ("" = none).
	ShadowRules string
	// Queue* configure the workers of queued deliveries.
	QueueWorkers                                   int
	QueueMaxAge, QueueJobTimeout, QueueRescueAfter time.Duration
	// StoreFsync: the embedded store syncs each commit (synchronous=FULL).
	StoreFsync bool
}

// Sandbox reports whether no Deskera credentials were given.
func (c *Config) Sandbox() bool {
	return c.AccessToken == "" && c.ClientID == "" && c.ClientSecret == "" && c.RefreshToken == ""
}

// errNoCredentials is the start-up error of the commands that must not
// fall back to the sandbox silently (lambda, sweep).
var errNoCredentials = errors.New("no Deskera credentials: set DESKERA_ACCESS_TOKEN (or DESKERA_CLIENT_ID, DESKERA_CLIENT_SECRET and DESKERA_REFRESH_TOKEN), " +
	"or LEADHOOK_SANDBOX=1 to run on the in-memory sandbox, where every lead is lost at exit")

// requireCredentials fails closed: without Deskera credentials only an
// explicit LEADHOOK_SANDBOX=1 runs on the sandbox. serve does not call it
// (it warns loudly instead, for a developer's first run).
func (c *Config) requireCredentials() error {
	if c.Sandbox() && !c.SandboxRequested {
		return errNoCredentials
	}
	return nil
}

// boolString is a string-valued flag that may be given bare.
type boolString struct{ p *string }

func (b boolString) String() string {
	if b.p == nil {
		return ""
	}
	return *b.p
}
func (b boolString) Set(v string) error { *b.p = v; return nil }
func (b boolString) IsBoolFlag() bool   { return true }

// parseConfig reads flags over environment variables over defaults.
// A bad value is one error naming the flag and variable; -h/--help is
// flag.ErrHelp (the command prints its usage).
func parseConfig(name string, args []string, env *Env) (*Config, error) {
	c, rest, err := parseConfigWith(name, args, env, nil)
	if err == nil && len(rest) > 0 {
		return nil, fmt.Errorf("unexpected argument %q", rest[0])
	}
	return c, err
}

// parseConfigWith is parseConfig for a command with flags of its own
// (extra adds them) and positional arguments (returned).
func parseConfigWith(name string, args []string, env *Env, extra func(*flag.FlagSet)) (*Config, []string, error) {
	fs := flag.NewFlagSet("leadhook "+name, flag.ContinueOnError)
	if extra != nil {
		extra(fs)
	}
	fs.SetOutput(io.Discard)
	vals := map[string]*string{}
	for _, s := range settings() {
		v := s.def
		if e, ok := env.LookupEnv(s.env); ok {
			v = e
		}
		if s.boolean {
			p := &v
			fs.Var(boolString{p}, s.flag, s.usage)
			vals[s.env] = p
			continue
		}
		vals[s.env] = fs.String(s.flag, v, s.usage)
	}
	if err := parseInterspersed(fs, args); err != nil {
		return nil, nil, err
	}
	get := func(env string) string { return strings.TrimSpace(*vals[env]) }
	c, err := buildConfig(get)
	if c != nil {
		c.Version, c.lookupEnv = env.Version, env.LookupEnv
	}
	return c, fs.Args(), err
}

// parseInterspersed parses flags before, between and after positional
// arguments (`replay ID --dry-run`); fs.Args() then holds the positional
// ones.
func parseInterspersed(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func buildConfig(get func(string) string) (*Config, error) {
	c := &Config{
		Addr: get("LEADHOOK_ADDR"), Rules: get("LEADHOOK_RULES"), AdminToken: get("LEADHOOK_ADMIN_TOKEN"),
		RedisURL: get("LEADHOOK_REDIS_URL"), DeskeraBaseURL: get("DESKERA_BASE_URL"),
		AccessToken: get("DESKERA_ACCESS_TOKEN"), ClientID: get("DESKERA_CLIENT_ID"),
		ClientSecret: get("DESKERA_CLIENT_SECRET"), RefreshToken: get("DESKERA_REFRESH_TOKEN"),
		SQSSource: get("LEADHOOK_SQS_SOURCE"), SESSource: get("LEADHOOK_SES_SOURCE"), SQSQueueURL: get("LEADHOOK_SQS_QUEUE_URL"),
		OAuthURL: get("DESKERA_OAUTH_URL"), DataDir: get("LEADHOOK_DATA_DIR"),
		StoreURL: get("LEADHOOK_STORE_URL"), ShadowRules: get("LEADHOOK_SHADOW_RULES"),
	}
	p := parser{get: get}
	c.MaxBody = p.positiveInt("LEADHOOK_MAX_BODY")
	c.DedupeSize = int(p.positiveInt("LEADHOOK_DEDUPE_SIZE"))
	c.DedupeBytes = p.positiveInt("LEADHOOK_DEDUPE_BYTES")
	c.BodyTimeout = p.duration("LEADHOOK_BODY_TIMEOUT")
	c.MaxInFlight = int(p.nonNegativeInt("LEADHOOK_MAX_INFLIGHT"))
	c.DedupeTTL = p.duration("LEADHOOK_DEDUPE_TTL")
	c.ShutdownTimeout = p.duration("LEADHOOK_SHUTDOWN_TIMEOUT")
	c.DeskeraTimeout = p.duration("DESKERA_TIMEOUT")
	c.LabelRefresh = p.duration("LEADHOOK_LABEL_REFRESH")
	c.HistoryBodyRetention = p.duration("LEADHOOK_HISTORY_BODY_RETENTION")
	c.HistoryRetention = p.duration("LEADHOOK_HISTORY_RETENTION")
	c.QueueWorkers = int(p.positiveInt("LEADHOOK_QUEUE_WORKERS"))
	c.QueueMaxAge = p.duration("LEADHOOK_QUEUE_MAX_AGE")
	c.QueueJobTimeout = p.duration("LEADHOOK_QUEUE_JOB_TIMEOUT")
	c.QueueRescueAfter = p.duration("LEADHOOK_QUEUE_RESCUE_AFTER")
	c.LogLevel = p.level("LEADHOOK_LOG_LEVEL")
	c.LogFlush = p.nonNegativeDuration("LEADHOOK_LOG_FLUSH")
	c.TrustedProxies = p.prefixes("LEADHOOK_TRUSTED_PROXIES")
	c.RateLimit = p.rate("DESKERA_RATE_LIMIT")
	c.SandboxRequested = p.boolean("LEADHOOK_SANDBOX")
	c.StoreFsync = p.boolean("LEADHOOK_STORE_FSYNC")
	if p.err != nil {
		return nil, p.err
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("--addr/LEADHOOK_ADDR %q is not a host:port listen address", c.Addr)
	}
	if c.Rules == "" {
		return errors.New("--rules/LEADHOOK_RULES is empty")
	}
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			// The URL may hold a password: name the problem, not the value.
			return errors.New("--redis-url/LEADHOOK_REDIS_URL is not a redis:// or rediss:// URL")
		}
	}
	if c.StoreURL != "" && !strings.HasPrefix(c.StoreURL, "postgres://") && !strings.HasPrefix(c.StoreURL, "postgresql://") {
		// The URL may hold a password: name the problem, not the value.
		return errors.New("--store-url/LEADHOOK_STORE_URL is not a postgres:// or postgresql:// URL")
	}
	if c.HistoryRetention < c.HistoryBodyRetention {
		return errors.New("--history-retention/LEADHOOK_HISTORY_RETENTION is shorter than --history-body-retention/LEADHOOK_HISTORY_BODY_RETENTION")
	}
	if c.QueueRescueAfter <= c.QueueJobTimeout {
		return fmt.Errorf("--queue-rescue-after/LEADHOOK_QUEUE_RESCUE_AFTER %s must be longer than --queue-job-timeout/LEADHOOK_QUEUE_JOB_TIMEOUT %s", c.QueueRescueAfter, c.QueueJobTimeout)
	}
	set := 0
	for _, v := range []string{c.ClientID, c.ClientSecret, c.RefreshToken} {
		if v != "" {
			set++
		}
	}
	if set > 0 && set < 3 {
		return errors.New("Deskera OAuth needs all of DESKERA_CLIENT_ID, DESKERA_CLIENT_SECRET and DESKERA_REFRESH_TOKEN (only some are set)")
	}
	if c.SandboxRequested && !c.Sandbox() {
		return errors.New("--sandbox/LEADHOOK_SANDBOX is set together with Deskera credentials: unset one (the sandbox would lose every lead)")
	}
	return nil
}

// parser converts values, keeping the first error.
type parser struct {
	get func(string) string
	err error
}

func (p *parser) fail(env, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("--%s/%s %q: %s", flagOf(env), env, p.get(env), fmt.Sprintf(format, args...))
	}
}

func (p *parser) positiveInt(env string) int64 {
	n, err := strconv.ParseInt(p.get(env), 10, 64)
	if err != nil || n <= 0 {
		p.fail(env, "want a positive integer")
	}
	return n
}

func (p *parser) nonNegativeInt(env string) int64 {
	n, err := strconv.ParseInt(p.get(env), 10, 64)
	if err != nil || n < 0 {
		p.fail(env, "want a non-negative integer")
	}
	return n
}

func (p *parser) boolean(env string) bool {
	v := p.get(env)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(env, "want 1 or 0 (true or false)")
	}
	return b
}

func (p *parser) duration(env string) time.Duration {
	d, err := time.ParseDuration(p.get(env))
	if err != nil || d <= 0 {
		p.fail(env, "want a positive duration such as 30s or 24h")
	}
	return d
}

func (p *parser) nonNegativeDuration(env string) time.Duration {
	d, err := time.ParseDuration(p.get(env))
	if err != nil || d < 0 {
		p.fail(env, "want a non-negative duration such as 100ms or 0")
	}
	return d
}

func (p *parser) level(env string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(p.get(env))); err != nil {
		p.fail(env, "want debug, info, warn or error")
	}
	return l
}

func (p *parser) prefixes(env string) []netip.Prefix {
	v := p.get(env)
	if v == "" {
		return nil
	}
	out, err := webhook.ParsePrefixes(strings.Split(v, ","))
	if err != nil {
		p.fail(env, "%v", err)
	}
	return out
}

func (p *parser) rate(env string) *float64 {
	v := p.get(env)
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		p.fail(env, "want a non-negative number of calls per second")
		return nil
	}
	return &f
}

// loadOptions are the rules.Load options of every rules file this
// configuration loads (live, shadow, reloaded): ${VAR} from the Env.
func (c *Config) loadOptions() []rules.LoadOption {
	return []rules.LoadOption{rules.WithLookupEnv(c.lookupEnv)}
}
