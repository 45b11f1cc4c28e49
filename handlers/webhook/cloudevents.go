package webhook

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leadhook/leadhook/rules"
)

// CloudEvents 1.0 over HTTP: binary mode (ce-* headers, percent-encoded,
// body = data), structured mode (application/cloudevents+json) and batch
// mode (application/cloudevents-batch+json, one event per element). The
// data object's fields become event.fields; the attributes are under
// event.fields.ce. The OPTIONS abuse-protection handshake is answered
// (CloudEventsHandshake; the router calls it before authentication). The
// JSON modes refuse a body that is not UTF-8.

const (
	ceStructured = "application/cloudevents+json"
	ceBatch      = "application/cloudevents-batch+json"
)

func parseCloudEvents(src rules.Source, req *Request) (*Parsed, error) {
	if req.Method == http.MethodOptions {
		st, h := CloudEventsHandshake(req.Header)
		return &Parsed{Reply: &Reply{Status: st, Header: h}}, nil
	}
	var raws []map[string]any
	switch ct := req.ContentType(); {
	case req.Header.Get("Ce-Specversion") != "":
		ce, err := ceBinary(req)
		if err != nil {
			return nil, err
		}
		raws = append(raws, ce)
	case ct == ceStructured:
		if err := CheckUTF8(req.Body); err != nil {
			return nil, err
		}
		// One pass when the body is a plain object (the same value
		// json.Unmarshal gives: floats mode); else encoding/json.
		one, _ := decodeJSONObjectFloats(req.Body)
		if one == nil {
			if err := json.Unmarshal(req.Body, &one); err != nil {
				one = nil
			}
		}
		if one == nil {
			return nil, BadRequest("body", "invalid structured CloudEvent")
		}
		raws = append(raws, one)
	case ct == ceBatch:
		if err := CheckUTF8(req.Body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(req.Body, &raws); err != nil || len(raws) == 0 {
			return nil, BadRequest("body", "invalid or empty CloudEvents batch")
		}
	default:
		return nil, UnsupportedMediaType(ct, "ce-* headers (binary mode)", ceStructured, ceBatch)
	}
	return ceEvents(src, req, raws)
}

func ceEvents(src rules.Source, req *Request, raws []map[string]any) (*Parsed, error) {
	out := &Parsed{}
	h := sha256.New()
	for i, ce := range raws {
		ev, err := ceEvent(src, req, ce)
		if err != nil {
			if len(raws) > 1 {
				err.Field = "[" + strconv.Itoa(i) + "]." + err.Field
			}
			return nil, err
		}
		out.Events = append(out.Events, ev)
		h.Write([]byte(rules.ValueText(ce["source"]) + "\x00" + ev.ID + "\x00"))
	}
	out.DeliveryID = out.Events[0].ID
	if len(out.Events) > 1 {
		out.DeliveryID = "batch-" + hex.EncodeToString(h.Sum(nil)[:16])
	}
	return out, nil
}

func ceEvent(src rules.Source, req *Request, ce map[string]any) (rules.Event, *Error) {
	ev := NewEvent(req, src.Name, rules.KindForm)
	if sv := rules.ValueText(ce["specversion"]); !strings.HasPrefix(sv, "1.") {
		return ev, BadRequest("specversion", "unsupported CloudEvents version %q", sv)
	}
	for _, k := range []string{"id", "source", "type"} {
		if s, _ := ce[k].(string); s == "" {
			return ev, BadRequest(k, "required CloudEvents attribute missing")
		}
	}
	data, err := ceData(ce)
	if err != nil {
		return ev, err
	}
	attrs := make(map[string]any, len(ce))
	for k, v := range ce {
		if k != "data" && k != "data_base64" {
			attrs[k] = v
		}
	}
	if obj, ok := data.(map[string]any); ok {
		for k, v := range obj {
			ev.Fields[k] = v
		}
		if err := normalize(&ev); err != nil {
			return ev, err
		}
	} else if data != nil {
		ev.Fields["data"] = data
	}
	ev.Fields["ce"] = attrs
	ev.ID = DeliveryID(ce["id"].(string))
	return ev, nil
}

// ceData returns data (JSON-decoded when it is a JSON string of a JSON
// content type) or the decoded data_base64 as text.
func ceData(ce map[string]any) (any, *Error) {
	if b64, ok := ce["data_base64"].(string); ok {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, BadRequest("data_base64", "invalid base64")
		}
		return ceDecodeBytes(b, rules.ValueText(ce["datacontenttype"])), nil
	}
	return ce["data"], nil
}

func ceDecodeBytes(b []byte, ct string) any {
	if len(b) == 0 {
		return nil
	}
	if provIsJSON(mediaType(ct)) {
		if v, ok := decodeJSON(b, true); ok {
			return v
		}
		var v any
		if json.Unmarshal(b, &v) == nil {
			return v
		}
	}
	if mediaType(ct) == "application/x-www-form-urlencoded" {
		if vals, err := url.ParseQuery(string(b)); err == nil {
			return (&formBody{values: vals}).fields(nil, nil)
		}
	}
	return decodeCharset(string(b), mediaParam(ct, "charset"))
}

// ceBinary reads a binary-mode event: percent-decoded ce-* headers, the
// Content-Type as datacontenttype and the body as data.
func ceBinary(req *Request) (map[string]any, *Error) {
	ce := map[string]any{}
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, ok := strings.CutPrefix(strings.ToLower(k), "ce-")
		if !ok || name == "" {
			continue
		}
		v, err := url.PathUnescape(req.Header.Get(k))
		if err != nil || !utf8.ValidString(v) {
			return nil, BadRequest(strings.ToLower(k), "invalid percent-encoding")
		}
		ce[name] = v
	}
	ct := req.Header.Get("Content-Type")
	if ct != "" {
		ce["datacontenttype"] = ct
	}
	if mt := mediaType(ct); mt == "application/json" || strings.HasSuffix(mt, "+json") {
		if err := CheckUTF8(req.Body); err != nil {
			return nil, err
		}
	}
	if d := ceDecodeBytes(req.Body, ct); d != nil {
		ce["data"] = d
	}
	return ce, nil
}

// CloudEventsHandshake answers the CloudEvents HTTP webhook validation
// request (OPTIONS, spec section 4): with WebHook-Request-Origin it
// grants that origin and the requested rate (WebHook-Request-Rate, a
// positive integer per minute) or any rate ("*"); without it, 200 with
// only Allow. It acts on nothing, so it needs no authentication: every
// delivery that follows is still verified.
func CloudEventsHandshake(req http.Header) (int, http.Header) {
	h := http.Header{"Allow": {"OPTIONS, POST"}}
	origin := strings.TrimSpace(req.Get("WebHook-Request-Origin"))
	if origin == "" {
		return http.StatusOK, h
	}
	h.Set("WebHook-Allowed-Origin", origin)
	rate := "*"
	if r := strings.TrimSpace(req.Get("WebHook-Request-Rate")); r != "" {
		if n, err := strconv.Atoi(r); err == nil && n > 0 {
			rate = strconv.Itoa(n)
		}
	}
	h.Set("WebHook-Allowed-Rate", rate)
	return http.StatusOK, h
}

// decodeJSONObjectFloats is the one-pass decoding of a JSON object as
// json.Unmarshal into map[string]any gives it; ok is false (and the map
// nil) for any body it leaves to encoding/json.
func decodeJSONObjectFloats(body []byte) (map[string]any, bool) {
	v, ok := decodeJSON(body, true)
	m, isObj := v.(map[string]any)
	return m, ok && isObj
}
