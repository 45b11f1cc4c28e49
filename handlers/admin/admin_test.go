package admin_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/leadhook/leadhook/handlers/admin"
	"github.com/leadhook/leadhook/handlers/history"
)

func TestAdminAPIAuth(t *testing.T) {
	e := newEnv(t)
	id := e.lead("a-1", "auth@example.com", 10)
	cases := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"list without token", "GET", "/admin/deliveries", "", 401},
		{"list with a wrong token", "GET", "/admin/deliveries", "wrong", 401},
		{"list with the bearer token", "GET", "/admin/deliveries", "bearer", 200},
		{"list with the page cookie", "GET", "/admin/deliveries", "cookie", 200},
		{"one without token", "GET", "/admin/deliveries/" + id, "", 401},
		{"one with the token", "GET", "/admin/deliveries/" + id, "bearer", 200},
		{"unknown id", "GET", "/admin/deliveries/dlv_nope", "bearer", 404},
		{"replay without token", "POST", "/admin/deliveries/" + id + "/replay", "", 401},
		{"replay with the cookie alone (a forged form)", "POST", "/admin/deliveries/" + id + "/replay", "cookie", 401},
		{"replay of a sync delivery: no body kept", "POST", "/admin/deliveries/" + id + "/replay", "bearer", 409},
		{"page without token goes to sign-in", "GET", "/admin/", "", 303},
		{"page with the cookie", "GET", "/admin/", "cookie", 200},
		{"detail page with the cookie", "GET", "/admin/d/" + id, "cookie", 200},
		{"bad filter", "GET", "/admin/deliveries?limit=0", "bearer", 400},
		{"unknown admin path", "GET", "/admin/nope", "bearer", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, body := e.call(tc.method, tc.path, tc.auth); got != tc.want {
				t.Fatalf("status %d, want %d: %s", got, tc.want, body)
			}
		})
	}
}

func TestAdminNewValidates(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		cfg  admin.Config
	}{
		{"no token: admin off", admin.Config{Store: e.store, Replayer: e.svc}},
		{"no store", admin.Config{Replayer: e.svc, Token: token}},
		{"no replayer", admin.Config{Store: e.store, Token: token}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := admin.New(tc.cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestAdminListFilters(t *testing.T) {
	e := newEnv(t)
	e.lead("f-1", "one@example.com", 10)
	e.lead("f-2", "two@example.com", 90)
	e.queued("f-3", "three@example.com")
	cases := []struct {
		name, query string
		want        []string
	}{
		{"all newest first", "", []string{"submission_id:f-3", "submission_id:f-2", "submission_id:f-1"}},
		{"by outcome", "?outcome=retry", []string{"submission_id:f-3"}},
		{"by source", "?source=survey&outcome=ok", []string{"submission_id:f-2", "submission_id:f-1"}},
		{"other source", "?source=web", []string{}},
		{"limit", "?limit=1", []string{"submission_id:f-3"}},
		{"since", "?since=1h", []string{"submission_id:f-3", "submission_id:f-2", "submission_id:f-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.call("GET", "/admin/deliveries"+tc.query, "bearer")
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var got struct{ Deliveries []history.Record }
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, r := range got.Deliveries {
				ids = append(ids, r.DeliveryID)
			}
			if strings.Join(ids, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestAdminReplay(t *testing.T) {
	e := newEnv(t)
	id := e.queued("r-1", "replay@example.com")
	status, body := e.call("POST", "/admin/deliveries/"+id+"/replay?dry_run=1", "bearer")
	if status != 200 || !strings.Contains(body, `"dry_run":true`) || !strings.Contains(body, `"outcome":"dry_run"`) {
		t.Fatalf("dry run: %d %s", status, body)
	}
	if n := len(e.deskera.Contacts()); n != 0 {
		t.Fatalf("a dry run created %d contacts", n)
	}
	status, body = e.call("POST", "/admin/deliveries/"+id+"/replay", "bearer")
	if status != 200 || !strings.Contains(body, `"status":200`) {
		t.Fatalf("replay: %d %s", status, body)
	}
	if n := len(e.deskera.Contacts()); n != 1 {
		t.Fatalf("%d contacts after the replay, want 1", n)
	}
	status, body = e.call("GET", "/admin/deliveries/"+id, "bearer")
	var rec history.Record
	if err := json.Unmarshal([]byte(body), &rec); err != nil || status != 200 {
		t.Fatalf("%d %s %v", status, body, err)
	}
	if rec.Outcome != history.OutcomeOK || rec.Attempts != 2 {
		t.Fatalf("after replay: outcome %q attempts %d", rec.Outcome, rec.Attempts)
	}
	if rec.Body != nil || rec.BodyExpiresAt == nil {
		t.Fatalf("without ?body=1: body %q, expires %v", rec.Body, rec.BodyExpiresAt)
	}
	if _, body := e.call("GET", "/admin/deliveries/"+id+"?body=1", "bearer"); !strings.Contains(body, `"body":`) {
		t.Fatalf("?body=1 without the body: %s", body)
	}
}
