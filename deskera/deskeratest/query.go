package deskeratest

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/leadhook/leadhook/deskera"
)

// listQuery is a parsed GET /v1/crm/contacts query.
type listQuery struct {
	page, limit   int
	search        string
	email, name   string
	phone, typ    string
	ids           map[deskera.ID]bool
	containsEmail string
	orderBy, desc string
}

func parseQuery(v url.Values) (*listQuery, error) {
	q := &listQuery{page: 1, limit: DefaultLimit,
		search: strings.ToLower(v.Get("search")), email: strings.ToLower(v.Get("email")),
		name: strings.ToLower(v.Get("name")), phone: v.Get("phone"), typ: v.Get("type"),
		containsEmail: v.Get("contains_email"),
		orderBy:       cmp.Or(v.Get("orderBy"), v.Get("order_by"), v.Get("sort"), "id"),
		desc:          strings.ToLower(v.Get("order")),
	}
	var err error
	if q.page, err = intParam(v, "page", 1); err != nil {
		return nil, err
	}
	if q.limit, err = intParam(v, "limit", DefaultLimit); err != nil {
		return nil, err
	}
	q.page, q.limit = max(q.page, 1), min(max(q.limit, 1), MaxLimit)
	if s := v.Get("contact_ids"); s != "" {
		if q.ids, err = parseIDs(s); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func intParam(v url.Values, name string, def int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an integer", name, s)
	}
	return n, nil
}

func parseIDs(s string) (map[deskera.ID]bool, error) {
	ids := map[deskera.ID]bool{}
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("contact_ids %q is not a list of integers", s)
		}
		ids[deskera.ID(n)] = true
	}
	return ids, nil
}

// filter returns the contacts matching q in id order; f.mu must be held
// while the result is used.
func (q *listQuery) filter(order []deskera.ID, all map[deskera.ID]*deskera.Contact) []*deskera.Contact {
	if q.unfiltered() {
		out := make([]*deskera.Contact, len(order))
		for i, id := range order {
			out[i] = all[id]
		}
		return out
	}
	out := []*deskera.Contact{}
	for _, id := range order {
		if c := all[id]; q.match(c) {
			out = append(out, c)
		}
	}
	return out
}

func (q *listQuery) unfiltered() bool {
	return q.search == "" && q.email == "" && q.name == "" && q.phone == "" &&
		q.typ == "" && q.ids == nil && q.containsEmail != "true"
}

func (q *listQuery) match(c *deskera.Contact) bool {
	switch {
	case q.search != "" && !containsFold(c.Name, q.search) &&
		!containsFold(c.Email, q.search) && !strings.Contains(c.Phone, q.search):
		return false
	case q.email != "" && !strings.EqualFold(c.Email, q.email):
		return false
	case q.name != "" && !containsFold(c.Name, q.name):
		return false
	case q.phone != "" && !strings.Contains(c.Phone, q.phone):
		return false
	case q.typ != "" && c.Type != q.typ:
		return false
	case q.ids != nil && !q.ids[c.ID]:
		return false
	case q.containsEmail == "true" && c.Email == "":
		return false
	}
	return true
}

// containsFold reports whether s contains the lower-case substr, ignoring case.
func containsFold(s, substr string) bool {
	return strings.Contains(strings.ToLower(s), substr)
}

// sort orders contacts already in ascending id order.
func (q *listQuery) sort(cs []*deskera.Contact) {
	if q.orderBy == "id" {
		if q.desc == "desc" {
			slices.Reverse(cs)
		}
		return
	}
	key := func(c *deskera.Contact) string {
		switch q.orderBy {
		case "name":
			return strings.ToLower(c.Name)
		case "email":
			return strings.ToLower(c.Email)
		case "created_at":
			return c.CreatedAt
		case "updated_at":
			return c.UpdatedAt
		}
		return ""
	}
	slices.SortFunc(cs, func(a, b *deskera.Contact) int {
		r := cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a.ID, b.ID))
		if q.desc == "desc" {
			return -r
		}
		return r
	})
}

func cloneContact(c *deskera.Contact) deskera.Contact {
	out := *c
	out.SubOwnerIDs = slices.Clone(c.SubOwnerIDs)
	out.CustomField = slices.Clone(c.CustomField)
	out.DealDetails = slices.Clone(c.DealDetails)
	out.VisibilityIDs = slices.Clone(c.VisibilityIDs)
	if c.Label != nil {
		l := *c.Label
		out.Label = &l
	}
	if c.OwnerDetails != nil {
		o := *c.OwnerDetails
		out.OwnerDetails = &o
	}
	if c.CField != nil {
		out.CField = make(map[string]string, len(c.CField))
		for k, v := range c.CField {
			out.CField[k] = v
		}
	}
	return out
}
