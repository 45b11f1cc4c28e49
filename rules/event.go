package rules

import (
	"strings"
	"time"
)

// Event kinds.
const (
	KindForm     = "form"
	KindEmail    = "email"
	KindCRM      = "crm"
	KindSchedule = "schedule"
)

// Event is one normalised inbound event: a form submission, an inbound
// email, a CRM webhook or a scheduled tick. Parsers in handlers/webhook
// produce it; rules see it as `event`.
type Event struct {
	ID         string            `expr:"id" json:"id"`
	Source     string            `expr:"source" json:"source"`
	Kind       string            `expr:"kind" json:"kind"`
	ReceivedAt time.Time         `expr:"received_at" json:"received_at"`
	Email      string            `expr:"email" json:"email,omitempty"`
	Name       string            `expr:"name" json:"name,omitempty"`
	Phone      string            `expr:"phone" json:"phone,omitempty"`
	Company    string            `expr:"company" json:"company,omitempty"`
	Fields     map[string]any    `expr:"fields" json:"fields,omitempty"`
	Mail       Mail              `expr:"mail" json:"mail,omitzero"`
	Headers    map[string]string `expr:"headers" json:"headers,omitempty"`
	Query      map[string]string `expr:"query" json:"query,omitempty"`
	// ContactID is set when the event is about an existing Deskera contact
	// (a Deskera CRM webhook, a sweep); actions then target that contact.
	ContactID int64 `expr:"contact_id" json:"contact_id,omitempty"`
}

// Mail is the inbound-email part of an event (event.kind == "email").
type Mail struct {
	From      string            `expr:"from" json:"from,omitempty"`
	FromName  string            `expr:"from_name" json:"from_name,omitempty"`
	To        []string          `expr:"to" json:"to,omitempty"`
	Cc        []string          `expr:"cc" json:"cc,omitempty"`
	Subject   string            `expr:"subject" json:"subject,omitempty"`
	Text      string            `expr:"text" json:"text,omitempty"`
	HTML      string            `expr:"html" json:"html,omitempty"`
	MessageID string            `expr:"message_id" json:"message_id,omitempty"`
	Headers   map[string]string `expr:"headers" json:"headers,omitempty"`
	// Spam is the provider's spam verdict where it gives one
	// ("pass", "fail", "spam", ...); empty when unknown.
	Spam string `expr:"spam" json:"spam,omitempty"`
	// SpamScore is the provider's numeric spam score, 0 when unknown.
	SpamScore float64 `expr:"spam_score" json:"spam_score,omitempty"`
	// Attachments is the number of attachments (never their content).
	Attachments int `expr:"attachments" json:"attachments,omitempty"`
}

// Contact is the rules' view of an existing Deskera contact (`contact`).
type Contact struct {
	ID          int64             `expr:"id" json:"id"`
	Name        string            `expr:"name" json:"name"`
	Email       string            `expr:"email" json:"email"`
	Phone       string            `expr:"phone" json:"phone"`
	Type        string            `expr:"type" json:"type"`
	Label       string            `expr:"label" json:"label"`
	LabelID     int64             `expr:"label_id" json:"label_id"`
	OwnerID     int64             `expr:"owner_id" json:"owner_id"`
	Visibility  string            `expr:"visibility" json:"visibility"`
	CustomField map[string]string `expr:"custom" json:"custom,omitempty"`
	CreatedAt   time.Time         `expr:"created_at" json:"created_at"`
	UpdatedAt   time.Time         `expr:"updated_at" json:"updated_at"`
}

// Sender is the event's email address: Email, else the mail's From (an
// address of only spaces counts as none). A function, not a method: the
// methods of Event would be callable from rule expressions.
func Sender(ev *Event) string {
	if strings.TrimSpace(ev.Email) != "" {
		return ev.Email
	}
	return ev.Mail.From
}
