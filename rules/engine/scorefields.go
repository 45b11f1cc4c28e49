package engine

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/rules"
)

// customField names a custom field by its code (D-0000013) or its name.
func customField(key, value string) deskera.CustomField {
	if customCode.MatchString(key) {
		return deskera.CustomField{Code: key, Value: value}
	}
	return deskera.CustomField{Label: key, ShortName: key, Value: value}
}

// scoreRefused marks err (from the POST or PATCH) as ErrScoreFieldRefused
// when the body carried the score and Deskera refused it naming a custom
// field or one of the score's fields.
func scoreRefused(set *rules.Set, err error, carried bool) error {
	var api *deskera.APIError
	if err == nil || !carried || !errors.As(err, &api) ||
		(api.StatusCode != http.StatusBadRequest && api.StatusCode != http.StatusUnprocessableEntity) {
		return err
	}
	p := set.Scoring()
	fields := []string{p.Field, p.AtField}
	if p.PartsField != "" {
		fields = append(fields, p.PartsField)
	}
	text := strings.ToLower(api.Message + " " + api.Body)
	for _, n := range append([]string{"custom", "c_field"}, fields...) {
		if strings.Contains(text, strings.ToLower(n)) {
			return fmt.Errorf("%w (custom fields %q must exist in Deskera, or set scoring.store: false): %w",
				rules.ErrScoreFieldRefused, fields, err)
		}
	}
	return err
}
