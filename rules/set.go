package rules

import (
	"sort"
	"strings"
	"sync"

	"github.com/expr-lang/expr/vm"
)

// Label is a label the rules file declares (`labels`).
type Label struct {
	Name  string `json:"name"`
	Color string `json:"color,omitempty"`
	Icon  string `json:"icon,omitempty"`
	// Create: create the label in Deskera when it does not exist.
	Create bool `json:"create,omitempty"`
	Line   int  `json:"-"`
}

// Pool is a named owner pool (`owners`) for assign_owner routing.
type Pool struct {
	Name   string  `json:"name"`
	Owners []Owner `json:"owners"`
	Line   int     `json:"-"`
}

// Owner is one member of a pool; Weight defaults to 1.
type Owner struct {
	ID     int64   `json:"id"`
	Weight float64 `json:"weight"`
}

// Threshold maps a total score of at least Min to Label.
type Threshold struct {
	Min   float64 `json:"min"`
	Label string  `json:"label"`
}

// SweepPolicy configures the scoring sweep (`sweep`).
type SweepPolicy struct {
	// When filters the contacts the sweep relabels ("" = all).
	When string `json:"when,omitempty"`
	// PageSize is the page size for listing contacts (default 100).
	PageSize int `json:"page_size"`
	// ChunkSize is the most ids in one bulk PATCH (default 100).
	ChunkSize int `json:"chunk_size"`
	// KeepLabels are labels the sweep never changes (e.g. "Customer").
	KeepLabels []string `json:"keep_labels,omitempty"`
	// Rules are the owner rules (`sweep.rules`): contacts they match are
	// reassigned in the same bulk PATCHes as the relabelling.
	Rules []SweepRule `json:"rules,omitempty"`
	when  *vm.Program
}

// Default sweep sizes.
const (
	DefaultPageSize  = 100
	DefaultChunkSize = 100
)

// RuleInfo describes one rule of a Set.
type RuleInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Enabled     bool     `json:"enabled"`
	When        string   `json:"when"`
	Actions     []string `json:"actions"`
	Stop        bool     `json:"stop,omitempty"`
	Line        int      `json:"line"`
}

// Set is a loaded, compiled rules file. It is immutable and safe for
// concurrent use.
type Set struct {
	file       string
	digest     string // sha256 (hex) of the file's content
	labels     []Label
	labelIdx   map[string]int // lower(name) -> index in labels
	pools      map[string]*Pool
	sources    map[string]Source
	scores     []scoreDef
	scoring    ScorePolicy
	thresholds []Threshold
	sweep      SweepPolicy
	rules      []*rule
	matchOn    string
	warnings   []Problem
	vms        sync.Pool // of *runner
	// byValue are the programs that run on a valueEnv (see runsByValue).
	byValue map[*vm.Program]bool
}

// Warnings returns the pitfalls found at load that cannot be proven wrong
// (a field of a contact that may not exist); `leadhook validate` shows
// them and --strict fails on them.
func (s *Set) Warnings() []Problem { return s.warnings }

type scoreDef struct {
	name string
	src  string
	prog *vm.Program
	line int
}

func newSet(file string) *Set {
	s := &Set{
		file:     file,
		labelIdx: map[string]int{},
		pools:    map[string]*Pool{},
		sources:  map[string]Source{},
		sweep:    SweepPolicy{PageSize: DefaultPageSize, ChunkSize: DefaultChunkSize},
		scoring:  defaultScorePolicy(),
		matchOn:  MatchEmail,
	}
	s.vms.New = func() any { return &runner{vm: vm.VM{MemoryBudget: MemoryBudget}} }
	return s
}

// MemoryBudget bounds what one expression may allocate per evaluation
// (expr's unit: roughly elements of ranges, maps and filters): beyond it
// the expression fails with "memory budget exceeded" and the other rules
// go on, so a huge field cannot make a rule exhaust memory.
const MemoryBudget = 1_000_000

// finish orders thresholds and picks the lookup key for Process.
func (s *Set) finish() {
	s.byValue = s.byValuePrograms()
	sort.SliceStable(s.thresholds, func(i, j int) bool { return s.thresholds[i].Min > s.thresholds[j].Min })
	for _, r := range s.rules {
		for _, a := range r.actions {
			if a.typ == ActionUpsertContact {
				s.matchOn = a.matchOn
				return
			}
		}
	}
}

// File returns the file name the set was loaded from.
func (s *Set) File() string { return s.file }

// Digest is the SHA-256 (hex) of the rules file's content: the rules
// version a delivery ran on.
func (s *Set) Digest() string { return s.digest }

// Sources returns the declared sources sorted by name.
func (s *Set) Sources() []Source {
	out := make([]Source, 0, len(s.sources))
	for _, src := range s.sources {
		out = append(out, src)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Source returns the source called name.
func (s *Set) Source(name string) (Source, bool) {
	src, ok := s.sources[name]
	return src, ok
}

// MatchOn is what upserts find the contact by (MatchEmail or MatchPhone).
func (s *Set) MatchOn() string { return s.matchOn }

// Labels returns the declared labels in file order.
func (s *Set) Labels() []Label { return append([]Label(nil), s.labels...) }

// Label returns the declared label called name (case-insensitive).
func (s *Set) Label(name string) (Label, bool) {
	i, ok := s.labelIdx[strings.ToLower(name)]
	if !ok {
		return Label{}, false
	}
	return s.labels[i], true
}

// Pool returns the declared owner pool called name.
func (s *Set) Pool(name string) (Pool, bool) {
	p, ok := s.pools[name]
	if !ok {
		return Pool{}, false
	}
	cp := *p
	cp.Owners = append([]Owner(nil), p.Owners...)
	return cp, true
}

// Pools returns the owner pools sorted by name.
func (s *Set) Pools() []Pool {
	out := make([]Pool, 0, len(s.pools))
	for name := range s.pools {
		p, _ := s.Pool(name)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Thresholds returns the score thresholds, highest first.
func (s *Set) Thresholds() []Threshold { return append([]Threshold(nil), s.thresholds...) }

// Sweep returns the sweep policy (defaults applied).
func (s *Set) Sweep() SweepPolicy {
	p := s.sweep
	p.KeepLabels = append([]string(nil), p.KeepLabels...)
	p.Rules = append([]SweepRule(nil), p.Rules...)
	return p
}

// Rules describes the rules in file order.
func (s *Set) Rules() []RuleInfo {
	out := make([]RuleInfo, len(s.rules))
	for i, r := range s.rules {
		info := RuleInfo{Name: r.name, Description: r.description, Enabled: r.enabled, When: r.whenSrc, Stop: r.stop, Line: r.line}
		for _, a := range r.actions {
			info.Actions = append(info.Actions, a.typ)
		}
		out[i] = info
	}
	return out
}

// ScoreLabel maps a total score to a label name by the thresholds ("" when
// no threshold applies).
func (s *Set) ScoreLabel(score float64) string {
	for _, t := range s.thresholds {
		if score >= t.Min {
			return t.Label
		}
	}
	return ""
}
