package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Score combination policies (`scoring.combine`).
const (
	// CombineMax keeps the higher of the stored (decayed) score and the
	// event's: a thinner event never lowers a lead.
	CombineMax = "max"
	// CombineLatest takes the latest event's score.
	CombineLatest = "latest"
)

// Default names of the custom fields the score is stored in.
const (
	DefaultScoreField      = "Lead score"
	DefaultScoreAtField    = "Lead score at"
	DefaultScorePartsField = "Lead score parts"
)

// ScorePolicy says where a contact's score is kept between events and how
// a new event's score combines with it (`scoring`).
type ScorePolicy struct {
	// Store: write the score to the contact and read it back (default
	// true; only when the rules file has scores).
	Store bool `json:"store"`
	// Field, AtField and PartsField are the custom fields (names or
	// codes) holding the score, when it was last raised (RFC 3339) and
	// its parts ("budget=40; business_email=20"; "" = not stored).
	Field      string `json:"field"`
	AtField    string `json:"at_field"`
	PartsField string `json:"parts_field,omitempty"`
	// Combine is CombineMax (default) or CombineLatest.
	Combine string `json:"combine"`
	// HalfLife decays the stored score: after one half-life it counts
	// half (0: no decay).
	HalfLife time.Duration `json:"half_life,omitempty"`
}

// defaultScorePolicy is the policy of a rules file without `scoring`.
func defaultScorePolicy() ScorePolicy {
	return ScorePolicy{Store: true, Field: DefaultScoreField, AtField: DefaultScoreAtField,
		PartsField: DefaultScorePartsField, Combine: CombineMax}
}

// StoredScore is a score as kept on a contact.
type StoredScore struct {
	Score  float64            `json:"score"`
	Scores map[string]float64 `json:"scores,omitempty"`
	At     time.Time          `json:"at"`
}

// Scoring says how a plan's score was made: the stored score (as read and
// as decayed to the event's time), the event's own score, which one the
// policy took, and what is written back to the contact.
type Scoring struct {
	Combine string `json:"combine"`
	// Stored is the contact's stored score as read (nil: none).
	Stored *StoredScore `json:"stored,omitempty"`
	// StoredScore is Stored decayed to the event's time (0 without one).
	StoredScore float64 `json:"stored_score"`
	// EventScore and EventScores are the event's own score and parts.
	EventScore  float64            `json:"event_score"`
	EventScores map[string]float64 `json:"event_scores,omitempty"`
	// From is "event" or "stored": whose score (and parts) the plan uses.
	From string `json:"from"`
	// Write is the score written to the contact with the plan's POST or
	// PATCH (nil: the stored one stands, or storing is off).
	Write *StoredScore `json:"write,omitempty"`
	// Problem says why a stored value was ignored (not a number, ...).
	Problem string `json:"problem,omitempty"`
	// write is where Write points (one allocation per evaluation).
	write StoredScore
}

// Scoring returns the score policy (defaults applied).
func (s *Set) Scoring() ScorePolicy { return s.scoring }

// storesScore reports whether scores are written to and read from contacts.
func (s *Set) storesScore() bool { return s.scoring.Store && len(s.scores) > 0 }

// decayTolerance is how far decay must have lowered a stored score before
// an event with the same score writes it again (to refresh when it was
// last raised): a lead that keeps sending the same form costs a PATCH only
// every so often, not on every repeat.
const decayTolerance = 0.5

// combine combines the event's score (plan.Score, plan.Scores) with the
// contact's stored score at now, setting the plan's score to the result
// and recording how in plan.Scoring. event is false in the sweep, which
// learns nothing new about a lead: it then carries no score of its own
// whenever a stored score exists.
func (s *Set) combine(plan *Plan, c *Contact, now time.Time, event bool) {
	if !s.storesScore() {
		return
	}
	s.combineInto(plan, &Scoring{}, c, now, event)
}

// combineInto is combine recording into sc (zero), which the plan keeps.
func (s *Set) combineInto(plan *Plan, sc *Scoring, c *Contact, now time.Time, event bool) {
	if !s.storesScore() {
		return
	}
	*sc = Scoring{Combine: s.scoring.Combine, EventScore: plan.Score, EventScores: plan.Scores, From: "event"}
	plan.Scoring = sc
	stored, problem := s.readStored(c)
	sc.Problem = problem
	// The event's score as it would be stored (parts with zeros: they are
	// left out when written).
	sc.write = StoredScore{Score: round2(plan.Score), Scores: plan.Scores, At: now.UTC().Truncate(time.Second)}
	if stored == nil {
		if event {
			sc.Write = &sc.write
		}
		return
	}
	sc.Stored = stored
	factor := s.decay(stored.At, now)
	sc.StoredScore = round2(stored.Score * factor)
	takeStored := !event || s.scoring.Combine == CombineMax && sc.StoredScore >= plan.Score
	if takeStored {
		sc.From = "stored"
		plan.Score = sc.StoredScore
		plan.Scores = make(map[string]float64, len(s.scores))
		for _, d := range s.scores {
			plan.Scores[d.name] = round2(stored.Scores[d.name] * factor)
		}
		return
	}
	if s.sameStored(stored, &sc.write, sc.StoredScore) {
		return
	}
	sc.Write = &sc.write
}

// sameStored reports whether writing rec would change nothing worth a
// PATCH: the same score and parts, and decay has not yet lowered the
// stored score by decayTolerance (so refreshing its time can wait).
func (s *Set) sameStored(stored, rec *StoredScore, decayed float64) bool {
	if formatScore(stored.Score) != formatScore(rec.Score) {
		return false
	}
	if s.scoring.PartsField != "" && s.formatParts(stored.Scores) != s.formatParts(rec.Scores) {
		return false
	}
	return stored.Score-decayed < decayTolerance
}

// decay is the factor a score raised at `at` is worth at now.
func (s *Set) decay(at, now time.Time) float64 {
	if s.scoring.HalfLife <= 0 || at.IsZero() || now.IsZero() || !now.After(at) {
		return 1
	}
	return math.Exp2(-float64(now.Sub(at)) / float64(s.scoring.HalfLife))
}

// readStored reads the contact's stored score; a value that is not one is
// ignored (and said why), so the next event writes a fresh one.
func (s *Set) readStored(c *Contact) (*StoredScore, string) {
	if c == nil || c.CustomField == nil {
		return nil, ""
	}
	p := &s.scoring
	raw, ok := c.CustomField[p.Field]
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, ""
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Sprintf("custom field %q is %q, not a number; ignored", p.Field, raw)
	}
	st := &StoredScore{Score: v}
	if at := strings.TrimSpace(c.CustomField[p.AtField]); at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return st, fmt.Sprintf("custom field %q is %q, not an RFC 3339 time; the score is not decayed", p.AtField, at)
		}
		st.At = t
	}
	if p.PartsField != "" {
		st.Scores = parseParts(c.CustomField[p.PartsField])
	}
	return st, ""
}

// StoredField is one custom field (name or code) and the value written to it.
type StoredField struct{ Key, Value string }

// AppendStoredFields appends to dst the custom fields that store rec.
func (s *Set) AppendStoredFields(dst []StoredField, rec *StoredScore) []StoredField {
	p := &s.scoring
	dst = append(dst, StoredField{p.Field, formatScore(rec.Score)}, StoredField{p.AtField, rec.At.UTC().Format(time.RFC3339)})
	if p.PartsField != "" {
		dst = append(dst, StoredField{p.PartsField, s.formatParts(rec.Scores)})
	}
	return dst
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func formatScore(v float64) string { return strconv.FormatFloat(round2(v), 'f', -1, 64) }

// appendScore appends formatScore(v) to dst.
func appendScore(dst []byte, v float64) []byte {
	return strconv.AppendFloat(dst, round2(v), 'f', -1, 64)
}

// formatParts writes the non-zero parts in the rules file's order:
// "budget=40; business_email=20".
func (s *Set) formatParts(parts map[string]float64) string {
	var buf [128]byte // appended to in place: one allocation, the string
	b := buf[:0]
	for _, d := range s.scores {
		v := round2(parts[d.name])
		if v == 0 {
			continue
		}
		if len(b) > 0 {
			b = append(b, "; "...)
		}
		b = appendScore(append(append(b, d.name...), '='), v)
	}
	return string(b)
}

// parseParts reads formatParts' output; malformed entries are skipped.
func parseParts(v string) map[string]float64 {
	out := map[string]float64{}
	for _, item := range strings.Split(v, ";") {
		name, num, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(num), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			out[strings.TrimSpace(name)] = f
		}
	}
	return out
}

// parseHalfLife reads a duration written as Go does (720h) or in days or
// weeks (30d, 2w, 1.5d).
func parseHalfLife(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f*float64(unit) > math.MaxInt64 {
				return 0, fmt.Errorf("%q is not a duration", s)
			}
			return time.Duration(f * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	return d, nil
}
