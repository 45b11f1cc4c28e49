package history

import (
	"fmt"
	"strconv"
	"strings"
)

// Dialect is the SQL flavour of the database a Store writes to.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// migrations are applied in order, once each; the number applied is kept
// in leadhook_history_migrations. Add new ones at the end, never edit one.
func (d Dialect) migrations() []string {
	blob := "BLOB"
	if d == Postgres {
		blob = "BYTEA"
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS leadhook_deliveries (
	id TEXT PRIMARY KEY,
	received_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	source TEXT NOT NULL,
	delivery_id TEXT NOT NULL DEFAULT '',
	mode TEXT NOT NULL,
	outcome TEXT NOT NULL,
	rules_version TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 1,
	next_attempt_at BIGINT,
	shadow_differs INTEGER NOT NULL DEFAULT 0,
	record TEXT NOT NULL,
	body ` + blob + `,
	body_expires_at BIGINT
)`,
		`CREATE INDEX IF NOT EXISTS leadhook_deliveries_received ON leadhook_deliveries (received_at)`,
		`CREATE INDEX IF NOT EXISTS leadhook_deliveries_source_outcome ON leadhook_deliveries (source, outcome, received_at)`,
		`CREATE INDEX IF NOT EXISTS leadhook_deliveries_body_expiry ON leadhook_deliveries (body_expires_at)`,
		// Only records that keep a body have an expiry: a sync delivery's
		// record no longer writes a NULL entry (one B-tree fewer per
		// record). The pruner's body_expires_at <= ? implies IS NOT NULL,
		// so it still searches the index.
		`DROP INDEX IF EXISTS leadhook_deliveries_body_expiry`,
		`CREATE INDEX IF NOT EXISTS leadhook_deliveries_body_kept ON leadhook_deliveries (body_expires_at) WHERE body_expires_at IS NOT NULL`,
	}
}

// rebind turns ? placeholders into $1, $2... for Postgres. Queries here
// never carry a literal ?.
func (d Dialect) rebind(q string) string {
	if d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d Dialect) valid() error {
	switch d {
	case SQLite, Postgres:
		return nil
	}
	return fmt.Errorf("history: unknown dialect %q (want sqlite or postgres)", string(d))
}
