package admin

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/history"
)

// Store is the part of *history.Store the admin API reads.
type Store interface {
	List(ctx context.Context, f history.Filter) ([]history.Record, error)
	Get(ctx context.Context, id string) (*history.Record, error)
}

// Replayer runs a recorded delivery again; *handlers.Service implements it.
type Replayer interface {
	Replay(ctx context.Context, rec *history.Record, dryRun bool) (handlers.Response, error)
}

// Config configures New.
type Config struct {
	Store    Store    // required
	Replayer Replayer // required
	// Token is the admin token (required: without one there is no admin).
	Token  string
	Logger *slog.Logger
	// Now is the clock for --since style filters (default time.Now).
	Now func() time.Time
}

// cookieName holds the admin token for the HTML pages (HttpOnly,
// SameSite=Strict, path /admin/).
const cookieName = "leadhook_admin"

//go:embed templates/*.html
var templateFiles embed.FS

// Handler serves /admin/.
type Handler struct {
	cfg  Config
	mux  *http.ServeMux
	tmpl *template.Template
}

// New validates cfg and builds the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil || cfg.Replayer == nil {
		return nil, errors.New("admin: needs a store and a replayer")
	}
	if cfg.Token == "" {
		return nil, errors.New("admin: empty token (without LEADHOOK_ADMIN_TOKEN the admin API is off)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t, err := template.New("").Funcs(template.FuncMap{
		"time":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
		"join":   strings.Join,
		"num":    func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
		"ptime":  func(t *time.Time) string { return ptime(t) },
		"status": statusText,
		"outcomes": func() []string {
			return []string{history.OutcomeOK, history.OutcomeFailed, history.OutcomeRetry, history.OutcomeQueued, history.OutcomeDead}
		},
	}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), tmpl: t}
	h.mux.HandleFunc("GET /admin/deliveries", h.auth(h.list))
	h.mux.HandleFunc("GET /admin/deliveries/{id}", h.auth(h.get))
	h.mux.HandleFunc("POST /admin/deliveries/{id}/replay", h.bearerOnly(h.replay))
	h.mux.HandleFunc("GET /admin/{$}", h.page(h.listPage))
	h.mux.HandleFunc("GET /admin/d/{id}", h.page(h.detailPage))
	h.mux.HandleFunc("GET /admin/login", h.loginForm)
	h.mux.HandleFunc("POST /admin/login", h.login)
	h.mux.HandleFunc("/admin/", func(w http.ResponseWriter, _ *http.Request) { writeError(w, http.StatusNotFound, "", "not found") })
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// valid compares a presented token with the admin token in constant time.
func (h *Handler) valid(tok string) bool {
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(h.cfg.Token)) == 1
}

func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

func cookie(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// auth lets a request in with the bearer token or the page's cookie
// (GETs only: reading cannot be forged into acting).
func (h *Handler) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.valid(bearer(r)) && !h.valid(cookie(r)) {
			h.denied(w, r)
			return
		}
		next(w, r)
	}
}

// bearerOnly is for actions: a cookie alone (a forged cross-site form)
// never replays anything.
func (h *Handler) bearerOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.valid(bearer(r)) {
			h.denied(w, r)
			return
		}
		next(w, r)
	}
}

func (h *Handler) denied(w http.ResponseWriter, r *http.Request) {
	h.cfg.Logger.Warn("admin: authentication failed", "path", r.URL.Path, "remote_addr", r.RemoteAddr)
	w.Header().Set("WWW-Authenticate", `Bearer realm="leadhook admin"`)
	writeError(w, http.StatusUnauthorized, "", "authentication failed")
}

// page is auth for HTML pages: without a valid cookie or bearer token,
// the sign-in form.
func (h *Handler) page(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.valid(bearer(r)) && !h.valid(cookie(r)) {
			http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		next(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is the JSON error answer, as the hooks give it.
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, errorBody{Error: msg, Field: field})
}

// filter reads the list filters from the query.
func (h *Handler) filter(r *http.Request) (history.Filter, string, error) {
	q := r.URL.Query()
	f := history.Filter{Source: q.Get("source"), Outcome: q.Get("outcome"), ShadowDiffers: q.Get("shadow_differs") == "1"}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, "limit", errors.New("limit must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	if v := q.Get("since"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			f.Since = h.cfg.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, v); err == nil {
			f.Since = t
		} else {
			return f, "since", errors.New("since must be a duration (24h) or an RFC 3339 time")
		}
	}
	return f, "", nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	f, field, err := h.filter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, field, err.Error())
		return
	}
	recs, err := h.cfg.Store.List(r.Context(), f)
	if err != nil {
		h.storeFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": recs})
}

func (h *Handler) record(w http.ResponseWriter, r *http.Request) (*history.Record, bool) {
	rec, err := h.cfg.Store.Get(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, history.ErrNotFound):
		writeError(w, http.StatusNotFound, "id", "no such delivery")
		return nil, false
	case err != nil:
		h.storeFailed(w, err)
		return nil, false
	}
	return rec, true
}

// get answers the whole record; its raw body (unmasked personal data)
// only with ?body=1 (body_expires_at says whether one is kept).
func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	if rec, ok := h.record(w, r); ok {
		if r.URL.Query().Get("body") != "1" {
			rec.Body = nil
		}
		writeJSON(w, http.StatusOK, rec)
	}
}

func (h *Handler) storeFailed(w http.ResponseWriter, err error) {
	h.cfg.Logger.Error("admin: history store failed", "err", err.Error())
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "", "the history store is unavailable; retry later")
}

// replayAnswer is what POST .../replay answers: the replayed delivery's
// own answer (status and body) as the sender would have had it.
type replayAnswer struct {
	ID     string `json:"id"`
	DryRun bool   `json:"dry_run"`
	Status int    `json:"status"`
	Answer any    `json:"answer"`
}

func (h *Handler) replay(w http.ResponseWriter, r *http.Request) {
	rec, ok := h.record(w, r)
	if !ok {
		return
	}
	dry := r.URL.Query().Get("dry_run")
	dryRun := dry == "1" || dry == "true"
	resp, err := h.cfg.Replayer.Replay(r.Context(), rec, dryRun)
	switch {
	case errors.Is(err, handlers.ErrNoBody):
		writeError(w, http.StatusConflict, "body", err.Error())
		return
	case errors.Is(err, handlers.ErrUnknownSource):
		writeError(w, http.StatusConflict, "source", err.Error())
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "", "replay failed")
		return
	}
	h.cfg.Logger.Info("admin: delivery replayed", "id", rec.ID, "source", rec.Source, "dry_run", dryRun, "status", resp.Status)
	writeJSON(w, http.StatusOK, replayAnswer{ID: rec.ID, DryRun: dryRun, Status: resp.Status, Answer: resp.Body})
}

func ptime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func statusText(code int) string {
	if code == 0 {
		return "no answer"
	}
	return strconv.Itoa(code)
}
