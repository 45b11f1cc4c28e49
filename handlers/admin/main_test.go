package admin_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/leadhook/leadhook/handlers"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

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
