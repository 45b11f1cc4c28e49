//go:build !leadhook.lambda

package history

// The Lambda build (tag leadhook.lambda) leaves the SQLite driver out
// (there is no disk to keep the file on); OpenSQLite then fails with
// database/sql's unknown driver "sqlite", and the history lives in
// PostgreSQL (OpenPostgres) or nowhere.
import _ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
