package handlers

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// emailPattern finds addresses inside free text (error messages).
var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+`)

// NewLogger returns a JSON slog logger writing one line per record.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// MaskEmail keeps the first character of the local part and the domain:
// "jane.doe@example.com" -> "j***@example.com". Anything without an @
// is masked whole.
func MaskEmail(email string) string {
	if email == "" {
		return ""
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	return local[:1] + "***@" + domain
}

// MaskEmails masks every address found in s (for error messages that may
// quote Deskera's answer).
func MaskEmails(s string) string {
	if !strings.Contains(s, "@") { // no address: skip the pattern
		return s
	}
	return emailPattern.ReplaceAllStringFunc(s, MaskEmail)
}
