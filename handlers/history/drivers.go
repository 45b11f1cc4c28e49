//go:build !leadhook.lambda

package history

// The Lambda build (tag leadhook.lambda) leaves both database/sql drivers
// out (1.4 MB of its zip with the queue's): there the history is off, and
// OpenSQLite and OpenPostgres fail with database/sql's unknown driver.
import (
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)
