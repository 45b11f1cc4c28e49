package queue

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/leadhook/leadhook/handlers/history"
)

// openSQLite opens the embedded store: one file, owned by one process
// (an exclusive lock beside it), in WAL mode. A committed insert, which
// the 202 answer waits for, is in the WAL file: with synchronous=NORMAL
// (the default) that survives the process dying, with FULL (opts.Fsync)
// it is synced to disk before the answer, surviving power loss too.
func openSQLite(ctx context.Context, dir string, opts Options, w *worker) (backend, Store, func(), error) {
	if err := ensureDir(dir); err != nil {
		return nil, Store{}, nil, err
	}
	path := filepath.Join(dir, FileName)
	unlock := func() {}
	if !opts.ClientOnly {
		var err error
		if unlock, err = lockFile(path + ".lock"); err != nil {
			return nil, Store{}, nil, err
		}
	}
	q := url.Values{}
	sync := "synchronous(NORMAL)"
	if opts.Fsync {
		sync = "synchronous(FULL)"
	}
	// temp_store(MEMORY): the statement journal of a group commit (its
	// history records are behind a savepoint, so every page they change is
	// journaled first) outgrew SQLite's 64 KiB in-memory spill and went to
	// a temporary file created and written on every commit, 4% of the
	// intake's CPU in syscalls. wal_autocheckpoint: SQLite checkpoints on
	// the COMMIT that takes the WAL past this many pages, on the intake's
	// one connection; at the default 1,000 pages a batch of deliveries
	// crossed it every few commits and the checkpoint (writing each page
	// back to the database file, two fsyncs) was 10-15% of the intake's
	// CPU. At 4,000 (a 16 MiB WAL) the index pages every delivery touches
	// are written back once per four times as many deliveries. Neither
	// changes what a COMMIT makes durable.
	for _, p := range []string{"journal_mode(WAL)", sync, "busy_timeout(10000)", "foreign_keys(ON)", "temp_store(MEMORY)", fmt.Sprintf("wal_autocheckpoint(%d)", walAutocheckpoint)} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open(cachedDriverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		unlock()
		return nil, Store{}, nil, fmt.Errorf("queue: %w", err)
	}
	// SQLite takes one writer at a time; River's driver documents one
	// connection as the way to avoid SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	closer := func() { _ = db.Close(); unlock() }
	fail := func(err error) (backend, Store, func(), error) {
		closer()
		return nil, Store{}, nil, fmt.Errorf("queue: embedded store %q: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		return fail(err)
	}
	c, err := newRiver(ctx, riversqlite.New(db), opts, w, true)
	if err != nil {
		return fail(err)
	}
	// This process holds the file's lock, so a job still marked running
	// was being worked by a process that died (kill -9, power loss): it is
	// made available now instead of after RescueAfter.
	if !opts.ClientOnly {
		if _, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running' AND kind = ?`, Kind); err != nil {
			return fail(err)
		}
	}
	insert := func(ctx context.Context, tx *sql.Tx, ps []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
		return sqliteInsert(ctx, tx, opts.Now, ps)
	}
	b := &riverBackend[*sql.Tx]{c: c, name: "sqlite", tx: sqlTx(db), insertTx: insert, countF: func(ctx context.Context, states []rivertype.JobState) (int64, error) {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(states)), ",")
		args := []any{Kind}
		for _, s := range states {
			args = append(args, string(s))
		}
		var n int64
		err := db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = ? AND state IN (`+ph+`)`, args...).Scan(&n)
		return n, err
	}}
	return b, Store{DB: db, Dialect: "sqlite"}, closer, nil
}

// walAutocheckpoint is the WAL size, in pages, at which a commit of the
// embedded store checkpoints (SQLite's default: 1,000).
const walAutocheckpoint = 4000

// sqlTx are the transactions of database/sql.
func sqlTx(db *sql.DB) txFuncs[*sql.Tx] {
	return txFuncs[*sql.Tx]{
		begin: func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) },
		exec: func(tx *sql.Tx) history.Exec {
			return func(ctx context.Context, q string, args ...any) error {
				_, err := tx.ExecContext(ctx, q, args...)
				return err
			}
		},
		commit:   func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		rollback: func(_ context.Context, tx *sql.Tx) error { return tx.Rollback() },
	}
}

// errLocked names the embedded store's one-process rule.
func errLocked(path string) error {
	return fmt.Errorf("queue: the embedded store %q is in use by another leadhook process (one process per data directory; use LEADHOOK_STORE_URL=postgres://... for several replicas)", strings.TrimSuffix(path, ".lock"))
}
