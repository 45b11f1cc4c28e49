// Package historytest opens history stores for tests: an SQLite file in
// the test's temporary directory, and PostgreSQL on 127.0.0.1:5432 (trust
// auth, database test) in a schema of its own, dropped at the end. Without
// a reachable PostgreSQL the test is skipped with a message, unless
// CI=true, where it fails.
package historytest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers/history"
)

// PostgresURL is the test server (override with LEADHOOK_TEST_POSTGRES_URL).
const PostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

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
// a URL whose connections use it; the schema is dropped at the end.
func PostgresSchemaURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("LEADHOOK_TEST_POSTGRES_URL")
	if base == "" {
		base = PostgresURL
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("postgres at %s is unreachable (CI=true: it must run): %v", history.RedactURL(base), err)
		}
		tb.Skipf("postgres at %s is unreachable (%v); start it to run the postgres tests", history.RedactURL(base), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "leadhook_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return base + "&search_path=" + schema
}

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
