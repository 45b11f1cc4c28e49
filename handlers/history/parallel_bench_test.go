package history_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/leadhook/leadhook/handlers/history"
)

// BenchmarkRecordParallel is many deliveries recording at once on the
// embedded store (the group commit's case).
func BenchmarkRecordParallel(b *testing.B) {
	s, err := history.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), history.FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := rec("web", fmt.Sprint(n.Add(1)), history.ModeSync, history.OutcomeOK)
			if err := s.Record(context.Background(), r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// e2eRecord is a record shaped like an end-to-end delivery's (one new
// contact: a planned search and create with its masked body, both calls
// made, four actions), the size the live process writes.
func e2eRecord(n int64) *history.Record {
	id := fmt.Sprintf("sha256:%032x", n)
	body := `{"name":"J***","email":"m***@acme-industrial.example","phone":"+***","note":"H***","label_id":4,"organization_name":"Acme Industrial Automation Pte Ltd","owner_id":17826,"custom_field":[{"label":"Lead source","shortName":"Lead source","value":"w***"},{"label":"Lead score","shortName":"Lead score","value":"1***"},{"label":"Lead score at","shortName":"Lead score at","value":"2***"},{"label":"Lead score parts","shortName":"Lead score parts","value":"b***"}]}`
	return &history.Record{ID: history.ID("website", id), Source: "website", DeliveryID: id, RequestID: fmt.Sprintf("%032x", n),
		Mode: history.ModeSync, RulesVersion: "0bd69dbfe1aca5da6f0c52b2e1d7b071b8b7b57d0fa52ed007448257331a22d7", Outcome: history.OutcomeOK,
		Status: 200, ContactIDs: []int64{1001}, Events: []history.Event{{EventID: id, Kind: "form", Email: "m***@acme-industrial.example",
			Outcome: history.OutcomeOK, Score: 105, ScoreLabel: "Hot lead", Label: "Hot lead", Owner: 17826,
			Scores:  map[string]float64{"budget": 40, "business_email": 20, "buying_intent": 25, "company_size": 15, "existing_label": 0, "has_phone": 5},
			Matched: []string{"website-form", "route-new-lead", "hot-lead"},
			Planned: []history.PlannedCall{{Op: "contacts.list", Method: "GET", Path: "/v1/crm/contacts?email=max-7%40acme-industrial.example&limit=10"},
				{Op: "contacts.create", Method: "POST", Path: "/v1/crm/contacts", Body: body}},
			Made: []history.MadeCall{{Op: "contacts.list", Method: "GET", Path: "/v1/crm/contacts", Status: 200, DurationMS: 5.281, Attempt: 1},
				{Op: "contacts.create", Method: "POST", Path: "/v1/crm/contacts", Status: 200, DurationMS: 6.682, Attempt: 1}},
			Actions: []history.Action{{Rule: "website-form", Type: "upsert_contact", ContactID: 1001, Outcome: "created"},
				{Rule: "website-form", Type: "assign_label", ContactID: 1001, Outcome: "created"},
				{Rule: "route-new-lead", Type: "assign_owner", ContactID: 1001, Outcome: "created"},
				{Rule: "hot-lead", Type: "assign_label", ContactID: 1001, Outcome: "created"}}}}}
}

// BenchmarkRecordApart is deliveries recording one at a time (each its
// own commit: the live end-to-end case, where records arrive apart), with
// records of the live size.
func BenchmarkRecordApart(b *testing.B) {
	s, err := history.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), history.FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	for i := range b.N {
		if err := s.Record(context.Background(), e2eRecord(int64(i))); err != nil {
			b.Fatal(err)
		}
	}
}
