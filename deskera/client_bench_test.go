package deskera_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/leadhook/leadhook/deskera"
)

// contactJSON is one contact as Deskera answers it.
const contactJSON = `{"id":4242,"name":"Jane Example","email":"jane@acme-industrial.example","phone":"+65 8575 8458","label_id":4,"owner_id":2675,` +
	`"custom_field":[{"label":"Lead source","shortName":"Lead source","value":"website"},{"label":"Lead score","shortName":"Lead score","value":"105"}],` +
	`"createdAt":"2026-11-26T12:00:00Z","updatedAt":"2026-11-26T12:00:00Z"}`

// BenchmarkClientCall is the client's own cost per call (encode, request,
// reply, decode) against an httptest server answering fixed bytes, so a
// regression in the per-call allocations shows here.
func BenchmarkClientCall(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			_, _ = w.Write([]byte(contactJSON))
			return
		}
		_, _ = w.Write([]byte(`{"data":[` + contactJSON + `],"paginationInfo":{"page":1,"totalRecords":1}}`))
	}))
	defer srv.Close()
	c, err := deskera.NewClient(deskera.WithBaseURL(srv.URL), deskera.WithAccessToken("t"), deskera.WithRateLimit(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("search", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.ListContacts(ctx, &deskera.ListContactsOptions{Email: "jane@acme-industrial.example", Limit: 10}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("search-gzip", func(b *testing.B) {
		// Deskera's replies gzipped, as a server answers Accept-Encoding: gzip.
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write([]byte(`{"data":[` + contactJSON + `],"paginationInfo":{"page":1,"totalRecords":1}}`))
		_ = zw.Close()
		zsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.Header.Get("Accept-Encoding") != "gzip" {
				http.Error(w, "gzip not asked for", http.StatusNotAcceptable)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(zb.Bytes())
		}))
		defer zsrv.Close()
		zc, err := deskera.NewClient(deskera.WithBaseURL(zsrv.URL), deskera.WithAccessToken("t"), deskera.WithRateLimit(0, 0))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			l, err := zc.ListContacts(ctx, &deskera.ListContactsOptions{Email: "jane@acme-industrial.example", Limit: 10})
			if err != nil || len(l.Data) != 1 {
				b.Fatal(err)
			}
		}
	})
	b.Run("create", func(b *testing.B) {
		dto := &deskera.ContactSaveDto{Name: "Jane Example", Email: "jane@acme-industrial.example", Phone: "+65 8575 8458", LabelID: 4, OwnerID: 2675,
			CustomField: []deskera.CustomField{{Label: "Lead source", ShortName: "Lead source", Value: "website"}}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.CreateContact(ctx, dto); err != nil {
				b.Fatal(err)
			}
		}
	})
}
