package history

import (
	"errors"
	"math"
	"slices"
	"strconv"

	"github.com/leadhook/leadhook/internal/jsontext"
)

// errUnsupportedFloat is what appendStored answers for a NaN or infinite
// score; RecordOn then lets encoding/json report it.
var errUnsupportedFloat = errors.New("history: unsupported float")

// appendStored appends the JSON document of r to b: byte for byte what
// json.Marshal writes for it (TestAppendStoredIsJSONMarshal holds it to
// that), without reflection. A record is encoded once per delivery on
// the delivery's own goroutine, and encoding/json's reflection (its map
// encoder above all: a value and a sort per scores map) was most of the
// record's allocations.
func appendStored(b []byte, r *storedRecord) ([]byte, error) {
	w := jw{b: b}
	w.raw(`{`)
	if r.RequestID != "" {
		w.raw(`"request_id":`).str(r.RequestID).raw(`,`)
	}
	w.raw(`"status":`).int(int64(r.Status))
	if len(r.ContactIDs) > 0 {
		w.raw(`,"contact_ids":[`)
		for i, id := range r.ContactIDs {
			w.sep(i).int(id)
		}
		w.raw(`]`)
	}
	w.raw(`,"events":`)
	if r.Events == nil {
		w.raw(`null`)
	} else {
		w.raw(`[`)
		for i := range r.Events {
			w.sep(i).event(&r.Events[i])
		}
		w.raw(`]`)
	}
	if len(r.Header) > 0 {
		w.raw(`,"header":`).strMap(r.Header)
	}
	if len(r.Query) > 0 {
		w.raw(`,"query":`).strMap(r.Query)
	}
	w.raw(`}`)
	return w.b, w.err
}

// jw appends JSON to b; err is set by a value JSON cannot hold.
type jw struct {
	b   []byte
	err error
}

func (w *jw) raw(s string) *jw { w.b = append(w.b, s...); return w }

func (w *jw) sep(i int) *jw {
	if i > 0 {
		w.b = append(w.b, ',')
	}
	return w
}

func (w *jw) int(n int64) *jw { w.b = strconv.AppendInt(w.b, n, 10); return w }

// float is encoding/json's float64 encoding (ES6 number formatting).
func (w *jw) float(f float64) *jw {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		w.err = errUnsupportedFloat
		return w
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9, as encoding/json
		n := len(w.b)
		if n >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
			w.b[n-2] = w.b[n-1]
			w.b = w.b[:n-1]
		}
	}
	return w
}

// str is s as a JSON string, escaped as encoding/json escapes it.
func (w *jw) str(s string) *jw {
	w.b = append(jsontext.AppendEscaped(append(w.b, '"'), s), '"')
	return w
}

// optStr is `,"name":"s"` unless s is empty (omitempty).
func (w *jw) optStr(key, s string) *jw {
	if s != "" {
		w.raw(key).str(s)
	}
	return w
}

// optInt is `,"name":n` unless n is 0 (omitempty).
func (w *jw) optInt(key string, n int64) *jw {
	if n != 0 {
		w.raw(key).int(n)
	}
	return w
}

// strs is a []string ("null" when nil, as encoding/json).
func (w *jw) strs(ss []string) *jw {
	if ss == nil {
		return w.raw(`null`)
	}
	w.raw(`[`)
	for i, s := range ss {
		w.sep(i).str(s)
	}
	return w.raw(`]`)
}

// strMap and floatMap are maps in key order, as encoding/json sorts them.
func (w *jw) strMap(m map[string]string) *jw { return sortedMap(w, m) }

func (w *jw) floatMap(m map[string]float64) *jw { return sortedMap(w, m) }

func sortedMap[V string | float64](w *jw, m map[string]V) *jw {
	var small [16]string
	w.raw(`{`)
	for i, k := range sortedKeys(small[:0], m) {
		w.sep(i).str(k).raw(`:`)
		switch v := any(m[k]).(type) {
		case string:
			w.str(v)
		case float64:
			w.float(v)
		}
	}
	return w.raw(`}`)
}

// sortedKeys appends m's keys to keys (a small map's fit the caller's
// stack array) and sorts them.
func sortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (w *jw) event(e *Event) {
	w.raw(`{"event_id":`).str(e.EventID)
	w.optStr(`,"kind":`, e.Kind).optStr(`,"email":`, e.Email)
	w.raw(`,"outcome":`).str(e.Outcome)
	w.optStr(`,"error":`, e.Error)
	w.raw(`,"score":`).float(e.Score)
	if len(e.Scores) > 0 {
		w.raw(`,"scores":`).floatMap(e.Scores)
	}
	w.optStr(`,"score_label":`, e.ScoreLabel).optStr(`,"label":`, e.Label)
	w.raw(`,"matched":`).strs(e.Matched)
	if len(e.Errored) > 0 {
		w.raw(`,"errored":[`)
		for i, x := range e.Errored {
			w.sep(i).raw(`{"rule":`).str(x.Rule).raw(`,"error":`).str(x.Error).raw(`}`)
		}
		w.raw(`]`)
	}
	if len(e.Planned) > 0 {
		w.raw(`,"planned":[`)
		for i, c := range e.Planned {
			w.sep(i).raw(`{"op":`).str(c.Op).raw(`,"method":`).str(c.Method).raw(`,"path":`).str(c.Path)
			w.optStr(`,"body":`, c.Body).raw(`}`)
		}
		w.raw(`]`)
	}
	if len(e.Made) > 0 {
		w.raw(`,"made":[`)
		for i, c := range e.Made {
			w.sep(i).raw(`{"op":`).str(c.Op).raw(`,"method":`).str(c.Method).raw(`,"path":`).str(c.Path)
			w.raw(`,"status":`).int(int64(c.Status)).raw(`,"duration_ms":`).float(c.DurationMS)
			w.raw(`,"attempt":`).int(int64(c.Attempt)).raw(`}`)
		}
		w.raw(`]`)
	}
	if len(e.Actions) > 0 {
		w.raw(`,"actions":[`)
		for i, a := range e.Actions {
			w.sep(i).raw(`{"rule":`).str(a.Rule).raw(`,"type":`).str(a.Type)
			w.optInt(`,"contact_id":`, a.ContactID)
			w.raw(`,"outcome":`).str(a.Outcome).optStr(`,"error":`, a.Error).raw(`}`)
		}
		w.raw(`]`)
	}
	w.optInt(`,"owner":`, e.Owner)
	if sh := e.Shadow; sh != nil {
		w.raw(`,"shadow":{"rules_version":`).str(sh.RulesVersion)
		w.raw(`,"matched":`).strs(sh.Matched)
		w.raw(`,"score":`).float(sh.Score)
		w.optStr(`,"label":`, sh.Label).optInt(`,"owner":`, sh.Owner)
		if len(sh.Planned) > 0 {
			w.raw(`,"planned":`).strs(sh.Planned)
		}
		if len(sh.Differences) > 0 {
			w.raw(`,"differences":`).strs(sh.Differences)
		}
		w.optStr(`,"error":`, sh.Error).raw(`}`)
	}
	w.raw(`}`)
}
