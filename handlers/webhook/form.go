package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// FilesField is the event.fields key holding how many files a multipart
// form carried (their content is never read into the event).
const FilesField = "_files"

// Media types of form-encoded bodies.
const (
	mtURLEncoded = "application/x-www-form-urlencoded"
	mtMultipart  = "multipart/form-data"
)

// formParser accepts HTML form posts: application/x-www-form-urlencoded
// and multipart/form-data (readForm says how both are read).
type formParser struct {
	source    string
	maxMemory int64
}

func newFormParser(src rules.Source, opts Options) Parser {
	return &formParser{source: src.Name, maxMemory: opts.maxMemory()}
}

// Parse decodes the form into one form-kind event.
func (p *formParser) Parse(_ context.Context, req *Request) (*Parsed, error) {
	form, err := readForm(req, p.maxMemory)
	if err != nil {
		return nil, err
	}
	ev := newEvent(req, p.source, rules.KindForm, form.fields(nil, nil))
	if form.files > 0 {
		ev.Fields[FilesField] = int64(form.files)
	}
	if err := Normalize(&ev); err != nil {
		return nil, err
	}
	return oneEvent(ev, ""), nil
}

// formBody is a decoded form-encoded body. readForm is the one reader of
// every form-encoded format (form, jotform, mailgun and its verifier,
// sendgrid), so they agree on all of this:
//   - no Content-Type is read as urlencoded (curl -d, some proxies);
//   - "name[]" is stored as "name" (its values after those of "name");
//   - a part with a filename, a non-text content type, or a
//     Content-Disposition but no form name is a file: counted, never kept;
//   - values are converted to UTF-8 from the part's own charset, else the
//     form's "_charset_" field (what browsers send), else UTF-8, reading
//     bytes that are not UTF-8 as windows-1252 (decodeCharset);
//   - "_charset_" itself is never a field.
type formBody struct {
	values   url.Values        // as sent
	charsets map[string]string // a multipart part's own charset, by name
	files    int
}

// readForm reads an application/x-www-form-urlencoded or
// multipart/form-data body (multipart values within maxMemory in total).
func readForm(req *Request, maxMemory int64) (*formBody, error) {
	ct := req.Header.Get("Content-Type")
	mt, params := mtURLEncoded, map[string]string(nil)
	if ct != "" {
		var err error
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			return nil, UnsupportedMediaType(mediaType(ct), mtURLEncoded, mtMultipart)
		}
	}
	switch mt {
	case mtURLEncoded:
		values, err := parseURLEncoded(string(req.Body))
		if err != nil {
			return nil, BadRequest("body", "malformed form data: %v", err)
		}
		return &formBody{values: mergeBrackets(values)}, nil
	case mtMultipart:
		return readMultipart(req.Body, params["boundary"], maxMemory)
	default:
		return nil, UnsupportedMediaType(mt, mtURLEncoded, mtMultipart)
	}
}

// parseURLEncoded is url.ParseQuery in fewer allocations: the map is
// sized up front and single values share one backing array (a repeated
// name's append copies out of it, as the slices are capped). The first
// malformed pair is an error, as it is a 400 anyway.
func parseURLEncoded(s string) (url.Values, error) {
	n := strings.Count(s, "&") + 1
	values := make(url.Values, n)
	backing := make([]string, 0, n)
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if strings.IndexByte(pair, ';') >= 0 {
			return nil, errors.New("invalid semicolon separator in query")
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, err
		}
		v, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, err
		}
		if cur, ok := values[k]; ok {
			values[k] = append(cur, v)
			continue
		}
		backing = append(backing, v)
		values[k] = backing[len(backing)-1 : len(backing) : len(backing)]
	}
	return values, nil
}

// mergeBrackets stores "name[]" under "name", after name's own values.
func mergeBrackets(values url.Values) url.Values {
	for k, vs := range values {
		if base, ok := strings.CutSuffix(k, "[]"); ok && base != "" {
			delete(values, k)
			values[base] = append(values[base], vs...)
		}
	}
	return values
}

// readMultipart reads the text parts (maxMemory bytes in total) and counts
// the file parts without keeping them.
func readMultipart(body []byte, boundary string, maxMemory int64) (*formBody, error) {
	if boundary == "" {
		return nil, BadRequest("Content-Type", "multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	f := &formBody{values: url.Values{}}
	budget := maxMemory
	for {
		part, err := mr.NextPart()
		// Only a bare io.EOF is the closing boundary: NextPart wraps the
		// EOF of a truncated body ("multipart: NextPart: EOF").
		if err == io.EOF { //nolint:errorlint // see above
			return f, nil
		}
		if err != nil {
			return nil, BadRequest("body", "malformed multipart form: %v", err)
		}
		name := part.FormName()
		if isFilePart(part, name) {
			f.files++
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, BadRequest("body", "malformed multipart form: %v", err)
			}
			continue
		}
		if name == "" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, budget+1))
		if err != nil {
			return nil, BadRequest("body", "malformed multipart form: %v", err)
		}
		if budget -= int64(len(b)); budget < 0 {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Field: "body", Message: "multipart form values exceed the memory limit"}
		}
		name = strings.TrimSuffix(name, "[]")
		f.values[name] = append(f.values[name], string(b))
		if _, params, err := mime.ParseMediaType(part.Header.Get("Content-Type")); err == nil && params["charset"] != "" {
			if f.charsets == nil {
				f.charsets = map[string]string{}
			}
			f.charsets[name] = params["charset"]
		}
	}
}

// isFilePart reports whether a part is a file: it has a filename, a
// content type that is not text, or a disposition without a form name.
func isFilePart(part *multipart.Part, name string) bool {
	if part.FileName() != "" || (name == "" && part.Header.Get("Content-Disposition") != "") {
		return true
	}
	mt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
	return mt != "" && !strings.HasPrefix(mt, "text/")
}

// charsetOf is the charset of name's values: the part's own, then
// declared(name) when given (SendGrid's charsets field), then _charset_.
func (f *formBody) charsetOf(name string, declared func(string) string) string {
	if cs := f.charsets[name]; cs != "" {
		return cs
	}
	if declared != nil {
		if cs := declared(name); cs != "" {
			return cs
		}
	}
	if cs := f.values["_charset_"]; len(cs) > 0 {
		return cs[0]
	}
	return ""
}

// get returns name's first value in UTF-8 ("" when absent).
func (f *formBody) get(name string, declared func(string) string) string {
	vs := f.values[name]
	if len(vs) == 0 {
		return ""
	}
	return decodeCharset(vs[0], f.charsetOf(name, declared))
}

// fields turns the values into event fields, in UTF-8: one value is a
// string, several a []any of strings; names in skip and _charset_ are
// left out.
func (f *formBody) fields(skip map[string]bool, declared func(string) string) map[string]any {
	out := make(map[string]any, len(f.values))
	for k, vs := range f.values {
		if skip[k] || k == "_charset_" || len(vs) == 0 {
			continue
		}
		cs := f.charsetOf(k, declared)
		if len(vs) == 1 {
			out[k] = decodeCharset(vs[0], cs)
			continue
		}
		list := make([]any, len(vs))
		for i, s := range vs {
			list[i] = decodeCharset(s, cs)
		}
		out[k] = list
	}
	return out
}
