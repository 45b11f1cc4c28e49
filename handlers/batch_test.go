package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/handlerstest"
	"github.com/leadhook/leadhook/handlers/webhook"
	"github.com/leadhook/leadhook/rules"
	"github.com/leadhook/leadhook/rules/engine"
)

// exampleService is rules.example.yaml's service on a fake Deskera over HTTP.
func exampleService(t *testing.T) (*handlers.Service, *rules.Set, *deskeratest.Server) {
	t.Helper()
	return handlerstest.ExampleService(t, handlers.Config{AdminToken: adminToken})
}

func deskeraHook(body string, kv ...string) *webhook.Request {
	h := http.Header{"Content-Type": {"application/json"}, "X-Leadhook-Token": {"dev-deskera-token"}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return &webhook.Request{Method: http.MethodPost, Path: "/hooks/deskera", Header: h, Body: []byte(body),
		RemoteIP: "127.0.0.1", ReceivedAt: time.Now()}
}

// TestDeskeraBatchWebhookGroupsChanges: a Deskera webhook listing 4
// contacts costs one POST /v1/crm/contacts/multiple (not 4 GETs) and one
// bulk PATCH per distinct (label, owner) change (not 4 single PATCHes).
// Two contacts of a departed owner go to the sales pool, routed as an event
// routes them; two won deals become Customer with owner 17826 (a later
// rule overriding the pool), in one bulk PATCH together. A repeat of the
// delivery (new id) changes nothing and costs the fetch only.
func TestDeskeraBatchWebhookGroupsChanges(t *testing.T) {
	svc, set, srv := exampleService(t)
	var ids []deskera.ID
	for i := range 4 {
		c := srv.AddContact(deskera.Contact{Name: fmt.Sprintf("C%d", i), Email: fmt.Sprintf("c%d@acme.io", i), OwnerID: 99999, CustomField: storedScore()})
		ids = append(ids, c.ID)
	}
	var sales []rules.Owner
	for _, p := range set.Pools() {
		if p.Name == "sales" {
			sales = p.Owners
		}
	}
	customer := deskera.ID(0)
	for _, l := range srv.Labels() {
		if l.Name == "Customer" {
			customer = l.ID
		}
	}
	type change struct{ label, owner deskera.ID }
	want := map[deskera.ID]change{}
	sets := map[change]bool{}
	for i, id := range ids {
		ch := change{owner: deskera.ID(rules.Route(sales, fmt.Sprintf("c%d@acme.io", i)))}
		if i >= 2 {
			ch = change{label: customer, owner: 17826}
		}
		want[id], sets[ch] = ch, true
	}
	body := func(delivery string) string {
		var items []string
		for i, id := range ids {
			deal := ""
			if i >= 2 {
				deal = `,"deal_status":"won"`
			}
			items = append(items, fmt.Sprintf(`{"id":%d,"email":"c%d@acme.io"%s}`, id, i, deal))
		}
		return `{"event":"UPDATE_CRM_CONTACT","eventId":"` + delivery + `","data":[` + strings.Join(items, ",") + `]}`
	}
	srv.ResetCounts()
	resp := svc.Handle(context.Background(), "deskera", deskeraHook(body("d-1")), false)
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.Status, jsonOf(resp.Body))
	}
	counts := srv.Counts()
	if counts["contacts.multiple"] != 1 || counts["contacts.get"] != 0 || counts["contacts.update"] != 0 || counts["contacts.list"] != 0 {
		t.Errorf("calls %v: want 1 contacts.multiple, no GET, no single PATCH, no search", counts)
	}
	if got := counts["contacts.bulk_update"]; got != len(sets) || got > 3 {
		t.Errorf("bulk PATCHes %d, want %d (one per distinct change set)", got, len(sets))
	}
	for id, ch := range want {
		c, _ := srv.Contact(id)
		wantLabel := ch.label
		if wantLabel == 0 {
			wantLabel = 1 // No label
		}
		if c.OwnerID != ch.owner || c.LabelID != wantLabel {
			t.Errorf("contact %d: owner %d label %d, want owner %d label %d", id, c.OwnerID, c.LabelID, ch.owner, wantLabel)
		}
	}
	var answer struct {
		Events []struct {
			Outcome string `json:"outcome"`
			Actions []struct {
				Outcome   string `json:"outcome"`
				ContactID int64  `json:"contact_id"`
			} `json:"actions"`
		} `json:"events"`
	}
	if err := json.Unmarshal(jsonOf(resp.Body), &answer); err != nil || len(answer.Events) != 4 {
		t.Fatalf("answer %s: %v", jsonOf(resp.Body), err)
	}
	for i, ev := range answer.Events {
		if ev.Outcome != handlers.OutcomeOK || len(ev.Actions) == 0 || ev.Actions[len(ev.Actions)-1].Outcome != engine.ActionUpdated {
			t.Errorf("event %d: %+v, want ok with its actions updated", i, ev)
		}
	}

	srv.ResetCounts()
	if resp := svc.Handle(context.Background(), "deskera", deskeraHook(body("d-2")), false); resp.Status != http.StatusOK {
		t.Fatalf("repeat: status %d", resp.Status)
	}
	if got := srv.Counts(); got["contacts.multiple"] != 1 || srv.Total() != 1 {
		t.Errorf("repeat of an applied batch: calls %v, want the fetch only", got)
	}
}

// TestDeskeraBatchWebhookFailure: a bulk PATCH that Deskera refuses
// temporarily fails the events in it (503, nothing stored as final), and
// a dry run of the batch plans the bulk PATCH without sending it.
func TestDeskeraBatchWebhookFailure(t *testing.T) {
	cases := []struct {
		name   string
		dry    bool
		fault  func(*deskeratest.Server)
		status int
		bulk   int
		moved  bool
	}{
		{name: "dry run", dry: true, status: http.StatusOK},
		{name: "bulk refused", fault: func(s *deskeratest.Server) {
			s.FailOpAfter("contacts.bulk_update", 0, 10, http.StatusServiceUnavailable)
		}, status: http.StatusServiceUnavailable, bulk: -1},
		{name: "applied", status: http.StatusOK, bulk: 1, moved: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc, _, srv := exampleService(t)
			var items []string
			for i := range 3 {
				c := srv.AddContact(deskera.Contact{Name: "C", Email: fmt.Sprintf("w%d@acme.io", i), OwnerID: 5, CustomField: storedScore()})
				items = append(items, fmt.Sprintf(`{"id":%d,"deal_status":"won"}`, c.ID))
			}
			if tc.fault != nil {
				tc.fault(srv)
			}
			srv.ResetCounts()
			kv := []string{}
			if tc.dry {
				kv = []string{"Authorization", "Bearer " + adminToken}
			}
			resp := svc.Handle(context.Background(), "deskera", deskeraHook(`{"event":"UPDATE_CRM_CONTACT","data":[`+strings.Join(items, ",")+`]}`, kv...), tc.dry)
			if resp.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, jsonOf(resp.Body))
			}
			bulk := srv.Count("contacts.bulk_update")
			switch {
			case tc.dry && (bulk != 0 || !strings.Contains(string(jsonOf(resp.Body)), `"op":"contacts.bulk_update"`)):
				t.Errorf("dry run: %d bulk PATCHes sent, answer %s", bulk, jsonOf(resp.Body))
			case tc.bulk > 0 && bulk != tc.bulk:
				t.Errorf("bulk PATCHes %d, want %d", bulk, tc.bulk)
			case tc.bulk < 0 && bulk == 0:
				t.Error("no bulk PATCH tried")
			}
			for _, c := range srv.Contacts() {
				if (c.OwnerID == 17826) != tc.moved {
					t.Errorf("contact %d owner %d (moved: %v)", c.ID, c.OwnerID, tc.moved)
				}
			}
		})
	}
}

// storedScore is the custom fields of a score the contact has stored
// (issue 14 part 1: Lead score, raised now) above what a CRM event scores:
// the batch's plans then change the owner or label only, which a bulk
// PATCH can do. (A plan that also writes a score, a custom field, is
// patched on its own.)
func storedScore() []deskera.CustomField {
	return []deskera.CustomField{{Label: "Lead score", Value: "30"}, {Label: "Lead score at", Value: time.Now().UTC().Format(time.RFC3339)}}
}

func jsonOf(v any) []byte {
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

// TestHandleBatchOppositeOrders: two batches holding the same two
// deliveries in opposite orders, handled at once, both complete and every
// answer is 200 (each delivery acts once; the other batch answers it as a
// replay). HandleBatch takes the claims in key order so that neither can
// wait for the other; without that order this test did not catch a
// deadlock in 10 runs (the claims are taken too fast to interleave), so
// it guards the outcome, not the order.
func TestHandleBatchOppositeOrders(t *testing.T) {
	svc, _, srv := exampleService(t)
	var ds []handlers.BatchEntry
	for i := range 2 {
		c := srv.AddContact(deskera.Contact{Name: "O", Email: fmt.Sprintf("o%d@acme.io", i), OwnerID: 99999, CustomField: storedScore()})
		body := fmt.Sprintf(`{"event":"UPDATE_CRM_CONTACT","eventId":"o-%d","data":{"id":%d,"email":"o%d@acme.io"}}`, i, c.ID, i)
		ds = append(ds, handlers.BatchEntry{Source: "deskera", Req: deskeraHook(body)})
	}
	// A deadlock would end at this deadline with 503s instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results := make(chan []handlers.Response, 2)
	for _, order := range [][]handlers.BatchEntry{{ds[0], ds[1]}, {ds[1], ds[0]}} {
		go func() { results <- svc.HandleBatch(ctx, order) }()
	}
	for range 2 {
		for _, r := range <-results {
			if r.Status != http.StatusOK {
				t.Errorf("status %d: %s", r.Status, jsonOf(r.Body))
			}
		}
	}
	for _, c := range srv.Contacts() {
		if c.OwnerID == 99999 {
			t.Errorf("contact %d not reassigned", c.ID)
		}
	}
}
