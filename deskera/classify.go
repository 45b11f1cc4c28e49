package deskera

import (
	"errors"
	"net/http"
	"regexp"
)

// ErrCredentials matches (with errors.Is) a failure caused by our own
// credentials: the OAuth refresh token was refused (invalid_grant), or
// Deskera still answers 401/403 after a refresh. Retrying the delivery
// cannot help until the operator fixes the credentials; the error's text
// says what to do (it never carries a credential).
var ErrCredentials = errors.New("deskera credentials refused")

// credentialsError is an ErrCredentials with the operator's next step.
type credentialsError struct {
	hint string // what to do, e.g. "set a new DESKERA_REFRESH_TOKEN"
	err  error
}

func (e *credentialsError) Error() string {
	return "deskera credentials refused: " + e.hint + ": " + e.err.Error()
}

func (e *credentialsError) Unwrap() []error { return []error{ErrCredentials, e.err} }

// CredentialsHint returns the operator's next step of an ErrCredentials
// ("" when err is not one).
func CredentialsHint(err error) string {
	var ce *credentialsError
	if errors.As(err, &ce) {
		return ce.hint
	}
	return ""
}

// labelMissing matches Deskera's message for a label id it does not know.
var labelMissing = regexp.MustCompile(`(?i)label\b.*\b(not found|does not exist|doesn't exist|not exist|invalid)`)

// LabelMissing reports whether err is Deskera refusing a contact write
// because its label id does not exist (the label was deleted, or deleted
// and recreated with a new id): our label cache is stale, not the
// delivery wrong.
func LabelMissing(err error) bool {
	var api *APIError
	if !errors.As(err, &api) || api.StatusCode < 400 || api.StatusCode >= 500 {
		return false
	}
	if api.Op == "labels.get" || api.Op == "labels.delete" || api.Op == "labels.update" {
		return false
	}
	return labelMissing.MatchString(api.Message) || labelMissing.MatchString(api.Body)
}

// Rejected reports whether Deskera refused the data of a request as
// invalid (400 or 422 that is neither about our credentials, nor a stale
// label, nor a value our rules set): the delivery itself is at fault and
// retrying cannot help.
func Rejected(err error) bool {
	var api *APIError
	if !errors.As(err, &api) || errors.Is(err, ErrCredentials) || LabelMissing(err) || RulesValueRefused(err) {
		return false
	}
	return api.StatusCode == http.StatusBadRequest || api.StatusCode == http.StatusUnprocessableEntity
}

// rulesField matches a Deskera error naming a contact field whose value
// comes from the rules file (owner, sub-owner, visibility), not from the
// delivery.
var rulesField = regexp.MustCompile(`(?i)\b(sub_?owner|owner)(_?ids?)?\b|\bvisibility(_?type)?\b`)

// RulesValueRefused reports whether err is a 400/422 whose message names a
// field that the rules set (an owner id that is not a Deskera user, a
// visibility Deskera does not accept). The document gives no error
// samples, so this is the safe reading: such a refusal is our
// configuration, and answering it as final would lose the lead.
func RulesValueRefused(err error) bool {
	var api *APIError
	if !errors.As(err, &api) || (api.StatusCode != http.StatusBadRequest && api.StatusCode != http.StatusUnprocessableEntity) {
		return false
	}
	return rulesField.MatchString(api.Message) || rulesField.MatchString(api.Body)
}
