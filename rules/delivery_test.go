package rules_test

import (
	"testing"

	"github.com/leadhook/leadhook/rules"
)

// TestSourceDelivery: `delivery` is checked at load and defaults per
// format (browser forms and email queued, other formats sync).
func TestSourceDelivery(t *testing.T) {
	tests := []struct {
		name, format, delivery string
		want, wantErr          string
	}{
		{name: "form defaults to queued", format: "form", want: rules.DeliveryQueued},
		{name: "mailgun defaults to queued", format: "mailgun", want: rules.DeliveryQueued},
		{name: "sendgrid defaults to queued", format: "sendgrid", want: rules.DeliveryQueued},
		{name: "json defaults to sync", format: "json", want: rules.DeliverySync},
		{name: "typeform defaults to sync", format: "typeform", want: rules.DeliverySync},
		{name: "explicit sync on a form", format: "form", delivery: "sync", want: rules.DeliverySync},
		{name: "explicit queued on json", format: "json", delivery: "queued", want: rules.DeliveryQueued},
		{name: "unknown mode", format: "json", delivery: "later", wantErr: `unknown delivery "later" (one of sync, queued)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "sources:\n  s:\n    format: " + tc.format + "\n    auth: {type: none}\n"
			if tc.delivery != "" {
				src += "    delivery: " + tc.delivery + "\n"
			}
			s, ok := loadSource(t, src, tc.wantErr)
			if !ok {
				return
			}
			if s.Delivery != tc.want {
				t.Errorf("delivery %q, want %q", s.Delivery, tc.want)
			}
		})
	}
}
