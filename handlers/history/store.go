package history

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadhook/leadhook/internal/groupcommit"
)

// Defaults of a Store.
const (
	// DefaultBodyRetention is how long a kept body (queued and
	// dead-lettered deliveries) stays for replay.
	DefaultBodyRetention = 7 * 24 * time.Hour
	// DefaultRetention is how long a record stays.
	DefaultRetention = 30 * 24 * time.Hour
	// FileName is the SQLite file under the data directory (shared with
	// the queue).
	FileName = "leadhook.db"
)

// ErrNotFound is returned by Get for an unknown id.
var ErrNotFound = errors.New("history: no such delivery")

// Store keeps Records in an SQL database. It is safe for concurrent use.
type Store struct {
	db            *sql.DB
	d             Dialect
	now           func() time.Time
	bodyRetention time.Duration
	retention     time.Duration
	owned         bool // Close closes db
	// upsert is upsertSQL in the dialect, prepared once: preparing it on
	// every delivery was a quarter of a record's cost on SQLite.
	upsertQ string
	upsert  *sql.Stmt
	// records commits concurrent Record calls together (group commit):
	// one writer and one transaction instead of one each, which on SQLite
	// also ends the writers' contention for its lock.
	records *groupcommit.Batcher[[]any, error]
}

// Option configures New.
type Option func(*Store) error

// WithClock sets the clock (default time.Now): received and updated
// times, body expiry, pruning.
func WithClock(now func() time.Time) Option {
	return func(s *Store) error {
		if now == nil {
			return errors.New("history: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithBodyRetention sets how long kept bodies stay (DefaultBodyRetention);
// 0 keeps none.
func WithBodyRetention(d time.Duration) Option {
	return func(s *Store) error {
		if d < 0 {
			return fmt.Errorf("history: body retention %s is negative", d)
		}
		s.bodyRetention = d
		return nil
	}
}

// WithRetention sets how long records stay (DefaultRetention); it must
// be at least the body retention.
func WithRetention(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("history: retention %s must be positive", d)
		}
		s.retention = d
		return nil
	}
}

// New returns a Store on db (which the caller keeps and closes), creating
// or upgrading its tables.
func New(ctx context.Context, db *sql.DB, d Dialect, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("history: nil db")
	}
	if err := d.valid(); err != nil {
		return nil, err
	}
	s := &Store{db: db, d: d, now: time.Now, bodyRetention: DefaultBodyRetention, retention: DefaultRetention}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.retention < s.bodyRetention {
		return nil, fmt.Errorf("history: retention %s is shorter than the body retention %s", s.retention, s.bodyRetention)
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	s.upsertQ = s.d.rebind(upsertSQL)
	stmt, err := db.PrepareContext(ctx, s.upsertQ)
	if err != nil {
		return nil, fmt.Errorf("history: prepare the record statement: %w", err)
	}
	s.upsert = stmt
	if s.records, err = groupcommit.New(s.commitRecords, groupcommit.DefaultMax, groupcommit.DefaultLinger); err != nil {
		stmt.Close()
		return nil, err
	}
	return s, nil
}

// commitTimeout bounds one group commit of records.
const commitTimeout = 10 * time.Second

// commitRecords writes rows (upsertSQL's arguments) in one transaction
// and returns each row's error. When the transaction fails, the rows are
// written one by one, so that a bad row fails only its own Record.
func (s *Store) commitRecords(ctx context.Context, rows [][]any) ([]error, error) {
	ctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	errs := make([]error, len(rows))
	if len(rows) > 1 && s.inTx(ctx, rows) == nil {
		return errs, nil
	}
	for i, r := range rows {
		_, errs[i] = s.upsert.ExecContext(ctx, r...)
	}
	return errs, nil
}

func (s *Store) inTx(ctx context.Context, rows [][]any) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	st := tx.StmtContext(ctx, s.upsert)
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// OpenSQLite opens (creating) the SQLite file path, with WAL and a busy
// timeout so that the queue and the history can share it.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
	dsn := "file:" + filepath.ToSlash(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("history: open %q: %w", path, err)
	}
	return owning(ctx, db, SQLite, opts)
}

// OpenPostgres connects to the PostgreSQL database at url
// (postgres://user:pass@host:5432/db?search_path=...).
func OpenPostgres(ctx context.Context, url string, opts ...Option) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("history: open postgres (%s): %w", RedactURL(url), err)
	}
	return owning(ctx, db, Postgres, opts)
}

// owning is New on a db the Store opened itself: db is closed if New
// fails, and by Close otherwise.
func owning(ctx context.Context, db *sql.DB, d Dialect, opts []Option) (*Store, error) {
	s, err := New(ctx, db, d, opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// RedactURL drops the password from a database URL, for messages.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

// Close closes the database when the Store opened it.
func (s *Store) Close() error {
	s.records.Close()
	err := s.upsert.Close()
	if s.owned {
		return errors.Join(err, s.db.Close())
	}
	return err
}

// Dialect is the store's SQL dialect.
func (s *Store) Dialect() Dialect { return s.d }

// migrationLock is the PostgreSQL advisory lock key replicas starting at
// once take around the migrations (CREATE TABLE IF NOT EXISTS races).
const migrationLock = 7_170_434_215_015 // "leadhook history"

// execer is what the migrations run on: one connection, so that the
// advisory lock covers them.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("history: migrate: %w", err)
	}
	defer conn.Close()
	if s.d == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("history: migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // released with the session anyway
	}
	return s.migrateOn(ctx, conn)
}

func (s *Store) migrateOn(ctx context.Context, db execer) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS leadhook_history_migrations (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("history: migrate: %w", err)
	}
	var applied int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM leadhook_history_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("history: migrate: %w", err)
	}
	for i, m := range s.d.migrations() {
		if i < applied {
			continue
		}
		if _, err := db.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("history: migration %d: %w", i+1, err)
		}
		if _, err := db.ExecContext(ctx, s.d.rebind(`INSERT INTO leadhook_history_migrations (version) VALUES (?)`), i+1); err != nil {
			return fmt.Errorf("history: migration %d: %w", i+1, err)
		}
	}
	return nil
}

// KeepsBody reports whether the record of a delivery in mode with
// outcome keeps its body, and with it its headers and query: a queued or
// dead-lettered delivery's does (to replay it), a sync one's does not (its
// sender still holds it).
func KeepsBody(mode, outcome string) bool {
	return mode == ModeQueued || outcome == OutcomeDead
}

// Exec runs one statement: the store's own database, or a transaction
// of another writer of it (the queue's group commit, see RecordOn).
type Exec func(ctx context.Context, query string, args ...any) error

// Record inserts rec or, when a record with its id exists, updates it:
// the first received time and a kept body stay; Attempts counts up unless
// rec.Attempts says which attempt this was. rec.ID and rec.Source are
// required; rec is not modified. A queued delivery's first record
// (Outcome queued, Attempts 0) says no attempt ran yet. Records written
// at the same time commit together (one transaction); Record returns
// once its own is committed, or with its own error.
func (s *Store) Record(ctx context.Context, rec *Record) error {
	return s.RecordOn(ctx, func(ctx context.Context, _ string, args ...any) error {
		rowErr, err := s.records.Do(ctx, args)
		return cmp.Or(err, rowErr)
	}, rec)
}

// RecordOn is Record through exec, so that the record commits with the
// caller's transaction (the queue writes a queued delivery's first record
// with its job).
func (s *Store) RecordOn(ctx context.Context, exec Exec, rec *Record) error {
	if rec == nil || rec.ID == "" || rec.Source == "" {
		return errors.New("history: record needs an id and a source")
	}
	r := *rec
	now := s.now().UTC()
	r.UpdatedAt = now
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = now
	}
	if r.Mode == "" {
		r.Mode = ModeSync
	}
	var body []byte
	var expires *int64
	if KeepsBody(r.Mode, r.Outcome) && len(r.Body) > 0 && s.bodyRetention > 0 {
		body = r.Body
		e := r.ReceivedAt.Add(s.bodyRetention).UnixMilli()
		expires = &e
	} else {
		r.Header, r.Query = nil, nil
	}
	stored := storedRecord{RequestID: r.RequestID, Status: r.Status, ContactIDs: r.ContactIDs,
		Events: r.Events, Header: r.Header, Query: r.Query}
	doc, err := appendStored(make([]byte, 0, 1024*(1+len(r.Events))), &stored)
	if err != nil { // a value JSON cannot hold: encoding/json says which
		_, err = json.Marshal(&stored)
		err = cmp.Or(err, errUnsupportedFloat)
	}
	if err != nil {
		return fmt.Errorf("history: encode record %q: %w", r.ID, err)
	}
	var next *int64
	if r.NextAttemptAt != nil {
		n := r.NextAttemptAt.UnixMilli()
		next = &n
	}
	first := max(r.Attempts, 1)
	if r.Outcome == OutcomeQueued && r.Attempts == 0 {
		first = 0
	}
	err = exec(ctx, s.upsertQ, r.ID, r.ReceivedAt.UnixMilli(), now.UnixMilli(), r.Source, r.DeliveryID, r.Mode, r.Outcome,
		r.RulesVersion, first, next, boolInt(r.ShadowDiffers), string(doc), body, expires, r.Attempts, r.Attempts)
	if err != nil {
		return fmt.Errorf("history: record %q: %w", r.ID, err)
	}
	return nil
}

// storedRecord is what the record column holds: the parts of a Record
// that have no column of their own, under the Record's JSON names (so
// that documents written before, which held every field, decode the same
// way; scan fills the rest from the columns). Leaving out what the
// columns already hold keeps a sync delivery's row under half a page
// (two rows per page, not one) and encodes two times fewer.
type storedRecord struct {
	RequestID  string            `json:"request_id,omitempty"`
	Status     int               `json:"status"`
	ContactIDs []int64           `json:"contact_ids,omitempty"`
	Events     []Event           `json:"events"`
	Header     map[string]string `json:"header,omitempty"`
	Query      map[string]string `json:"query,omitempty"`
}

// upsertSQL inserts a record or updates the one with its id (see Record).
const upsertSQL = `INSERT INTO leadhook_deliveries
	(id, received_at, updated_at, source, delivery_id, mode, outcome, rules_version, attempts, next_attempt_at, shadow_differs, record, body, body_expires_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET
	updated_at = excluded.updated_at, source = excluded.source, delivery_id = excluded.delivery_id, mode = excluded.mode, outcome = excluded.outcome,
	rules_version = excluded.rules_version, next_attempt_at = excluded.next_attempt_at,
	shadow_differs = excluded.shadow_differs, record = excluded.record,
	attempts = CASE WHEN ? > 0 THEN ? ELSE leadhook_deliveries.attempts + 1 END,
	body = COALESCE(excluded.body, leadhook_deliveries.body),
	body_expires_at = COALESCE(excluded.body_expires_at, leadhook_deliveries.body_expires_at)`

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const columns = `id, received_at, updated_at, source, delivery_id, mode, rules_version, outcome, attempts, next_attempt_at, shadow_differs, record, body, body_expires_at`

// Get returns the whole record id, with its body when kept.
func (s *Store) Get(ctx context.Context, id string) (*Record, error) {
	row := s.db.QueryRowContext(ctx, s.d.rebind(`SELECT `+columns+` FROM leadhook_deliveries WHERE id = ?`), id)
	r, err := scan(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("history: get %q: %w", id, err)
	}
	return r, nil
}

// Filter selects records for List.
type Filter struct {
	Source  string
	Outcome string
	// Since keeps records received at or after it (zero: all).
	Since time.Time
	// WithBody keeps only records whose body is still kept.
	WithBody bool
	// ShadowDiffers keeps only records a shadow rules file decided
	// otherwise for.
	ShadowDiffers bool
	// Limit is the most records returned (0: 100); newest first.
	Limit int
}

// DefaultListLimit is List's limit when Filter.Limit is 0.
const DefaultListLimit = 100

// List returns the records matching f, newest first. Bodies are included
// only with f.WithBody.
func (s *Store) List(ctx context.Context, f Filter) ([]Record, error) {
	var where []string
	var args []any
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	if f.Outcome != "" {
		where, args = append(where, "outcome = ?"), append(args, f.Outcome)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "received_at >= ?"), append(args, f.Since.UnixMilli())
	}
	if f.WithBody {
		where = append(where, "body IS NOT NULL")
	}
	if f.ShadowDiffers {
		where = append(where, "shadow_differs = 1")
	}
	q := `SELECT ` + columns + ` FROM leadhook_deliveries`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	q += " ORDER BY received_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		r, err := scan(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("history: list: %w", err)
		}
		if !f.WithBody {
			r.Body, r.Header, r.Query = nil, nil, nil
		}
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	return out, nil
}

// scan reads one row of columns; the columns win over the JSON document
// (they are updated in place: outcome, attempts, next attempt, first
// received time, body; and documents written since storedRecord no
// longer hold them).
func scan(fn func(...any) error) (*Record, error) {
	var received, updated int64
	var attempts, shadow int
	var next, expires sql.NullInt64
	var id, source, deliveryID, mode, rulesVersion, outcome, doc string
	var body []byte
	if err := fn(&id, &received, &updated, &source, &deliveryID, &mode, &rulesVersion, &outcome, &attempts, &next, &shadow, &doc, &body, &expires); err != nil {
		return nil, err
	}
	r := &Record{}
	if err := json.Unmarshal([]byte(doc), r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	r.ID, r.Source, r.DeliveryID, r.Mode, r.RulesVersion, r.ShadowDiffers = id, source, deliveryID, mode, rulesVersion, shadow != 0
	r.ReceivedAt, r.UpdatedAt, r.Attempts = time.UnixMilli(received).UTC(), time.UnixMilli(updated).UTC(), attempts
	r.Outcome = outcome
	r.NextAttemptAt = nil
	if next.Valid {
		t := time.UnixMilli(next.Int64).UTC()
		r.NextAttemptAt = &t
	}
	r.Body = nil
	if body != nil {
		r.Body = body
		if expires.Valid {
			t := time.UnixMilli(expires.Int64).UTC()
			r.BodyExpiresAt = &t
		}
	} else {
		r.Header, r.Query = nil, nil
	}
	return r, nil
}

// Schedule sets what a record's delivery waits for after an attempt: its
// outcome (queued for another attempt at next, or dead) and the next
// attempt time (nil: none). An unknown id is no error (its record was
// never written, or was pruned).
func (s *Store) Schedule(ctx context.Context, id, outcome string, next *time.Time) error {
	var n *int64
	if next != nil {
		v := next.UnixMilli()
		n = &v
	}
	_, err := s.db.ExecContext(ctx, s.d.rebind(`UPDATE leadhook_deliveries SET outcome = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`),
		outcome, n, s.now().UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("history: schedule %q: %w", id, err)
	}
	return nil
}

// Pruned counts what Prune removed.
type Pruned struct {
	Bodies  int64 `json:"bodies"`
	Records int64 `json:"records"`
}

// pruneBodiesSQL drops the bodies expired at its argument (searching the
// partial index leadhook_deliveries_body_kept).
const pruneBodiesSQL = `UPDATE leadhook_deliveries SET body = NULL, body_expires_at = NULL WHERE body_expires_at <= ?`

// Prune drops the bodies past their retention and the records older than
// the record retention.
func (s *Store) Prune(ctx context.Context) (Pruned, error) {
	now := s.now().UnixMilli()
	var p Pruned
	res, err := s.db.ExecContext(ctx, s.d.rebind(pruneBodiesSQL), now)
	if err != nil {
		return p, fmt.Errorf("history: prune bodies: %w", err)
	}
	p.Bodies, _ = res.RowsAffected()
	res, err = s.db.ExecContext(ctx, s.d.rebind(`DELETE FROM leadhook_deliveries WHERE received_at <= ?`), now-s.retention.Milliseconds())
	if err != nil {
		return p, fmt.Errorf("history: prune records: %w", err)
	}
	p.Records, _ = res.RowsAffected()
	return p, nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
