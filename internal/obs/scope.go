package obs

import (
	"context"
	"log/slog"
	"slices"
	"sync"
)

// Log attribute keys shared by every package.
const (
	KeyRequestID  = "request_id"
	KeyDeliveryID = "delivery_id"
	KeyTraceID    = "trace_id"
	KeySpanID     = "span_id"
)

// scope holds the attributes of one delivery. It lives in the delivery's
// context and is filled as they become known (the delivery id only after
// parsing), so a line logged by the transport after the service answered
// still carries them.
type scope struct {
	mu    sync.Mutex
	attrs []slog.Attr
	// inline holds attrs while they fit (request_id, delivery_id and a
	// transport's own): a delivery's scope is one allocation.
	inline [scopeInline]slog.Attr
}

// scopeInline is how many attributes a scope holds without growing.
const scopeInline = 4

type scopeKey struct{}

// scopeCtx is a context carrying its scope: the scope and the context
// holding it are one allocation (context.WithValue would be a second).
// Everything but the scope is its parent's (Done, Deadline, Err and
// every other value: the context package finds a parent's cancellation
// through Value, so derived contexts still attach to it directly).
type scopeCtx struct {
	context.Context
	s scope
}

func (c *scopeCtx) Value(key any) any {
	if key == (scopeKey{}) {
		return &c.s
	}
	return c.Context.Value(key)
}

func scopeOf(ctx context.Context) *scope {
	s, _ := ctx.Value(scopeKey{}).(*scope)
	return s
}

// NewScope starts the scope of one delivery: it inherits the attributes
// of an enclosing scope (a Lambda invocation's aws_request_id for each of
// its SQS records) and keeps its own from then on.
func NewScope(ctx context.Context) context.Context {
	c := &scopeCtx{Context: ctx}
	s := &c.s
	s.attrs = s.inline[:0]
	if parent := scopeOf(ctx); parent != nil {
		parent.mu.Lock()
		s.attrs = append(s.attrs, parent.attrs...)
		parent.mu.Unlock()
	}
	return c
}

// EnsureScope returns ctx when it already has a scope, else NewScope(ctx).
func EnsureScope(ctx context.Context) context.Context {
	if scopeOf(ctx) != nil {
		return ctx
	}
	return NewScope(ctx)
}

// Set adds (or replaces) an attribute of the delivery in ctx's scope; it
// does nothing without a scope or for an empty value.
func Set(ctx context.Context, key, value string) {
	s := scopeOf(ctx)
	if s == nil || value == "" {
		return
	}
	a := slog.String(key, value)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(s.attrs, func(o slog.Attr) bool { return o.Key == key }); i >= 0 {
		s.attrs[i] = a
		return
	}
	s.attrs = append(s.attrs, a)
}

// Attrs returns the attributes in ctx's scope (nil without one).
func Attrs(ctx context.Context) []slog.Attr {
	if s := scopeOf(ctx); s != nil {
		return s.snapshot()
	}
	return nil
}

// Get returns the string value of key in ctx's scope ("" when unset).
func Get(ctx context.Context, key string) string {
	s := scopeOf(ctx)
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.attrs {
		if a.Key == key {
			return a.Value.String()
		}
	}
	return ""
}

// addTo adds the scope's attributes to r (without copying them first).
func (s *scope) addTo(r *slog.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.AddAttrs(s.attrs...)
}

// empty reports whether the scope has no attributes yet.
func (s *scope) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.attrs) == 0
}

// RequestID is the request id of ctx's delivery ("" when none was set).
func RequestID(ctx context.Context) string { return Get(ctx, KeyRequestID) }

func (s *scope) snapshot() []slog.Attr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.attrs)
}
