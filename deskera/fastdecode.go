package deskera

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leadhook/leadhook/internal/jsontext"
)

// A hand-written decoder for the replies every lead costs (the contact
// search's list, the created contact). encoding/json spends most of a
// call's decoding in reflection and in a value per field; this reads
// the same documents in one pass. It never guesses: anything it is not
// certain to decode exactly as encoding/json would (a key matching a
// field only case-insensitively, a repeated field, an escaped key, a
// value of another type, deep nesting, invalid JSON) makes it give up,
// and the caller decodes the whole reply with encoding/json instead, so
// values and error texts are encoding/json's in every case
// (FuzzFastDecode holds it to that).

// decodeKnown decodes b into out when out is a fresh (zero) value of a
// type the fast decoder knows, and reports whether it did; on false out
// is unchanged.
func decodeKnown(b []byte, out any) bool {
	d := fastDec{b: b}
	switch o := out.(type) {
	case **Contact:
		if *o != nil || d.peek() != '{' {
			return false // a set *o: encoding/json would decode into it
		}
		c := new(Contact)
		if !d.contact(c, 0) || !d.end() {
			return false
		}
		*o = c
	case *ContactList:
		var l ContactList
		if d.peek() != '{' || !d.contactList(&l) || !d.end() {
			return false
		}
		*o = l
	case *[]Contact:
		var cs []Contact
		if *o != nil || d.peek() != '[' || !d.contacts(&cs, 0) || !d.end() {
			return false
		}
		*o = cs
	default:
		return false
	}
	return true
}

// end reports whether nothing but white space is left.
func (d *fastDec) end() bool {
	d.ws()
	return d.i == len(d.b)
}

// fastDec reads JSON from b at i. Its methods return false to give up.
type fastDec struct {
	b []byte
	i int
	s string // b as a string, made on the first string value (see text)
}

// text returns b[start:end] as a string: a substring of one copy of the
// whole reply, so a contact's dozen strings cost one allocation instead
// of one each. The strings keep that copy alive together: a reply is
// decoded into the values it holds, and only as long as one of them is
// kept does the copy stay (a search's page, a created contact).
func (d *fastDec) text(start, end int) string {
	if d.s == "" {
		d.s = string(d.b)
	}
	return d.s[start:end]
}

// maxFastDepth bounds the nesting the fast decoder follows (encoding/json
// allows 10,000; deeper replies are its to decode, and to refuse).
const maxFastDepth = 64

func (d *fastDec) ws() {
	d.i = jsontext.Space(d.b, d.i)
}

// peek skips white space and returns the next byte (0 at the end).
func (d *fastDec) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *fastDec) literal(s string) bool {
	var ok bool
	d.i, ok = jsontext.Literal(d.b, d.i, s)
	return ok
}

// str scans the string at d.i (a '"'): its content is b[start:end];
// plain means no escapes and ASCII only (the content is the value).
func (d *fastDec) str() (start, end int, plain, ok bool) {
	end, kind, ok := jsontext.String(d.b, d.i)
	if !ok {
		return 0, 0, false, false
	}
	start, d.i = d.i+1, end+1
	return start, end, kind == 0, true
}

// num scans a JSON number at d.i and returns its text.
func (d *fastDec) num() ([]byte, bool) {
	end, _, ok := jsontext.Number(d.b, d.i)
	if !ok {
		return nil, false
	}
	s := d.b[d.i:end]
	d.i = end
	return s, true
}

// skip reads and discards any valid JSON value.
func (d *fastDec) skip(depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	switch d.peek() {
	case '"':
		_, _, _, ok := d.str()
		return ok
	case '{':
		return d.object(func(_ []byte, plain bool) bool { return d.skip(depth + 1) })
	case '[':
		return d.array(func() bool { return d.skip(depth + 1) })
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		_, ok := d.num()
		return ok
	}
}

// object reads the object at d.i (a '{'), calling field with each key
// (plain: no escapes, ASCII) to read its value.
func (d *fastDec) object(field func(key []byte, plain bool) bool) bool {
	d.i++ // '{'
	if d.peek() == '}' {
		d.i++
		return true
	}
	for {
		if d.peek() != '"' {
			return false
		}
		s, e, plain, ok := d.str()
		if !ok || d.peek() != ':' {
			return false
		}
		d.i++
		if !field(d.b[s:e], plain) {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return true
		default:
			return false
		}
	}
}

// array reads the array at d.i (a '['), calling elem to read each value.
func (d *fastDec) array(elem func() bool) bool {
	d.i++ // '['
	if d.peek() == ']' {
		d.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return true
		default:
			return false
		}
	}
}

// null reads a null if one is next.
func (d *fastDec) null() bool {
	return d.peek() == 'n' && d.literal("null")
}

// unknown skips the value of a key that is not exactly one of names (a
// struct's JSON field names, comma-separated), and gives up if
// encoding/json could still match it to one of them (case-insensitively,
// or after unescaping).
func (d *fastDec) unknown(key []byte, plain bool, names string, depth int) bool {
	if !plain {
		return false
	}
	for names != "" {
		n := names
		if j := strings.IndexByte(names, ','); j >= 0 {
			n, names = names[:j], names[j+1:]
		} else {
			names = ""
		}
		if len(n) == len(key) && strings.EqualFold(n, string(key)) {
			return false
		}
	}
	return d.skip(depth + 1)
}

// once marks field bit n seen; a repeated field gives up (encoding/json
// merges some repeats into the value already decoded).
func once(seen *uint64, n uint) bool {
	if *seen&(1<<n) != 0 {
		return false
	}
	*seen |= 1 << n
	return true
}

// string reads a string (null leaves dst as it is, as encoding/json does).
func (d *fastDec) string(dst *string) bool {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case '"':
		at := d.i
		end, kind, ok := jsontext.String(d.b, at)
		if !ok {
			return false
		}
		d.i = end + 1
		content := d.b[at+1 : end]
		nonASCII := kind&jsontext.NonASCII != 0
		if kind&jsontext.Escaped == 0 && (!nonASCII || utf8.Valid(content)) {
			*dst = d.text(at+1, end)
			return true
		}
		if kind&jsontext.Escaped != 0 {
			if b, ok := jsontext.Unescape(make([]byte, 0, len(content)), content); ok && (!nonASCII || utf8.Valid(b)) {
				*dst = string(b)
				return true
			}
		}
		// Invalid UTF-8: encoding/json's own unquoting, which replaces
		// it by U+FFFD (rare enough not to be worth a copy of that rule).
		var v string
		if json.Unmarshal(d.b[at:d.i], &v) != nil {
			return false
		}
		*dst = v
		return true
	}
	return false
}

// id reads an ID as ID.UnmarshalJSON does: a number, a numeric string,
// "" or null.
func (d *fastDec) id(dst *ID) bool {
	var text []byte
	switch c := d.peek(); {
	case c == 'n':
		*dst = 0
		return d.literal("null")
	case c == '"':
		s, e, plain, ok := d.str()
		if !ok || !plain {
			return false
		}
		text = d.b[s:e]
		if len(text) == 0 {
			*dst = 0
			return true
		}
	default:
		var ok bool
		if text, ok = d.num(); !ok {
			return false
		}
	}
	n, err := strconv.ParseInt(string(text), 10, 64)
	if err != nil {
		return false
	}
	*dst = ID(n)
	return true
}

// int reads an int as encoding/json does (an integer in range; null
// leaves dst as it is).
func (d *fastDec) int(dst *int) bool {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	text, ok := d.num()
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(string(text), 10, strconv.IntSize)
	if err != nil {
		return false
	}
	*dst = int(n)
	return true
}

func (d *fastDec) bool(dst *bool) bool {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case 't':
		*dst = true
		return d.literal("true")
	case 'f':
		*dst = false
		return d.literal("false")
	}
	return false
}

// raw reads any value into dst as its text (null gives "null", as
// encoding/json's RawMessage does).
func (d *fastDec) raw(dst *json.RawMessage, depth int) bool {
	d.ws()
	at := d.i
	if !d.skip(depth + 1) {
		return false
	}
	*dst = append(json.RawMessage(nil), d.b[at:d.i]...)
	return true
}

const contactNames = "id,name,email,phone,country_code,address,note,label,label_id,type,visibility_type,visibility_ids," +
	"persons,organization,organization_id,sub_owner_ids,owner_id,tenant_id,created_at,updated_at,created_by,updated_by," +
	"owner_details,deal_details,sub_owner_details,custom_field,c_field,view_only"

// contact reads the object at d.i into c (a zero Contact).
func (d *fastDec) contact(c *Contact, depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	var seen uint64
	return d.object(func(k []byte, plain bool) bool {
		switch string(k) {
		case "id":
			return once(&seen, 0) && d.id(&c.ID)
		case "name":
			return once(&seen, 1) && d.string(&c.Name)
		case "email":
			return once(&seen, 2) && d.string(&c.Email)
		case "phone":
			return once(&seen, 3) && d.string(&c.Phone)
		case "country_code":
			return once(&seen, 4) && d.string(&c.CountryCode)
		case "address":
			return once(&seen, 5) && d.string(&c.Address)
		case "note":
			return once(&seen, 6) && d.string(&c.Note)
		case "label":
			return once(&seen, 7) && d.labelRef(&c.Label)
		case "label_id":
			return once(&seen, 8) && d.id(&c.LabelID)
		case "type":
			return once(&seen, 9) && d.string(&c.Type)
		case "visibility_type":
			return once(&seen, 10) && d.string(&c.VisibilityType)
		case "visibility_ids":
			return once(&seen, 11) && d.raw(&c.VisibilityIDs, depth)
		case "persons":
			return once(&seen, 12) && d.raw(&c.Persons, depth)
		case "organization":
			return once(&seen, 13) && d.raw(&c.Organization, depth)
		case "organization_id":
			return once(&seen, 14) && d.id(&c.OrganizationID)
		case "sub_owner_ids":
			return once(&seen, 15) && d.ids(&c.SubOwnerIDs)
		case "owner_id":
			return once(&seen, 16) && d.id(&c.OwnerID)
		case "tenant_id":
			return once(&seen, 17) && d.id(&c.TenantID)
		case "created_at":
			return once(&seen, 18) && d.string(&c.CreatedAt)
		case "updated_at":
			return once(&seen, 19) && d.string(&c.UpdatedAt)
		case "created_by":
			return once(&seen, 20) && d.id(&c.CreatedBy)
		case "updated_by":
			return once(&seen, 21) && d.id(&c.UpdatedBy)
		case "owner_details":
			return once(&seen, 22) && d.ownerDetails(&c.OwnerDetails)
		case "deal_details":
			return once(&seen, 23) && d.dealDetails(&c.DealDetails)
		case "sub_owner_details":
			return once(&seen, 24) && d.raw(&c.SubOwnerDetails, depth)
		case "custom_field":
			return once(&seen, 25) && d.customFields(&c.CustomField)
		case "c_field":
			return once(&seen, 26) && d.stringMap(&c.CField)
		case "view_only":
			return once(&seen, 27) && d.bool(&c.ViewOnly)
		}
		return d.unknown(k, plain, contactNames, depth)
	})
}

// contacts reads an array of contacts (null elements are zero contacts).
func (d *fastDec) contacts(dst *[]Contact, depth int) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if d.peek() != '[' {
		return false
	}
	var cs []Contact // the first append makes room for the usual one contact
	ok := d.array(func() bool {
		cs = append(cs, Contact{})
		if d.null() {
			return true
		}
		return d.peek() == '{' && d.contact(&cs[len(cs)-1], depth+1)
	})
	if cs == nil {
		cs = []Contact{} // empty, not nil, as encoding/json decodes []: no allocation (a new lead's search)
	}
	*dst = cs
	return ok
}

func (d *fastDec) contactList(l *ContactList) bool {
	var seen uint64
	return d.object(func(k []byte, plain bool) bool {
		switch string(k) {
		case "data":
			return once(&seen, 0) && d.contacts(&l.Data, 1)
		case "paginationInfo":
			if !once(&seen, 1) {
				return false
			}
			if d.null() {
				return true
			}
			if d.peek() != '{' {
				return false
			}
			var pseen uint64
			p := &l.PaginationInfo
			return d.object(func(k []byte, plain bool) bool {
				switch string(k) {
				case "page":
					return once(&pseen, 0) && d.int(&p.Page)
				case "totalRecords":
					return once(&pseen, 1) && d.int(&p.TotalRecords)
				}
				return d.unknown(k, plain, "page,totalRecords", 2)
			})
		}
		return d.unknown(k, plain, "data,paginationInfo", 0)
	})
}

func (d *fastDec) labelRef(dst **LabelRef) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if d.peek() != '{' {
		return false
	}
	l := new(LabelRef)
	var seen uint64
	*dst = l
	return d.object(func(k []byte, plain bool) bool {
		switch string(k) {
		case "id":
			return once(&seen, 0) && d.id(&l.ID)
		case "name":
			return once(&seen, 1) && d.string(&l.Name)
		}
		return d.unknown(k, plain, "id,name", 2)
	})
}

func (d *fastDec) ownerDetails(dst **OwnerDetails) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if d.peek() != '{' {
		return false
	}
	o := new(OwnerDetails)
	var seen uint64
	*dst = o
	return d.object(func(k []byte, plain bool) bool {
		switch string(k) {
		case "id":
			return once(&seen, 0) && d.id(&o.ID)
		case "first_name":
			return once(&seen, 1) && d.string(&o.FirstName)
		case "last_name":
			return once(&seen, 2) && d.string(&o.LastName)
		case "email":
			return once(&seen, 3) && d.string(&o.Email)
		case "contact":
			return once(&seen, 4) && d.string(&o.Contact)
		case "role":
			return once(&seen, 5) && d.string(&o.Role)
		case "status":
			return once(&seen, 6) && d.string(&o.Status)
		}
		return d.unknown(k, plain, "id,first_name,last_name,email,contact,role,status", 2)
	})
}

func (d *fastDec) ids(dst *[]ID) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if d.peek() != '[' {
		return false
	}
	ids := make([]ID, 0)
	ok := d.array(func() bool {
		ids = append(ids, 0)
		return d.id(&ids[len(ids)-1])
	})
	*dst = ids
	return ok
}

func (d *fastDec) dealDetails(dst *[]DealDetail) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if d.peek() != '[' {
		return false
	}
	ds := make([]DealDetail, 0)
	ok := d.array(func() bool {
		ds = append(ds, DealDetail{})
		if d.null() {
			return true
		}
		if d.peek() != '{' {
			return false
		}
		x := &ds[len(ds)-1]
		var seen uint64
		return d.object(func(k []byte, plain bool) bool {
			switch string(k) {
			case "contactId":
				return once(&seen, 0) && d.id(&x.ContactID)
			case "status":
				return once(&seen, 1) && d.int(&x.Status)
			case "status_count":
				return once(&seen, 2) && d.int(&x.StatusCount)
			}
			return d.unknown(k, plain, "contactId,status,status_count", 3)
		})
	})
	*dst = ds
	return ok
}

func (d *fastDec) customFields(dst *[]CustomField) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if d.peek() != '[' {
		return false
	}
	cfs := make([]CustomField, 0, 4)
	ok := d.array(func() bool {
		cfs = append(cfs, CustomField{})
		if d.null() {
			return true
		}
		if d.peek() != '{' {
			return false
		}
		x := &cfs[len(cfs)-1]
		var seen uint64
		return d.object(func(k []byte, plain bool) bool {
			switch string(k) {
			case "code":
				return once(&seen, 0) && d.string(&x.Code)
			case "label":
				return once(&seen, 1) && d.string(&x.Label)
			case "module":
				return once(&seen, 2) && d.string(&x.Module)
			case "shortName":
				return once(&seen, 3) && d.string(&x.ShortName)
			case "value":
				return once(&seen, 4) && d.string(&x.Value)
			}
			return d.unknown(k, plain, "code,label,module,shortName,value", 3)
		})
	})
	*dst = cfs
	return ok
}

// stringMap reads an object of strings (a null value is "", as
// encoding/json stores it); an escaped key gives up.
func (d *fastDec) stringMap(dst *map[string]string) bool {
	if d.null() {
		*dst = nil
		return true
	}
	if d.peek() != '{' {
		return false
	}
	m := map[string]string{}
	*dst = m
	return d.object(func(k []byte, plain bool) bool {
		if !plain {
			return false
		}
		at := cap(d.b) - cap(k) // k is d.b[at : at+len(k)]
		key := d.text(at, at+len(k))
		var v string
		if !d.string(&v) {
			return false
		}
		m[key] = v
		return true
	})
}
