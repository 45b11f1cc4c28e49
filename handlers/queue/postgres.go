package queue

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/leadhook/leadhook/handlers/history"
)

// openPostgres opens the shared store on PostgreSQL. Replicas share the
// jobs; River elects one leader for rescues, retries and cleaning, and
// locks a job for the one worker that fetched it. A search_path in the
// URL selects the schema.
func openPostgres(ctx context.Context, dsn string, opts Options, w *worker) (backend, Store, func(), error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The URL may hold a password: name the problem, not the value.
		return nil, Store{}, nil, fmt.Errorf("queue: the store URL is not a valid postgres:// URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, Store{}, nil, fmt.Errorf("queue: postgres: %w", err)
	}
	fail := func(err error) (backend, Store, func(), error) {
		pool.Close()
		return nil, Store{}, nil, fmt.Errorf("queue: postgres %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	if err := pool.Ping(ctx); err != nil {
		return fail(err)
	}
	c, err := newRiver(ctx, riverpgxv5.New(pool), opts, w, false)
	if err != nil {
		return fail(err)
	}
	b := &riverBackend[pgx.Tx]{c: c, name: "postgres", tx: pgxTx(pool), countF: func(ctx context.Context, states []rivertype.JobState) (int64, error) {
		ss := make([]string, len(states))
		for i, s := range states {
			ss[i] = string(s)
		}
		var n int64
		err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state::text = ANY($2)`, Kind, ss).Scan(&n)
		return n, err
	}}
	db := stdlib.OpenDBFromPool(pool)
	return b, Store{DB: db, Pool: pool, Dialect: "postgres"}, func() { _ = db.Close(); pool.Close() }, nil
}

// pgxTx are the transactions of the pgx pool.
func pgxTx(pool *pgxpool.Pool) txFuncs[pgx.Tx] {
	return txFuncs[pgx.Tx]{
		begin: func(ctx context.Context) (pgx.Tx, error) { return pool.Begin(ctx) },
		exec: func(tx pgx.Tx) history.Exec {
			return func(ctx context.Context, q string, args ...any) error {
				_, err := tx.Exec(ctx, q, args...)
				return err
			}
		},
		commit:   func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
		rollback: func(ctx context.Context, tx pgx.Tx) error { return tx.Rollback(ctx) },
	}
}
