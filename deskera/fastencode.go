package deskera

import "strconv"

// appendSaveDto appends json.Marshal(d) to dst, written directly instead
// of by encoding/json's reflection (a create or patch per lead). It
// gives up (false) on a string json.Marshal would escape (a quote, a
// backslash, a control character, <, > or &, or any byte beyond ASCII):
// the caller then encodes d with encoding/json, so the bytes sent are
// json.Marshal's in every case (FuzzAppendSaveDto holds it to that).
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
	if len(d.PersonNames) > 0 {
		e.key("person_names")
		e.b = append(e.b, '[')
		for i, n := range d.PersonNames {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.quote(n)
		}
		e.b = append(e.b, ']')
	}
	e.id("organization_id", d.OrganizationID)
	e.str("organization_name", d.OrganizationName)
	e.id("owner_id", d.OwnerID)
	e.ids("sub_owner_ids", d.SubOwnerIDs)
	if len(d.CustomField) > 0 {
		e.key("custom_field")
		e.b = append(e.b, '[')
		for i, cf := range d.CustomField {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			f := dtoEncoder{b: append(e.b, '{'), ok: e.ok}
			f.str("code", cf.Code)
			f.str("label", cf.Label)
			f.str("module", cf.Module)
			f.str("shortName", cf.ShortName)
			f.key("value")
			f.quote(cf.Value)
			e.b, e.ok = append(f.b, '}'), f.ok
		}
		e.b = append(e.b, ']')
	}
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
	if len(v) == 0 {
		return
	}
	e.key(k)
	e.b = append(e.b, '[')
	for i, id := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = strconv.AppendInt(e.b, int64(id), 10)
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
