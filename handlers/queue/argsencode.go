package queue

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/internal/jsontext"
)

// encodeArgs is json.Marshal(args), byte for byte, written without
// reflection: the intake encodes every delivery's job once, and through
// encoding/json (the header map's sorted keys, the body's base64, the
// time's method) that was 4% of a queued delivery's CPU.
// TestEncodeArgsIsJSONMarshal holds the two equal over every field of
// the job and the delivery, so a field added to either fails it until it
// is written here too. A time encoding/json refuses (a year outside
// 0-9999, a zone 24 hours or more away) is left to it, for its error.
func encodeArgs(a deliveryArgs) ([]byte, error) {
	if d := a.Delivery; d != nil && !rfc3339(d.ReceivedAt) {
		return json.Marshal(a)
	}
	b := make([]byte, 0, argsSize(a))
	b = appendString(append(b, `{"source":`...), a.Source)
	b = appendString(append(b, `,"delivery_id":`...), a.DeliveryID)
	if a.Retried != 0 {
		b = strconv.AppendInt(append(b, `,"retried":`...), int64(a.Retried), 10)
	}
	b = append(b, `,"delivery":`...)
	if a.Delivery == nil {
		b = append(b, "null"...)
	} else {
		b = appendDelivery(b, a.Delivery)
	}
	return append(b, '}'), nil
}

// rfc3339 reports whether encoding/json encodes t (as RFC 3339).
func rfc3339(t time.Time) bool {
	_, offset := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && offset > -24*3600 && offset < 24*3600
}

// argsSize is about the encoded size (the body's base64 and the rest),
// so that the buffer is allocated once.
func argsSize(a deliveryArgs) int {
	n := 256 + len(a.Source) + len(a.DeliveryID)
	if d := a.Delivery; d != nil {
		n += base64.StdEncoding.EncodedLen(len(d.Body)) + len(d.Path) + len(d.RequestID) + len(d.RecordID) + 64
		n += valuesSize(d.Header) + valuesSize(d.Query)
	}
	return n
}

// valuesSize is about the encoded size of a header or query map.
func valuesSize(m map[string][]string) int {
	n := 0
	for k, vs := range m {
		n += len(k) + 8
		for _, v := range vs {
			n += len(v) + 3
		}
	}
	return n
}

func appendDelivery(b []byte, d *handlers.QueuedDelivery) []byte {
	b = appendString(append(b, `{"source":`...), d.Source)
	if d.DeliveryID != "" {
		b = appendString(append(b, `,"delivery_id":`...), d.DeliveryID)
	}
	if d.RequestID != "" {
		b = appendString(append(b, `,"request_id":`...), d.RequestID)
	}
	b = appendString(append(b, `,"method":`...), d.Method)
	b = appendString(append(b, `,"path":`...), d.Path)
	b = appendValues(append(b, `,"header":`...), d.Header)
	if len(d.Query) > 0 {
		b = appendValues(append(b, `,"query":`...), d.Query)
	}
	b = append(b, `,"body":`...)
	if d.Body == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, d.Body)
		b = append(b, '"')
	}
	if d.RemoteIP != "" {
		b = appendString(append(b, `,"remote_ip":`...), d.RemoteIP)
	}
	b = append(b, `,"received_at":"`...)
	b = append(d.ReceivedAt.AppendFormat(b, time.RFC3339Nano), '"')
	if d.RecordID != "" {
		b = appendString(append(b, `,"record_id":`...), d.RecordID)
	}
	return append(b, '}')
}

// appendValues writes a header or query map as encoding/json does: null
// when nil, the keys sorted, a nil list as null.
func appendValues(b []byte, m map[string][]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		vs := m[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	return append(jsontext.AppendEscaped(append(b, '"'), s), '"')
}
