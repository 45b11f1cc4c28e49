package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
	"github.com/leadhook/leadhook/rules/reload"
)

// newReloader follows the rules file for serve: a valid new file gets its
// labels prepared and its sources rebuilt, then replaces the rules in
// force; in-flight events keep the set they started with (the service
// reads it once per delivery).
func (a *app) newReloader(set *rules.Set, eng *engine.Engine, m *handlers.Metrics, opts ...reload.Option) (*reload.Reloader, error) {
	apply := func(ctx context.Context, next *rules.Set) error {
		if err := eng.Prepare(ctx, next); err != nil {
			if errors.Is(err, rules.ErrLabelNotFound) {
				return err // a configuration problem: keep the old rules
			}
			// Deskera unreachable: labels resolve lazily when it is back.
			a.log.Warn("preparing the reloaded rules' labels failed; they resolve on first use", "err", err.Error())
		}
		if err := a.svc.SetRules(next); err != nil {
			return fmt.Errorf("sources: %w", err)
		}
		return nil
	}
	opts = append([]reload.Option{reload.WithInitial(set), reload.WithLogger(a.log),
		reload.WithRegisterer(m.Registry), reload.WithApply(apply), reload.WithLoadOptions(a.cfg.loadOptions()...)}, opts...)
	return reload.New(a.cfg.Rules, opts...)
}

// rulesStatus is the /readyz detail about the rules in force.
func (a *app) rulesStatus() any {
	if a.reloader == nil {
		return nil
	}
	return a.reloader.Status()
}
