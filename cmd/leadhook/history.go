package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/admin"
	"github.com/leadhook/leadhook/handlers/history"
	"github.com/leadhook/leadhook/rules"
)

// errNoStore is the error of the commands that read the delivery history
// when neither store is configured.
var errNoStore = errors.New("no delivery history store: set LEADHOOK_DATA_DIR (SQLite file " + history.FileName +
	" there) or LEADHOOK_STORE_URL (PostgreSQL), as for leadhook serve")

// historyWhere says where the history lives ("" when nowhere).
func (c *Config) historyWhere() string {
	switch {
	case c.StoreURL != "":
		return "postgres " + history.RedactURL(c.StoreURL)
	case c.DataDir != "":
		return "sqlite " + filepath.Join(c.DataDir, history.FileName)
	}
	return ""
}

// historyOptions are the history's retentions from the configuration.
func (c *Config) historyOptions() []history.Option {
	return []history.Option{history.WithBodyRetention(c.HistoryBodyRetention), history.WithRetention(c.HistoryRetention)}
}

// openHistory opens the delivery history: PostgreSQL at StoreURL, else
// the SQLite file under DataDir; errNoStore when neither is set.
func (c *Config) openHistory(ctx context.Context, opts ...history.Option) (*history.Store, error) {
	if errHistoryNotBuilt != nil && (c.StoreURL != "" || c.DataDir != "") {
		return nil, errHistoryNotBuilt
	}
	opts = append(c.historyOptions(), opts...)
	switch {
	case c.StoreURL != "":
		return history.OpenPostgres(ctx, c.StoreURL, opts...)
	case c.DataDir != "":
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		return history.OpenSQLite(ctx, filepath.Join(c.DataDir, history.FileName), opts...)
	}
	return nil, errNoStore
}

// serveHistory is the history leadhook serve records to. On the sandbox
// without a data dir it lives in a temporary directory (lost at exit, as
// the sandbox's contacts are); with credentials and no store it is off,
// with a warning. A store that cannot be opened is logged and left off:
// deliveries do not depend on it.
func (a *app) serveHistory(ctx context.Context) *history.Store {
	cfg := a.cfg
	if errHistoryNotBuilt != nil {
		a.log.Info("delivery history is off: " + errHistoryNotBuilt.Error())
		return nil
	}
	if cfg.StoreURL == "" && cfg.DataDir == "" && !cfg.Sandbox() {
		a.log.Warn("delivery history is off: set LEADHOOK_DATA_DIR or LEADHOOK_STORE_URL to keep it (and the admin page)")
		return nil
	}
	if a.queue != nil {
		return a.queueHistory(ctx)
	}
	if cfg.StoreURL == "" && cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "leadhook-sandbox-")
		if err != nil {
			a.log.Error("delivery history is off: no temporary directory", "err", err.Error())
			return nil
		}
		a.historyTmp = dir // removed by close
		sandboxed := *cfg
		sandboxed.DataDir = dir
		cfg = &sandboxed
	}
	st, err := cfg.openHistory(ctx)
	if err != nil {
		a.log.Error("delivery history is off: its store could not be opened", "store", cfg.historyWhere(), "err", err.Error())
		return nil
	}
	a.log.Info("delivery history", "store", cfg.historyWhere(), "body_retention", cfg.HistoryBodyRetention.String(),
		"retention", cfg.HistoryRetention.String())
	return st
}

// withHistory opens the delivery history and the shadow rules for the
// service. A shadow rules file that does not load is a configuration
// error (file:line messages, as for the live file).
func (a *app) withHistory(ctx context.Context, sc *handlers.Config) error {
	if a.cfg.ShadowRules != "" {
		set, err := rules.LoadFile(a.cfg.ShadowRules, a.cfg.loadOptions()...)
		if err != nil {
			return fmt.Errorf("shadow rules: %w", err)
		}
		sc.Shadow = set
		a.log.Info("shadow rules: every event is also evaluated offline by the candidate file", "file", a.cfg.ShadowRules, "sha256", set.Digest())
	}
	a.history = a.serveHistory(ctx)
	if a.history != nil { // never a nil *Store in the interface
		sc.History = a.history
	}
	return nil
}

// adminHandler is /admin/ when an admin token is set and the history is
// on (nil otherwise: /admin/ answers 404).
func (a *app) adminHandler() (http.Handler, error) {
	if a.cfg.AdminToken == "" || a.history == nil {
		return nil, nil
	}
	return admin.New(admin.Config{Store: a.history, Replayer: a.svc, Token: a.cfg.AdminToken, Logger: a.log})
}
