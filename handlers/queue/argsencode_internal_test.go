package queue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers"
)

// sameAsMarshal fails unless encodeArgs(a) is json.Marshal(a), bytes and
// error alike.
func sameAsMarshal(t *testing.T, a deliveryArgs) {
	t.Helper()
	want, wantErr := json.Marshal(a)
	got, err := encodeArgs(a)
	if (err != nil) != (wantErr != nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("error %v, want %v", err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodeArgs =\n%s\nwant (json.Marshal)\n%s", got, want)
	}
}

func TestEncodeArgsIsJSONMarshal(t *testing.T) {
	at := time.Date(2026, 12, 7, 23, 40, 54, 123456789, time.UTC)
	full := func(edit func(d *handlers.QueuedDelivery)) deliveryArgs {
		d := &handlers.QueuedDelivery{Source: "website", DeliveryID: "evt_1", RequestID: "req", Method: http.MethodPost,
			Path: "/hooks/website", Header: http.Header{"Content-Type": {"application/json"}, "X-Signature": {"sha256=ab"}},
			Query: url.Values{"dry_run": {"0"}}, Body: []byte(`{"email":"jane@acme.io"}`), RemoteIP: "203.0.113.9",
			ReceivedAt: at, RecordID: "rec_1"}
		if edit != nil {
			edit(d)
		}
		return deliveryArgs{Source: d.Source, DeliveryID: d.DeliveryID, Delivery: d}
	}
	tests := []struct {
		name string
		args deliveryArgs
	}{
		{name: "no delivery", args: deliveryArgs{Source: "s", DeliveryID: "d"}},
		{name: "every field", args: full(nil)},
		{name: "retried", args: func() deliveryArgs { a := full(nil); a.Retried = 3; return a }()},
		{name: "zero delivery", args: deliveryArgs{Delivery: &handlers.QueuedDelivery{}}},
		{name: "empty body, not nil", args: full(func(d *handlers.QueuedDelivery) { d.Body = []byte{} })},
		{name: "binary body", args: full(func(d *handlers.QueuedDelivery) { d.Body = []byte{0, 0xff, 0xfe, '\n'} })},
		{name: "nil header", args: full(func(d *handlers.QueuedDelivery) { d.Header = nil })},
		{name: "empty header", args: full(func(d *handlers.QueuedDelivery) { d.Header = http.Header{} })},
		{name: "a nil and an empty header value", args: full(func(d *handlers.QueuedDelivery) {
			d.Header = http.Header{"B": nil, "A": {}, "C": {"1", "2"}}
		})},
		{name: "keys sorted by bytes", args: full(func(d *handlers.QueuedDelivery) {
			d.Header = http.Header{"b": {"1"}, "B": {"2"}, "a-b": {"3"}, "A": {"4"}, "é": {"5"}}
		})},
		{name: "empty query, not nil: omitted", args: full(func(d *handlers.QueuedDelivery) { d.Query = url.Values{} })},
		{name: "escapes", args: full(func(d *handlers.QueuedDelivery) {
			d.Path = "/hooks/<x>&\"y\"\\\u2028\u2029\t\x01"
			d.Header = http.Header{"X-<&>": {"bad \xff utf-8", "ok é"}}
			d.RemoteIP = "\x7f"
		})},
		{name: "another zone", args: full(func(d *handlers.QueuedDelivery) {
			d.ReceivedAt = at.In(time.FixedZone("x", -(5*3600 + 30*60)))
		})},
		{name: "a zone with seconds", args: full(func(d *handlers.QueuedDelivery) { d.ReceivedAt = at.In(time.FixedZone("x", 3600+7)) })},
		{name: "whole seconds", args: full(func(d *handlers.QueuedDelivery) { d.ReceivedAt = at.Truncate(time.Second) })},
		{name: "zero time", args: full(func(d *handlers.QueuedDelivery) { d.ReceivedAt = time.Time{} })},
		{name: "year 10000: json.Marshal's error", args: full(func(d *handlers.QueuedDelivery) { d.ReceivedAt = at.AddDate(8000, 0, 0) })},
		{name: "zone of 24 hours: json.Marshal's error", args: full(func(d *handlers.QueuedDelivery) {
			d.ReceivedAt = at.In(time.FixedZone("x", 24*3600))
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { sameAsMarshal(t, tt.args) })
	}
}

// TestEncodeArgsWritesEveryField sets each field of the job and of its
// delivery in turn (by reflection, so that a field added later is set
// too) and compares: a field encodeArgs does not write fails here.
func TestEncodeArgsWritesEveryField(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[deliveryArgs](), reflect.TypeFor[handlers.QueuedDelivery]()} {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" || f.Name == "Delivery" {
				continue
			}
			t.Run(typ.Name()+"."+f.Name, func(t *testing.T) {
				a := deliveryArgs{Delivery: &handlers.QueuedDelivery{}}
				target := reflect.ValueOf(&a).Elem()
				if typ != target.Type() {
					target = reflect.ValueOf(a.Delivery).Elem()
				}
				setNonZero(t, target.Field(i))
				sameAsMarshal(t, a)
			})
		}
	}
}

// setNonZero gives v a value that encodes to something other than its
// zero value's encoding.
func setNonZero(t *testing.T, v reflect.Value) {
	t.Helper()
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
	case v.Kind() == reflect.String:
		v.SetString("a<b>")
	case v.Kind() == reflect.Int:
		v.SetInt(7)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		v.SetBytes([]byte("body"))
	case v.Kind() == reflect.Map && v.Type().Elem() == reflect.TypeFor[[]string]():
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf([]string{"v"}))
		v.Set(m)
	default:
		t.Fatalf("a field of type %s: teach setNonZero (and encodeArgs) about it", v.Type())
	}
}

// FuzzEncodeArgs: any strings, header and body encode as json.Marshal
// encodes them.
func FuzzEncodeArgs(f *testing.F) {
	f.Add("website", "evt_1", "/hooks/website", "X-Signature", "sha256=ab", []byte(`{"a":1}`), int64(0), 0)
	f.Add("<&>", "\u2028", "\xff", "", "\x00", []byte{}, int64(-1), 2)
	f.Fuzz(func(t *testing.T, source, id, path, hk, hv string, body []byte, unixNano int64, retried int) {
		d := &handlers.QueuedDelivery{Source: source, DeliveryID: id, Method: hk, Path: path,
			Header: http.Header{hk: {hv, id}}, Query: url.Values{hv: {path}}, Body: body, RemoteIP: hv,
			ReceivedAt: time.Unix(0, unixNano).UTC(), RecordID: fmt.Sprint(retried)}
		sameAsMarshal(t, deliveryArgs{Source: source, DeliveryID: id, Retried: retried, Delivery: d})
	})
}
