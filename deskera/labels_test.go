package deskera_test

import (
	"context"
	"errors"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

func TestListLabels(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ls, err := c.ListLabels(context.Background())
	if err != nil {
		t.Fatalf("ListLabels: %v", err)
	}
	want := []string{"No label", "Cold lead", "Warm lead", "Hot lead"}
	if len(ls) != len(want) {
		t.Fatalf("got %d labels, want %d", len(ls), len(want))
	}
	for i, l := range ls {
		if l.ID != deskera.ID(i+1) || l.Name != want[i] {
			t.Errorf("label %d: got %+v, want %q", i, l, want[i])
		}
	}
}

func TestGetLabel(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	l, err := c.GetLabel(context.Background(), 2)
	if err != nil {
		t.Fatalf("GetLabel: %v", err)
	}
	if *l != (deskera.Label{ID: 2, Name: "Cold lead", Color: "blue", Icon: "ac_unit"}) {
		t.Errorf("got %+v", l)
	}
	if _, err := c.GetLabel(context.Background(), 99); !errors.Is(err, deskera.ErrNotFound) {
		t.Errorf("missing: got %v", err)
	}
}

func TestCreateLabel(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	id, err := c.CreateLabel(context.Background(), &deskera.LabelRequest{Name: "Score: hot", Color: "red"})
	if err != nil {
		t.Fatalf("CreateLabel: %v", err)
	}
	if id != 5 {
		t.Errorf("id: got %d, want 5", id)
	}
	ls := srv.Labels()
	if got := ls[len(ls)-1]; got.ID != id || got.Name != "Score: hot" {
		t.Errorf("stored: %+v", got)
	}
}

func TestUpdateLabel(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ctx := context.Background()
	if err := c.UpdateLabel(ctx, 2, &deskera.LabelRequest{Name: "Cool lead"}); err != nil {
		t.Fatalf("UpdateLabel: %v", err)
	}
	l, err := c.GetLabel(ctx, 2)
	if err != nil || l.Name != "Cool lead" || l.Color != "blue" {
		t.Errorf("after update: %+v, %v", l, err)
	}
	if err := c.UpdateLabel(ctx, 99, &deskera.LabelRequest{Name: "x"}); !errors.Is(err, deskera.ErrNotFound) {
		t.Errorf("missing: got %v", err)
	}
}

func TestDeleteLabel(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	if err := c.DeleteLabel(context.Background(), 4); err != nil {
		t.Fatalf("DeleteLabel: %v", err)
	}
	if n := len(srv.Labels()); n != 3 {
		t.Errorf("labels left: got %d, want 3", n)
	}
	if err := c.DeleteLabel(context.Background(), 4); !errors.Is(err, deskera.ErrNotFound) {
		t.Errorf("second delete: got %v", err)
	}
}
