package deskeratest

import (
	"net/http"
	"strconv"

	"github.com/leadhook/leadhook/deskera"
)

func (f *Fake) listLabels(w http.ResponseWriter, _ *http.Request, _ string, _ []byte) {
	writeJSON(w, http.StatusOK, f.Labels())
}

func (f *Fake) getLabel(w http.ResponseWriter, _ *http.Request, s string, _ []byte) {
	writeByID(w, s, "label", func(id deskera.ID) (deskera.Label, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		l, ok := f.labels[id]
		return l, ok
	})
}

// createLabel answers 201 {"id":"<n>"}: Deskera documents the id as a string.
func (f *Fake) createLabel(w http.ResponseWriter, _ *http.Request, _ string, body []byte) {
	var req deskera.LabelRequest
	if !decodeBody(w, body, &req) {
		return
	}
	if req.Name == "" {
		writeError(w, http.StatusBadRequest, "name is required")
		return
	}
	f.mu.Lock()
	id := f.nextLabel
	f.nextLabel++
	f.labels[id] = deskera.Label{ID: id, Name: req.Name, Color: req.Color, Icon: req.Icon,
		OwnerID: req.OwnerID, TenantID: TenantID}
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"id": strconv.FormatInt(int64(id), 10)})
}

// updateLabel applies the non-empty fields and answers 201 with no body.
func (f *Fake) updateLabel(w http.ResponseWriter, _ *http.Request, s string, body []byte) {
	modifyByID(f, w, s, "label", body, func(id deskera.ID) (deskera.Label, bool) {
		l, ok := f.labels[id]
		return l, ok
	}, func(id deskera.ID, l deskera.Label, req *deskera.LabelRequest) bool {
		setStr(&l.Name, req.Name)
		setStr(&l.Color, req.Color)
		setStr(&l.Icon, req.Icon)
		if req.OwnerID != 0 {
			l.OwnerID = req.OwnerID
		}
		f.labels[id] = l
		return true
	})
}

func (f *Fake) deleteLabel(w http.ResponseWriter, _ *http.Request, s string, _ []byte) {
	f.deleteByID(w, s, "label", func(id deskera.ID) bool {
		_, ok := f.labels[id]
		delete(f.labels, id)
		return ok
	})
}

// Labels returns the labels sorted by id.
func (f *Fake) Labels() []deskera.Label {
	f.mu.Lock()
	defer f.mu.Unlock()
	return inIDOrder(f.labels, func(l deskera.Label) deskera.Label { return l })
}
