package webhook

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/rules"
)

func TestParseCloudEvents(t *testing.T) {
	p := provParser(t, rules.Source{Format: "cloudevents"}, Options{})
	binary := func(body string, hdr ...string) *Request {
		base := []string{"Ce-Specversion", "1.0", "Ce-Type", "com.example.lead.created", "Ce-Id", "1234-1234-1234",
			"Ce-Source", "/mycontext/subcontext", "Ce-Time", "2018-04-05T03:56:24Z"}
		return provRequest("application/json", []byte(body), append(base, hdr...)...)
	}
	attrs := func(t *testing.T, p *Parsed, key string, want any) {
		t.Helper()
		ce, _ := p.Events[0].Fields["ce"].(map[string]any)
		if ce[key] != want {
			t.Errorf("fields.ce[%q] = %#v, want %#v", key, ce[key], want)
		}
	}
	runParseCases(t, p, []provParseCase{
		{
			name: "Binary", req: binary(string(provFixture(t, "cloudevents/binary.json")), "Ce-Comexampleextension", "caf%C3%A9%20%22q%22%25"),
			delivery: "1234-1234-1234",
			want:     rules.Event{ID: "1234-1234-1234", Kind: rules.KindForm, Email: "walter@example.com", Name: "Walter Skinner", Phone: "+1 202 555 0100"},
			check: func(t *testing.T, p *Parsed) {
				attrs(t, p, "comexampleextension", `café "q"%`) // percent-decoded
				attrs(t, p, "source", "/mycontext/subcontext")
				attrs(t, p, "datacontenttype", "application/json")
			},
		},
		{
			name:     "BinaryTextData",
			req:      provRequest("text/xml", []byte(`<much wow="xml"/>`), "Ce-Specversion", "1.0", "Ce-Type", "t", "Ce-Id", "x1", "Ce-Source", "/s"),
			delivery: "x1", want: rules.Event{ID: "x1", Kind: rules.KindForm},
			fields: map[string]any{"data": `<much wow="xml"/>`},
		},
		{
			name: "Structured", req: provRequest("application/cloudevents+json; charset=UTF-8", provFixture(t, "cloudevents/structured.json")),
			delivery: "A234-1234-1234",
			want:     rules.Event{ID: "A234-1234-1234", Kind: rules.KindForm, Email: "dana@example.net", Name: "Dana Scully", Company: "FBI"},
			fields:   map[string]any{"budget": float64(20000)},
			check: func(t *testing.T, p *Parsed) {
				attrs(t, p, "comexampleothervalue", float64(5))
				attrs(t, p, "type", "com.example.lead.created")
			},
		},
		{
			name: "Batch", req: provRequest("application/cloudevents-batch+json", provFixture(t, "cloudevents/batch.json")),
			delivery: "batch-", events: 3,
			want: rules.Event{ID: "A234-1234-1234", Kind: rules.KindForm, Email: "dana@example.net", Name: "Dana Scully", Company: "FBI"},
			check: func(t *testing.T, p *Parsed) {
				if p.Events[1].Fields["data"] != `<much wow="xml"/>` || p.Events[2].Email != "fox@example.net" || p.Events[2].ID != "C234-1234-1234" {
					t.Errorf("events[1..2] = %+v, %+v", p.Events[1], p.Events[2])
				}
			},
		},
		{name: "BinaryBadPercent", req: binary(`{}`, "Ce-Subject", "%C0%A0"), wantStatus: http.StatusBadRequest, wantField: "ce-subject"},
		{name: "BinaryBadEscape", req: binary(`{}`, "Ce-Subject", "%zz"), wantStatus: http.StatusBadRequest, wantField: "ce-subject"},
		{name: "MissingID", req: provRequest("application/cloudevents+json", []byte(`{"specversion":"1.0","type":"t","source":"/s"}`)), wantStatus: http.StatusBadRequest, wantField: "id"},
		{name: "WrongVersion", req: provRequest("application/cloudevents+json", []byte(`{"specversion":"0.3","id":"1","type":"t","source":"/s"}`)), wantStatus: http.StatusBadRequest, wantField: "specversion"},
		{name: "BadBase64", req: provRequest("application/cloudevents+json", []byte(`{"specversion":"1.0","id":"1","type":"t","source":"/s","data_base64":"!"}`)), wantStatus: http.StatusBadRequest, wantField: "data_base64"},
		{name: "BatchElementInvalid", req: provRequest("application/cloudevents-batch+json", []byte(`[{"specversion":"1.0","id":"1","type":"t","source":"/s"},{"specversion":"1.0"}]`)), wantStatus: http.StatusBadRequest, wantField: "[1].id"},
		{name: "EmptyBatch", req: provRequest("application/cloudevents-batch+json", []byte(`[]`)), wantStatus: http.StatusBadRequest, wantField: "body"},
		{name: "PlainJSON", req: provRequest("application/json", []byte(`{}`)), wantStatus: http.StatusUnsupportedMediaType},
	})
}

// The batch delivery id is derived from every (source, id), so a
// redelivered batch dedupes and a different batch does not.
func TestCloudEventsBatchDeliveryID(t *testing.T) {
	p := provParser(t, rules.Source{Format: "cloudevents"}, Options{})
	parse := func(body string) string {
		got, err := p.Parse(context.Background(), provRequest(ceBatch, []byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		return got.DeliveryID
	}
	const ev = `{"specversion":"1.0","type":"t","source":"/s","id":"%s"}`
	a := parse("[" + strings.ReplaceAll(ev, "%s", "1") + "," + strings.ReplaceAll(ev, "%s", "2") + "]")
	b := parse("[" + strings.ReplaceAll(ev, "%s", "1") + "," + strings.ReplaceAll(ev, "%s", "2") + "]")
	c := parse("[" + strings.ReplaceAll(ev, "%s", "1") + "," + strings.ReplaceAll(ev, "%s", "3") + "]")
	if a != b || a == c || !strings.HasPrefix(a, "batch-") {
		t.Errorf("delivery ids %q, %q, %q: want equal for the same batch, different otherwise", a, b, c)
	}
}

func TestCloudEventsHandshake(t *testing.T) {
	p := provParser(t, rules.Source{Format: "cloudevents"}, Options{})
	req := provRequest("", nil, "WebHook-Request-Origin", "eventemitter.example.com")
	req.Method = http.MethodOptions
	got, err := p.Parse(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reply == nil || got.Reply.Status != http.StatusOK || got.Reply.Header.Get("WebHook-Allowed-Origin") != "eventemitter.example.com" ||
		got.Reply.Header.Get("WebHook-Allowed-Rate") != "*" {
		t.Errorf("Reply = %+v, want 200 with WebHook-Allowed-Origin and WebHook-Allowed-Rate (spec 4.2)", got.Reply)
	}
}

func FuzzParseCloudEvents(f *testing.F) {
	f.Add(ceStructured, provFixture(f, "cloudevents/structured.json"))
	f.Add(ceBatch, provFixture(f, "cloudevents/batch.json"))
	f.Add("", provFixture(f, "cloudevents/binary.json"))
	p := provParser(f, rules.Source{Format: "cloudevents"}, Options{})
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		req := provRequest(ct, body)
		if ct == "" {
			req = provRequest("application/json", body, "Ce-Specversion", "1.0", "Ce-Id", "1", "Ce-Type", "t", "Ce-Source", string(body))
		}
		provFuzzParse(t, p, req)
	})
}
