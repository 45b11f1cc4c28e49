package webhook

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/leadhook/leadhook/rules"
)

// FilesField is the event.fields key holding how many files a multipart
// form carried (their content is never read into the event).
const FilesField = "_files"

// formParser accepts HTML form posts: application/x-www-form-urlencoded
// and multipart/form-data. Repeated names become lists, "name[]" is read
// as "name", "_charset_" is dropped, files are counted and discarded.
type formParser struct {
	source    string
	maxMemory int64
}

func newFormParser(src rules.Source, opts Options) Parser {
	return &formParser{source: src.Name, maxMemory: opts.maxMemory()}
}

// Parse decodes the form into one form-kind event.
func (p *formParser) Parse(ctx context.Context, req *Request) (*Parsed, error) {
	var (
		values url.Values
		files  int
		err    error
	)
	switch mt := req.ContentType(); mt {
	case "application/x-www-form-urlencoded":
		values, err = url.ParseQuery(string(req.Body))
		if err != nil {
			return nil, BadRequest("body", "malformed form data: %v", err)
		}
	case "multipart/form-data":
		values, files, err = p.parseMultipart(req)
		if err != nil {
			return nil, err
		}
	default:
		return nil, UnsupportedMediaType(mt, "application/x-www-form-urlencoded", "multipart/form-data")
	}
	ev := NewEvent(req, p.source, rules.KindForm)
	ev.Fields = formFields(values)
	if files > 0 {
		ev.Fields[FilesField] = int64(files)
	}
	if err := Normalize(&ev); err != nil {
		return nil, err
	}
	return &Parsed{Events: []rules.Event{ev}}, nil
}

// parseMultipart reads values (within maxMemory in total) and counts file
// parts without keeping them.
func (p *formParser) parseMultipart(req *Request) (url.Values, int, error) {
	_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, 0, BadRequest("Content-Type", "multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
	values := url.Values{}
	files := 0
	budget := p.maxMemory
	for {
		part, err := mr.NextPart()
		// Only a bare io.EOF is the closing boundary: NextPart wraps the
		// EOF of a truncated body ("multipart: NextPart: EOF").
		if err == io.EOF { //nolint:errorlint // see above
			return values, files, nil
		}
		if err != nil {
			return nil, 0, BadRequest("body", "malformed multipart form: %v", err)
		}
		if part.FileName() != "" || isFilePart(part) {
			files++
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, 0, BadRequest("body", "malformed multipart form: %v", err)
			}
			continue
		}
		if part.FormName() == "" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, budget+1))
		if err != nil {
			return nil, 0, BadRequest("body", "malformed multipart form: %v", err)
		}
		if budget -= int64(len(b)); budget < 0 {
			return nil, 0, &Error{Status: 413, Field: "body", Message: "multipart form values exceed the memory limit"}
		}
		values.Add(part.FormName(), string(b))
	}
}

// isFilePart reports whether a part without a filename still looks like
// a file (a non-text content type).
func isFilePart(part *multipart.Part) bool {
	mt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
	return mt != "" && !strings.HasPrefix(mt, "text/")
}

// formFields turns form values into event fields: one value -> string,
// several -> []any of strings.
func formFields(values url.Values) map[string]any {
	out := make(map[string]any, len(values))
	for k, vs := range values {
		if k == "_charset_" {
			continue
		}
		k = strings.TrimSuffix(k, "[]")
		for _, v := range vs {
			addField(out, k, v)
		}
	}
	return out
}

func addField(out map[string]any, k, v string) {
	switch cur := out[k].(type) {
	case nil:
		out[k] = v
	case string:
		out[k] = []any{cur, v}
	case []any:
		out[k] = append(cur, v)
	}
}
