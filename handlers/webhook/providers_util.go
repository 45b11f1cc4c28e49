package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leadhook/leadhook/rules"
)

// Helpers shared by the provider parsers and vendor verifiers. Names carry
// the prov prefix so they cannot collide with the generic helpers of the
// package.

// provSecret returns the source's signing secret, or an error naming the
// source when it is empty.
func provSecret(src rules.Source) ([]byte, error) {
	s := src.Auth.Secret.Reveal()
	if s == "" {
		return nil, fmt.Errorf("source %q: auth %q needs a secret", src.Name, src.Auth.Type)
	}
	return []byte(s), nil
}

// provSecrets returns every signing secret of the source (auth.secret,
// then auth.secrets: several while a secret is being rotated), or an
// error naming the source when there is none.
func provSecrets(src rules.Source) ([][]byte, error) {
	var keys [][]byte
	for _, s := range src.Auth.SigningSecrets() {
		keys = append(keys, []byte(s.Reveal()))
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("source %q: auth %q needs a secret", src.Name, src.Auth.Type)
	}
	return keys, nil
}

// anyKeyMatches reports whether sig equals the HMAC-SHA256 of parts under
// one of keys; every key is tried, so the time does not say which one.
func anyKeyMatches(keys [][]byte, sig []byte, parts ...[]byte) bool {
	ok := false
	for _, k := range keys {
		if hmac.Equal(sig, hmacSHA256(k, parts...)) {
			ok = true
		}
	}
	return ok
}

// provEmail normalises an email address: the bare address, lowercased;
// "" when s does not look like one.
func provEmail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	s = strings.ToLower(strings.Trim(s, "<> "))
	if !strings.Contains(s, "@") || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return s
}

// provSplitAddress splits `Bob <bob@example.com>` into the lowercased
// address and the display name.
func provSplitAddress(s string) (addr, name string) {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		return strings.ToLower(a.Address), a.Name
	}
	if i := strings.LastIndex(s, "<"); i >= 0 && strings.HasSuffix(s, ">") {
		return provEmail(s[i+1 : len(s)-1]), strings.Trim(strings.TrimSpace(s[:i]), `"`)
	}
	return provEmail(s), ""
}

// provAddressList parses a comma-separated address header into lowercased
// addresses, tolerating malformed entries.
func provAddressList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if list, err := mail.ParseAddressList(s); err == nil {
		out := make([]string, 0, len(list))
		for _, a := range list {
			out = append(out, strings.ToLower(a.Address))
		}
		return out
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if a, _ := provSplitAddress(p); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// provString renders a scalar JSON-ish value as text.
func provString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			parts = append(parts, provString(e))
		}
		return strings.Join(parts, ", ")
	case []string:
		return strings.Join(t, ", ")
	default:
		return fmt.Sprint(t)
	}
}

// provMaxDeliveryID is the longest delivery id kept as is; longer ids
// (sender-controlled Message-IDs, CloudEvents ids) are replaced by a hash so
// the idempotency store never refuses them.
const provMaxDeliveryID = 200

// provDeliveryID returns id, or "sha256:<hex>" of it when it is too long.
func provDeliveryID(id string) string {
	if len(id) <= provMaxDeliveryID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// provFirstNonEmpty returns the first non-empty string.
func provFirstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// provForm is a decoded urlencoded or multipart body: text values, and the
// number of file parts (whose content is never kept).
type provForm struct {
	Values url.Values
	Files  int
}

// provParseForm decodes an application/x-www-form-urlencoded or
// multipart/form-data body.
func provParseForm(req *Request, maxMemory int64) (*provForm, error) {
	ct := req.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil && ct != "" {
		return nil, UnsupportedMediaType(ct, "application/x-www-form-urlencoded", "multipart/form-data")
	}
	switch mt {
	case "multipart/form-data":
		return provParseMultipart(req.Body, params["boundary"], maxMemory)
	case "application/x-www-form-urlencoded", "":
		v, err := url.ParseQuery(string(req.Body))
		if err != nil {
			return nil, BadRequest("body", "invalid urlencoded form: %v", err)
		}
		return &provForm{Values: v}, nil
	default:
		return nil, UnsupportedMediaType(mt, "application/x-www-form-urlencoded", "multipart/form-data")
	}
}

// provParseMultipart reads the text parts (maxMemory bytes in total) and
// counts the file parts without reading them.
func provParseMultipart(body []byte, boundary string, maxMemory int64) (*provForm, error) {
	if boundary == "" {
		return nil, BadRequest("Content-Type", "multipart/form-data without a boundary")
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	f := &provForm{Values: url.Values{}}
	for {
		p, err := r.NextPart()
		// Only a bare io.EOF is the closing boundary: NextPart wraps the
		// EOF of a truncated body ("multipart: NextPart: EOF").
		if err == io.EOF { //nolint:errorlint // see above
			return f, nil
		}
		if err != nil {
			return nil, BadRequest("body", "invalid multipart body: %v", err)
		}
		name := p.FormName()
		if p.FileName() != "" || (name == "" && p.Header.Get("Content-Disposition") != "") {
			f.Files++
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxMemory+1))
		if err != nil {
			return nil, BadRequest("body", "invalid multipart body: %v", err)
		}
		if maxMemory -= int64(len(b)); maxMemory < 0 {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Field: name, Message: "form values too large"}
		}
		f.Values.Add(name, string(b))
	}
}

// provFormFields copies single-valued form fields as strings and repeated
// ones as []any, skipping the names in skip.
func provFormFields(v url.Values, skip map[string]bool) map[string]any {
	out := make(map[string]any, len(v))
	for k, vals := range v {
		if skip[k] || len(vals) == 0 {
			continue
		}
		if len(vals) == 1 {
			out[k] = provValidUTF8(vals[0])
			continue
		}
		list := make([]any, len(vals))
		for i, s := range vals {
			list[i] = provValidUTF8(s)
		}
		out[k] = list
	}
	return out
}

func provValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// provIsJSON reports whether the content type is JSON-ish (or absent).
func provIsJSON(ct string) bool {
	return ct == "" || ct == "application/json" || ct == "text/plain" || strings.HasSuffix(ct, "+json")
}
