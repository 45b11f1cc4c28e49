package admin

import (
	"bytes"
	"errors"
	"net/http"
	"time"

	"github.com/leadhook/leadhook/handlers/history"
)

// listView is the data of the list page.
type listView struct {
	Deliveries    []history.Record
	Source        string
	Outcome       string
	ShadowDiffers bool
	Error         string
}

// detailView is the data of the detail page.
type detailView struct {
	R       *history.Record
	HasBody bool
}

func (h *Handler) render(w http.ResponseWriter, name string, status int, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.cfg.Logger.Error("admin: render page", "page", name, "err", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) listPage(w http.ResponseWriter, r *http.Request) {
	f, _, err := h.filter(r)
	v := listView{Source: f.Source, Outcome: f.Outcome, ShadowDiffers: f.ShadowDiffers}
	if err != nil {
		v.Error = err.Error()
		h.render(w, "list.html", http.StatusBadRequest, v)
		return
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	recs, err := h.cfg.Store.List(r.Context(), f)
	if err != nil {
		v.Error = "the history store is unavailable; retry later"
		h.render(w, "list.html", http.StatusServiceUnavailable, v)
		return
	}
	v.Deliveries = recs
	h.render(w, "list.html", http.StatusOK, v)
}

func (h *Handler) detailPage(w http.ResponseWriter, r *http.Request) {
	rec, err := h.cfg.Store.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		status := http.StatusServiceUnavailable
		if isNotFound(err) {
			status = http.StatusNotFound
		}
		h.render(w, "list.html", status, listView{Error: "no such delivery, or the store is unavailable"})
		return
	}
	h.render(w, "detail.html", http.StatusOK, detailView{R: rec, HasBody: rec.Body != nil})
}

func (h *Handler) loginForm(w http.ResponseWriter, _ *http.Request) {
	h.render(w, "login.html", http.StatusOK, map[string]string{})
}

// login checks the token posted by the sign-in form and keeps it in an
// HttpOnly, SameSite=Strict cookie for the pages.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil || !h.valid(r.PostForm.Get("token")) {
		h.cfg.Logger.Warn("admin: sign-in failed", "remote_addr", r.RemoteAddr)
		h.render(w, "login.html", http.StatusUnauthorized, map[string]string{"Error": "wrong token"})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: r.PostForm.Get("token"), Path: "/admin/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, Expires: time.Now().Add(12 * time.Hour)})
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, history.ErrNotFound) }
