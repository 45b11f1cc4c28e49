// Package historytest opens history stores for tests: an SQLite file in
// the test's temporary directory, and PostgreSQL on 127.0.0.1:5432 (trust
// auth, database test) in a schema of its own, dropped at the end. Without
// a reachable PostgreSQL the test is skipped with a message, unless
// CI=true, where it fails.
package historytest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/internal/pgtest"
)

// SQLite returns a store on a fresh file under tb.TempDir().
func SQLite(tb testing.TB, opts ...history.Option) *history.Store {
	tb.Helper()
	s, err := history.OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), history.FileName), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// PostgresSchemaURL creates a fresh schema on the test server and returns
// a URL whose connections use it (see pgtest).
func PostgresSchemaURL(tb testing.TB) string { return pgtest.SchemaURL(tb) }

// Postgres returns a store in a fresh schema of the test server.
func Postgres(tb testing.TB, opts ...history.Option) *history.Store {
	tb.Helper()
	s, err := history.OpenPostgres(context.Background(), PostgresSchemaURL(tb), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Each runs fn as a subtest on an SQLite store and on a PostgreSQL store.
func Each(t *testing.T, fn func(t *testing.T, open func(...history.Option) *history.Store)) {
	kinds := []struct {
		name string
		open func(testing.TB, ...history.Option) *history.Store
	}{{"sqlite", SQLite}, {"postgres", Postgres}}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			fn(t, func(opts ...history.Option) *history.Store { return k.open(t, opts...) })
		})
	}
}
