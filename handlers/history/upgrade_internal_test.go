package history

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRecordsOfTheLastVersionReadTheSame: before storedRecord, the record
// column held the whole Record (json.Marshal of it without the body). A
// store opened on such rows after an upgrade gives the same records from
// Get and List as it does for rows it wrote itself, for a sync and a
// queued delivery (whose header is kept with its body).
func TestRecordsOfTheLastVersionReadTheSame(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), FileName), WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	recs := []*Record{
		{ID: ID("web", "d1"), Source: "web", DeliveryID: "d1", Mode: ModeSync, Outcome: OutcomeOK, RulesVersion: "v1", RequestID: "req-1",
			Status: 200, ContactIDs: []int64{7}, Events: []Event{fullEvent()}},
		{ID: ID("web", "d2"), Source: "web", DeliveryID: "d2", Mode: ModeQueued, Outcome: OutcomeQueued, RulesVersion: "v1", Status: 202,
			ShadowDiffers: true, Body: []byte(`{"email":"a@b.io"}`), Header: map[string]string{"Content-Type": "application/json"},
			Query: map[string]string{"tag": "x"}, Events: []Event{}},
	}
	for _, r := range recs {
		if err := s.Record(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	read := func() (map[string]*Record, []Record) {
		t.Helper()
		got := map[string]*Record{}
		for _, r := range recs {
			g, err := s.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			got[r.ID] = g
		}
		list, err := s.List(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return got, list
	}
	wantGet, wantList := read()
	var stored string
	if err := s.db.QueryRowContext(ctx, `SELECT record FROM leadhook_deliveries WHERE id = ?`, recs[0].ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, `"source"`) {
		t.Fatalf("this version's document holds the source, so the rewrite below would test nothing: %s", stored)
	}
	// Rewrite each row's document as the last version wrote it.
	for _, r := range recs {
		old := *wantGet[r.ID]
		old.Body, old.BodyExpiresAt = nil, nil
		if old.Mode != ModeQueued {
			old.Header, old.Query = nil, nil
		}
		doc, err := json.Marshal(&old)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE leadhook_deliveries SET record = ? WHERE id = ?`, string(doc), r.ID); err != nil {
			t.Fatal(err)
		}
	}
	gotGet, gotList := read()
	for id, want := range wantGet {
		if !reflect.DeepEqual(gotGet[id], want) {
			t.Errorf("Get %s of the last version's row:\n got  %+v\n want %+v", id, gotGet[id], want)
		}
	}
	if !reflect.DeepEqual(gotList, wantList) {
		t.Errorf("List of the last version's rows:\n got  %+v\n want %+v", gotList, wantList)
	}
	if len(wantList) != len(recs) || wantGet[recs[1].ID].Header["Content-Type"] != "application/json" {
		t.Fatalf("the records themselves: %+v", wantList)
	}
}
