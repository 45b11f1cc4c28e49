// Package pgtest gives tests a PostgreSQL schema of their own on the
// machine's server (127.0.0.1:5432, trust auth, database test; override
// with LEADHOOK_TEST_POSTGRES_URL), dropped at the end. Without a
// reachable server the test is skipped with a message, unless CI=true,
// where it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// DefaultURL is the test server.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SchemaURL creates a fresh schema on the test server and returns a URL
// whose connections use it (search_path); the schema is dropped at the end.
func SchemaURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("LEADHOOK_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultURL
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	// Generous: a loaded PostgreSQL must not turn into a skip (or, on CI,
	// a failure); one that is not running refuses at once.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("postgres at %s is unreachable (CI=true: it must run): %v", redact(base), err)
		}
		tb.Skipf("postgres at %s is unreachable (%v); start it to run the postgres tests", redact(base), err)
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

// redact drops the password of a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
