package queue

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"

	"modernc.org/sqlite"
)

// cachedDriverName is the database/sql driver of the embedded store:
// modernc.org/sqlite with its statements kept prepared per connection.
// River's SQLite driver runs the same few queries with new arguments,
// and preparing its job insert (a JSON-fed, multi-row INSERT ... ON
// CONFLICT ... RETURNING) took half of an intake's CPU when each call
// parsed it again.
const cachedDriverName = "leadhook-sqlite"

func init() { sql.Register(cachedDriverName, cachingDriver{}) }

// maxCachedStmts bounds a connection's prepared statements.
const maxCachedStmts = 128

type cachingDriver struct{}

func (cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := (&sqlite.Driver{}).Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: c, stmts: map[string]*cachedStmt{}}, nil
}

// innerConn is what modernc.org/sqlite's connection implements.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is one SQLite connection whose statements are prepared
// once. database/sql uses a connection from one goroutine at a time; a
// statement whose rows are still open is not reused (a second query of
// the same text meanwhile is prepared on its own).
type cachingConn struct {
	inner driver.Conn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	s    driver.Stmt
	busy bool // its rows are open
}

func (c *cachingConn) in() (innerConn, error) {
	ic, ok := c.inner.(innerConn)
	if !ok {
		return nil, errors.New("queue: the sqlite driver's connection lacks a context method")
	}
	return ic, nil
}

// stmt returns the cached statement of query (preparing it), or nil when
// it is busy or the cache is full: then the connection runs query itself.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, innerConn, error) {
	ic, err := c.in()
	if err != nil {
		return nil, nil, err
	}
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, ic, nil
		}
		return cs, ic, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, ic, nil
	}
	s, err := ic.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	cs := &cachedStmt{s: s}
	c.stmts[query] = cs
	return cs, ic, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, ic, err := c.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case cs == nil:
		return ic.ExecContext(ctx, query, args)
	}
	return cs.s.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, ic, err := c.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case cs == nil:
		return ic.QueryContext(ctx, query, args)
	}
	r, err := cs.s.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: r, cs: cs}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	ic, err := c.in()
	if err != nil {
		return nil, err
	}
	return ic.PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) { //nolint:staticcheck // driver.Conn requires it
	return c.inner.Begin() //nolint:staticcheck // driver.Conn requires it
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	ic, err := c.in()
	if err != nil {
		return nil, err
	}
	return ic.BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	ic, err := c.in()
	if err != nil {
		return err
	}
	return ic.Ping(ctx)
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	ic, err := c.in()
	if err != nil {
		return err
	}
	return ic.ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool {
	ic, err := c.in()
	return err == nil && ic.IsValid()
}

// Close finalises the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.s.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.inner.Close())
	return errors.Join(errs...)
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
