package engine

import (
	"errors"
	"net/http"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// Cause names why processing an event failed (the "cause" label of
// leadhook_failures_total).
type Cause string

// Causes. Only CauseDelivery is the sender's fault and final; every other
// one is temporary: the same delivery can succeed once Deskera is back or
// the operator fixed what is ours.
const (
	CauseDeskera     Cause = "deskera_unavailable" // 429, 5xx, timeout, outcome unknown
	CauseCredentials Cause = "credentials"         // our Deskera credentials are refused
	CauseStaleLabel  Cause = "stale_label"         // Deskera does not know a label id we hold
	CauseConfig      Cause = "config"              // our rules or labels do not fit the CRM
	CauseCRMState    Cause = "crm_state"           // the CRM changed under us (404, 409)
	CauseRule        Cause = "rule_error"          // a rule failed to evaluate or apply
	CauseSharedState Cause = "shared_state"        // the shared contact state (Redis) did not answer, or a contact lock was busy
	CauseInternal    Cause = "internal"            // anything else
	CauseDelivery    Cause = "delivery"            // Deskera rejected the delivery's data
)

// Causes lists every Cause, for pre-creating metrics.
var Causes = []Cause{CauseDeskera, CauseCredentials, CauseStaleLabel, CauseConfig, CauseCRMState, CauseRule, CauseSharedState, CauseInternal, CauseDelivery}

// Failure is the classification of a processing error.
type Failure struct {
	Cause Cause
	// Final is true only when the delivery itself is at fault: answering
	// it again cannot succeed.
	Final bool
	// Ours is true when the operator has to act (credentials, rules,
	// labels): the service is not ready until a later call succeeds.
	Ours bool
	// RetryAfter is the delay to suggest (temporary failures).
	RetryAfter time.Duration
	// Message is safe to answer and log: no credentials, no internals.
	Message string
}

// Classify says whose fault err is and whether answering it is final.
func Classify(err error) Failure {
	var api *deskera.APIError
	switch {
	case err == nil:
		return Failure{}
	case errors.Is(err, deskera.ErrCredentials):
		return Failure{Cause: CauseCredentials, Ours: true, RetryAfter: 60 * time.Second,
			Message: "deskera credentials refused: " + deskera.CredentialsHint(err)}
	case deskera.LabelMissing(err):
		return Failure{Cause: CauseStaleLabel, Ours: true, RetryAfter: 30 * time.Second,
			Message: "deskera does not know a label id leadhook holds even after reloading the labels; check the labels in Deskera"}
	case errors.Is(err, ErrContactBusy):
		return Failure{Cause: CauseSharedState, RetryAfter: 2 * time.Second,
			Message: "another delivery for this contact is being processed; retry later"}
	case errors.Is(err, ErrSharedState):
		return Failure{Cause: CauseSharedState, RetryAfter: 5 * time.Second,
			Message: "the shared contact state is unavailable; retry later"}
	case deskera.RulesValueRefused(err):
		return Failure{Cause: CauseConfig, Ours: true, RetryAfter: 60 * time.Second,
			Message: "deskera refused a value the rules set (owner or visibility); check the rules file against Deskera"}
	case errors.Is(err, rules.ErrScoreFieldRefused):
		return Failure{Cause: CauseConfig, Ours: true, RetryAfter: 60 * time.Second,
			Message: "deskera refused the stored score's custom fields (scoring in the rules file); create them in Deskera or set scoring.store: false"}
	case errors.Is(err, rules.ErrLabelNotFound):
		return Failure{Cause: CauseConfig, Ours: true, RetryAfter: 60 * time.Second,
			Message: "a label of the rules is missing in Deskera: " + err.Error()}
	}
	if ra, ok := deskera.Temporary(err); ok {
		return Failure{Cause: CauseDeskera, RetryAfter: max(ra, time.Second), Message: "deskera is temporarily unavailable; retry later"}
	}
	if deskera.Rejected(err) {
		errors.As(err, &api)
		return Failure{Cause: CauseDelivery, Final: true, Message: "deskera rejected the data: " + api.Message}
	}
	if errors.As(err, &api) {
		if api.StatusCode == http.StatusNotFound || api.StatusCode == http.StatusConflict {
			return Failure{Cause: CauseCRMState, RetryAfter: 5 * time.Second, Message: "the contact changed in deskera meanwhile; retry later"}
		}
		return Failure{Cause: CauseDeskera, RetryAfter: 30 * time.Second, Message: "deskera refused the request; retry later"}
	}
	var re *rules.RuleFailure
	if errors.As(err, &re) {
		return Failure{Cause: CauseRule, Ours: false, RetryAfter: 30 * time.Second, Message: re.Error()}
	}
	return Failure{Cause: CauseInternal, RetryAfter: 5 * time.Second, Message: "processing failed; retry later"}
}
