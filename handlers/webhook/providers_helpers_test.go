package webhook

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/rules"
)

// Test helpers for the provider parsers and vendor verifiers.

var provTestTime = time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC) // Unix 1700000000

func provFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	return b
}

func provRequest(ct string, body []byte, hdr ...string) *Request {
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Add(hdr[i], hdr[i+1])
	}
	return &Request{Method: http.MethodPost, Path: "/hooks/test", Header: h, Body: body, RemoteIP: "192.0.2.1", ReceivedAt: provTestTime}
}

func provParser(tb testing.TB, src rules.Source, opts Options) Parser {
	tb.Helper()
	if src.Name == "" {
		src.Name = "test"
	}
	p, err := NewParser(src, opts)
	if err != nil {
		tb.Fatalf("NewParser(%q): %v", src.Format, err)
	}
	return p
}

// provParseCase is one parser table row: a request and what the single
// (or first) event must look like, or the error status expected.
type provParseCase struct {
	name       string
	req        *Request
	wantStatus int    // non-zero: Parse must fail with this status
	wantField  string // with wantStatus: the error's field
	delivery   string // a value ending in "-" or ":" is a prefix
	events     int    // 0 means 1; -1 means a Reply and no events
	want       rules.Event
	fields     map[string]any // subset of Fields
	check      func(t *testing.T, p *Parsed)
}

func runParseCases(t *testing.T, p Parser, cases []provParseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Parse(context.Background(), tc.req)
			if tc.wantStatus != 0 {
				provWantError(t, err, tc.wantStatus, tc.wantField)
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			provCheckParsed(t, tc, got)
		})
	}
}

// runFormatCases runs cases against a parser of format with default
// options.
func runFormatCases(t *testing.T, format string, cases []provParseCase) {
	t.Helper()
	runParseCases(t, provParser(t, rules.Source{Format: format}, Options{}), cases)
}

func provWantError(t *testing.T, err error, status int, field string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *Error with status %d", err, status)
	}
	if e.Status != status {
		t.Errorf("status = %d, want %d (%v)", e.Status, status, e)
	}
	if field != "" && e.Field != field {
		t.Errorf("field = %q, want %q (%v)", e.Field, field, e)
	}
}

func provCheckParsed(t *testing.T, tc provParseCase, got *Parsed) {
	t.Helper()
	n := max(tc.events, 1)
	if tc.events < 0 { // a protocol reply, no events
		if got.Reply == nil || len(got.Events) != 0 || got.DeliveryID != tc.delivery {
			t.Errorf("Parsed = %+v, want a reply, no events, delivery %q", got, tc.delivery)
		}
		return
	}
	if len(got.Events) != n {
		t.Fatalf("events = %d, want %d", len(got.Events), n)
	}
	if got.DeliveryID != tc.delivery && !(provIsPrefix(tc.delivery) && strings.HasPrefix(got.DeliveryID, tc.delivery)) {
		t.Errorf("DeliveryID = %q, want %q", got.DeliveryID, tc.delivery)
	}
	ev := got.Events[0]
	w := tc.want
	if w.ID == "" && provIsPrefix(tc.delivery) {
		w.ID = ev.ID // derived ids are checked by the case itself
	}
	for _, c := range []struct{ name, got, want string }{
		{"ID", ev.ID, w.ID}, {"Kind", ev.Kind, w.Kind}, {"Source", ev.Source, "test"},
		{"Email", ev.Email, w.Email}, {"Name", ev.Name, w.Name}, {"Phone", ev.Phone, w.Phone},
		{"Company", ev.Company, w.Company},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if ev.ContactID != w.ContactID {
		t.Errorf("ContactID = %d, want %d", ev.ContactID, w.ContactID)
	}
	if !ev.ReceivedAt.Equal(provTestTime) {
		t.Errorf("ReceivedAt = %v, want %v", ev.ReceivedAt, provTestTime)
	}
	for k, v := range tc.fields {
		if !reflect.DeepEqual(ev.Fields[k], v) {
			t.Errorf("Fields[%q] = %#v, want %#v", k, ev.Fields[k], v)
		}
	}
	if tc.check != nil {
		tc.check(t, got)
	}
}

// provCheckMail compares the mail part field by field.
func provCheckMail(t *testing.T, got, want rules.Mail) {
	t.Helper()
	if !reflect.DeepEqual(got.To, want.To) || !reflect.DeepEqual(got.Cc, want.Cc) {
		t.Errorf("To, Cc = %q, %q; want %q, %q", got.To, got.Cc, want.To, want.Cc)
	}
	for _, c := range []struct{ name, got, want string }{
		{"From", got.From, want.From}, {"FromName", got.FromName, want.FromName}, {"Subject", got.Subject, want.Subject},
		{"Text", got.Text, want.Text}, {"HTML", got.HTML, want.HTML}, {"MessageID", got.MessageID, want.MessageID},
		{"Spam", got.Spam, want.Spam},
	} {
		if c.got != c.want {
			t.Errorf("Mail.%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got.SpamScore != want.SpamScore || got.Attachments != want.Attachments {
		t.Errorf("SpamScore, Attachments = %v, %d; want %v, %d", got.SpamScore, got.Attachments, want.SpamScore, want.Attachments)
	}
}

// provFuzzParse is the body of every FuzzParse<Format>: Parse never
// panics, and a failure is always an *Error with a 4xx/5xx status.
func provFuzzParse(t *testing.T, p Parser, req *Request) {
	got, err := p.Parse(context.Background(), req)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Status < 400 || e.Status > 599 {
			t.Fatalf("error %v is not an *Error with an HTTP error status", err)
		}
		return
	}
	if got.Reply == nil && len(got.Events) == 0 {
		t.Fatal("success with neither events nor a reply")
	}
	for _, ev := range got.Events {
		if ev.Source != "test" || ev.Kind == "" {
			t.Fatalf("event without source or kind: %+v", ev)
		}
	}
}

// provFuzzFormat is FuzzParse<Format> for a format with default options
// whose fuzzed requests differ only in the body (content type ct): seeds
// are bodies.
func provFuzzFormat(f *testing.F, format, ct string, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	p := provParser(f, rules.Source{Format: format}, Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		provFuzzParse(t, p, provRequest(ct, body))
	})
}

// provIsPrefix reports whether a wanted delivery id is only a prefix (the
// rest is a hash).
func provIsPrefix(s string) bool { return strings.HasSuffix(s, "-") || strings.HasSuffix(s, ":") }
