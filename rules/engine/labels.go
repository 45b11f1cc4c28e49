package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// labelCache maps label names (case-insensitive) to Deskera ids.
type labelCache struct {
	mu     sync.RWMutex
	byName map[string]deskera.ID
	byID   map[deskera.ID]string
}

func (c *labelCache) get(name string) (deskera.ID, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var buf [64]byte
	id, ok := c.byName[string(appendLower(buf[:0], name))] // string(bytes) as a map key: no copy
	return id, ok
}

// appendLower appends strings.ToLower(s) to dst; an ASCII name (a label's,
// as a rule spells it) is lowered in place, without a new string.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(dst, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func (c *labelCache) name(id deskera.ID) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byID[id]
}

func (c *labelCache) put(name string, id deskera.ID) {
	if c.byName == nil {
		c.byName, c.byID = map[string]deskera.ID{}, map[deskera.ID]string{}
	}
	c.byName[strings.ToLower(name)] = id
	c.byID[id] = name
}

// refresh reloads the label list; record (when not nil) is told the call.
func (c *labelCache) refresh(ctx context.Context, crm CRM, record func(Call)) error {
	if record != nil {
		record(Call{Op: "labels.list", Method: "GET", Path: "/v1/crm/contacts/labels"})
	}
	labels, err := crm.ListLabels(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byName, c.byID = nil, nil
	for _, l := range labels {
		c.put(l.Name, l.ID)
	}
	return nil
}

func (c *labelCache) create(ctx context.Context, crm CRM, l rules.Label, record func(Call)) (deskera.ID, error) {
	req := &deskera.LabelRequest{Name: l.Name, Color: l.Color, Icon: l.Icon}
	if record != nil {
		record(Call{Op: "labels.create", Method: "POST", Path: "/v1/crm/contacts/labels", Body: req})
	}
	id, err := crm.CreateLabel(ctx, req)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(l.Name, id)
	return id, nil
}

// resolveLabel returns the id of the named label: from the cache, else
// after refreshing the list, else by creating it when the set declares it
// with create: true. In a dry run the calls are recorded, not made (the id
// of a label still to be created is 0).
func (e *Engine) resolveLabel(ctx context.Context, set *rules.Set, name string, dry bool, record func(Call)) (deskera.ID, error) {
	if id, ok := e.labels.get(name); ok {
		return id, nil
	}
	decl, declared := set.Label(name)
	if dry {
		record(Call{Op: "labels.list", Method: "GET", Path: "/v1/crm/contacts/labels"})
		if declared && decl.Create {
			record(Call{Op: "labels.create", Method: "POST", Path: "/v1/crm/contacts/labels",
				Body: &deskera.LabelRequest{Name: decl.Name, Color: decl.Color, Icon: decl.Icon}})
		}
		return 0, nil
	}
	if err := e.labels.refresh(ctx, e.crm, record); err != nil {
		return 0, fmt.Errorf("engine: list labels: %w", err)
	}
	if id, ok := e.labels.get(name); ok {
		return id, nil
	}
	if !declared || !decl.Create {
		return 0, fmt.Errorf("%w: %q", rules.ErrLabelNotFound, name)
	}
	id, err := e.labels.create(ctx, e.crm, decl, record)
	if err != nil {
		return 0, fmt.Errorf("engine: create label %q: %w", name, err)
	}
	return id, nil
}
