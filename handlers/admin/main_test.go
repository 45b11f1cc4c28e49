package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/internal/gintest"
)

func TestMain(m *testing.M) { gintest.Main(m) }

// Without an admin token leadhook serve mounts no admin handler: every
// /admin/ path is a 404, as for any unknown route.
func TestNoAdminHandlerIs404(t *testing.T) {
	e := newEnv(t)
	router, err := handlers.NewRouter(handlers.ServerConfig{Service: e.svc, Metrics: handlers.NewMetrics()})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/", "/admin/deliveries", "/admin/login"} {
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		router.ServeHTTP(w, req)
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, w.Code)
		}
	}
}
