// Package gintest is the TestMain of the packages whose tests serve Gin
// routers: Gin runs in release mode, as leadhook serve runs it, so the
// tests see the production router and no debug banner mixes into their
// output.
package gintest

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"
)

// Main puts Gin in release mode, runs the tests and exits with their code.
func Main(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}
