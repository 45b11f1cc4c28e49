package deskera

import "strconv"

// appendSaveDto appends json.Marshal(d) to dst, written directly instead
// of by encoding/json's reflection (a create or patch per lead). It
// gives up (false) on a string json.Marshal would escape (a quote, a
// backslash, a control character, <, > or &, or any byte beyond ASCII):
// the caller then encodes d with encoding/json, so the bytes sent are
// json.Marshal's in every case (FuzzEncodeSaveDto holds it to that).
func appendSaveDto(dst []byte, d *ContactSaveDto) ([]byte, bool) {
	e := dtoEncoder{b: append(dst, '{'), ok: true}
	e.id("id", d.ID)
	e.str("name", d.Name)
	e.str("email", d.Email)
	e.str("country_code", d.CountryCode)
	e.str("phone", d.Phone)
	e.str("address", d.Address)
	e.str("note", d.Note)
	e.str("logo", d.Logo)
	e.id("label_id", d.LabelID)
	e.str("visibility_type", d.VisibilityType)
	e.str("visibility_ids", d.VisibilityIDs)
	e.str("type", d.Type)
	e.ids("person_ids", d.PersonIDs)
	e.list("person_names", len(d.PersonNames), func(i int) { e.quote(d.PersonNames[i]) })
	e.id("organization_id", d.OrganizationID)
	e.str("organization_name", d.OrganizationName)
	e.id("owner_id", d.OwnerID)
	e.ids("sub_owner_ids", d.SubOwnerIDs)
	e.list("custom_field", len(d.CustomField), func(i int) {
		cf := &d.CustomField[i]
		f := dtoEncoder{b: append(e.b, '{'), ok: e.ok}
		f.str("code", cf.Code)
		f.str("label", cf.Label)
		f.str("module", cf.Module)
		f.str("shortName", cf.ShortName)
		f.key("value")
		f.quote(cf.Value)
		e.b, e.ok = append(f.b, '}'), f.ok
	})
	return append(e.b, '}'), e.ok
}

// dtoEncoder writes one JSON object's members into b; ok turns false at
// the first string it cannot write as json.Marshal would.
type dtoEncoder struct {
	b  []byte
	n  int // members written
	ok bool
}

func (e *dtoEncoder) key(k string) {
	if e.n > 0 {
		e.b = append(e.b, ',')
	}
	e.n++
	e.b = append(append(append(e.b, '"'), k...), '"', ':')
}

// str writes a string member unless it is empty (omitempty).
func (e *dtoEncoder) str(k, v string) {
	if v != "" {
		e.key(k)
		e.quote(v)
	}
}

// id writes an ID member unless it is 0 (omitempty).
func (e *dtoEncoder) id(k string, v ID) {
	if v != 0 {
		e.key(k)
		e.b = strconv.AppendInt(e.b, int64(v), 10)
	}
}

// ids writes an ID list member unless it is empty (omitempty).
func (e *dtoEncoder) ids(k string, v []ID) {
	e.list(k, len(v), func(i int) { e.b = strconv.AppendInt(e.b, int64(v[i]), 10) })
}

// list writes a list member of n items, each by item, unless n is 0
// (omitempty).
func (e *dtoEncoder) list(k string, n int, item func(i int)) {
	if n == 0 {
		return
	}
	e.key(k)
	e.b = append(e.b, '[')
	for i := range n {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		item(i)
	}
	e.b = append(e.b, ']')
}

// quote writes s as a JSON string when json.Marshal would write it as it
// is (printable ASCII but for ", \, <, > and &).
func (e *dtoEncoder) quote(s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			e.ok = false
			return
		}
	}
	e.b = append(append(append(e.b, '"'), s...), '"')
}
