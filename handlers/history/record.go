package history

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Delivery modes.
const (
	ModeSync   = "sync"   // acted while the sender waited
	ModeQueued = "queued" // accepted, then acted by a worker
)

// Outcomes of a delivery, besides the handlers' event outcomes (ok,
// failed, retry) that a sync delivery ends with.
const (
	OutcomeOK     = "ok"
	OutcomeFailed = "failed"
	OutcomeRetry  = "retry"
	OutcomeQueued = "queued" // accepted, waiting for (another) attempt
	OutcomeDead   = "dead"   // dead-lettered: given up on, kept for retry-dead
)

// Record is the audit of one delivery (all its events). A delivery
// processed again (the sender's retry, a queue attempt, a replay) updates
// its record: Attempts counts the times it ran.
type Record struct {
	// ID is the record's id (ID(source, deliveryID), or random when the
	// delivery carried no id).
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Source     string    `json:"source"`
	DeliveryID string    `json:"delivery_id,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	Mode       string    `json:"mode"`
	// RulesVersion is the sha256 (hex) of the rules file it last ran on.
	RulesVersion string `json:"rules_version"`
	// Outcome is the worst event outcome (ok, failed, retry), or queued
	// or dead for a queued delivery between attempts and given up on.
	Outcome       string     `json:"outcome"`
	Status        int        `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	ContactIDs    []int64    `json:"contact_ids,omitempty"`
	Events        []Event    `json:"events"`
	// ShadowDiffers is set when a shadow rules file decided otherwise
	// for at least one event (see Event.Shadow).
	ShadowDiffers bool `json:"shadow_differs,omitempty"`
	// Body and Header are the raw delivery, kept for replay only for
	// queued and dead-lettered deliveries and until BodyExpiresAt.
	Body          []byte            `json:"body,omitempty"`
	Header        map[string]string `json:"header,omitempty"`
	Query         map[string]string `json:"query,omitempty"`
	BodyExpiresAt *time.Time        `json:"body_expires_at,omitempty"`
}

// Event is what the rules decided and did for one event of a delivery.
type Event struct {
	EventID string `json:"event_id"`
	Kind    string `json:"kind,omitempty"`
	// Email is masked ("j***@example.com").
	Email      string             `json:"email,omitempty"`
	Outcome    string             `json:"outcome"`
	Error      string             `json:"error,omitempty"`
	Score      float64            `json:"score"`
	Scores     map[string]float64 `json:"scores,omitempty"`
	ScoreLabel string             `json:"score_label,omitempty"`
	// Label is the label the rules assigned (their last assign_label).
	Label   string      `json:"label,omitempty"`
	Matched []string    `json:"matched"`
	Errored []RuleError `json:"errored,omitempty"`
	// Planned are the Deskera calls the engine decided on (bodies masked).
	Planned []PlannedCall `json:"planned,omitempty"`
	// Made are the HTTP attempts that reached (or tried to reach) Deskera.
	Made    []MadeCall `json:"made,omitempty"`
	Actions []Action   `json:"actions,omitempty"`
	// Owner is the owner an assign_owner action picked (0: none).
	Owner  int64   `json:"owner,omitempty"`
	Shadow *Shadow `json:"shadow,omitempty"`
}

// RuleError is a rule whose evaluation failed.
type RuleError struct {
	Rule  string `json:"rule"`
	Error string `json:"error"`
}

// PlannedCall is a Deskera call the engine planned (and, outside dry
// runs, made).
type PlannedCall struct {
	Op     string `json:"op"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Body is the call's JSON body with PII masked.
	Body string `json:"body,omitempty"`
}

// MadeCall is one HTTP attempt to Deskera.
type MadeCall struct {
	Op         string  `json:"op"`
	Method     string  `json:"method"`
	Path       string  `json:"path"`
	Status     int     `json:"status"` // 0: no answer (transport error)
	DurationMS float64 `json:"duration_ms"`
	Attempt    int     `json:"attempt"`
}

// Action is what happened to one action of the plan.
type Action struct {
	Rule      string `json:"rule"`
	Type      string `json:"type"`
	ContactID int64  `json:"contact_id,omitempty"`
	Outcome   string `json:"outcome"`
	Error     string `json:"error,omitempty"`
}

// Shadow is what a candidate rules file decided for the same event,
// evaluated offline (nothing was done for it), and how it differs.
type Shadow struct {
	RulesVersion string   `json:"rules_version"`
	Matched      []string `json:"matched"`
	Score        float64  `json:"score"`
	// Label is the label it would assign ("" none).
	Label   string   `json:"label,omitempty"`
	Owner   int64    `json:"owner,omitempty"`
	Planned []string `json:"planned,omitempty"`
	// Differences names what differs: matched, label, owner, planned.
	Differences []string `json:"differences,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// ID is the record id of a delivery: stable for a (source, delivery id)
// so that the sender's retries and queue attempts update one record.
func ID(source, deliveryID string) string {
	sum := sha256.Sum256([]byte(source + "\n" + deliveryID))
	return "dlv_" + hex.EncodeToString(sum[:12])
}
