package deskeratest

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/leadhook/leadhook/deskera"
)

// Credentials the fake accepts by default.
const (
	DefaultToken        = "test-token"
	DefaultClientID     = "test-client"
	DefaultClientSecret = "test-secret"
	DefaultRefreshToken = "test-refresh"
)

// Paging of GET /v1/crm/contacts: the page size when limit is absent and the
// largest page size served (larger limits are capped).
const (
	DefaultLimit = 10
	MaxLimit     = 100
)

// Tenant and owner stamped on contacts the fake creates.
const (
	TenantID = 23312
	OwnerID  = 17826
)

// Option configures a Fake.
type Option func(*Fake)

// WithToken replaces DefaultToken as the accepted access token.
func WithToken(token string) Option {
	return func(f *Fake) { f.tokens = map[string]bool{token: true} }
}

// WithOAuthClient sets the client id, secret and refresh token the OAuth
// endpoint accepts.
func WithOAuthClient(clientID, clientSecret, refreshToken string) Option {
	return func(f *Fake) {
		f.clientID, f.clientSecret, f.refreshToken = clientID, clientSecret, refreshToken
	}
}

// WithTokenTTL sets expires_in of issued OAuth tokens (default one hour).
func WithTokenTTL(d time.Duration) Option {
	return func(f *Fake) { f.tokenTTL = d }
}

// WithClock replaces time.Now for created_at and updated_at.
func WithClock(now func() time.Time) Option {
	return func(f *Fake) { f.now = now }
}

// Fake is an in-memory Deskera CRM contacts API. Use New or NewServer.
type Fake struct {
	mu sync.Mutex

	tokens       map[string]bool
	clientID     string
	clientSecret string
	refreshToken string
	rotate       bool
	tokenTTL     time.Duration
	issued       int
	now          func() time.Time

	contacts    map[deskera.ID]*deskera.Contact
	order       []deskera.ID // contact ids, ascending
	labels      map[deskera.ID]deskera.Label
	nextContact deskera.ID
	nextLabel   deskera.ID

	counts map[string]int
	faults faults
}

// New returns a Fake seeded with the four documented labels and no contacts.
func New(opts ...Option) *Fake {
	f := &Fake{
		tokens:       map[string]bool{DefaultToken: true},
		clientID:     DefaultClientID,
		clientSecret: DefaultClientSecret,
		refreshToken: DefaultRefreshToken,
		tokenTTL:     time.Hour,
		now:          time.Now,
		contacts:     map[deskera.ID]*deskera.Contact{},
		labels:       map[deskera.ID]deskera.Label{},
		nextContact:  1,
		nextLabel:    1,
		counts:       map[string]int{},
		faults:       faults{rng: rand.New(rand.NewPCG(1, 2))},
	}
	for _, l := range seedLabels() {
		f.labels[l.ID] = l
		f.nextLabel = l.ID + 1
	}
	for _, o := range opts {
		o(f)
	}
	return f
}

func seedLabels() []deskera.Label {
	return []deskera.Label{
		{ID: 1, Name: "No label"},
		{ID: 2, Name: "Cold lead", Color: "blue", Icon: "ac_unit"},
		{ID: 3, Name: "Warm lead", Color: "orange", Icon: "brightness_low"},
		{ID: 4, Name: "Hot lead", Color: "deep-orange", Icon: "whatshot"},
	}
}

// route maps a request to its operation name and path id ("" for none).
func route(method, path string) (op, id string) {
	path = strings.TrimSuffix(path, "/")
	const contacts, labels = "/v1/crm/contacts", "/v1/crm/contacts/labels"
	switch {
	case path == "/v2/oauth/token" && method == http.MethodPost:
		return "oauth.token", ""
	case path == contacts:
		return pick(method, map[string]string{"GET": "contacts.list", "POST": "contacts.create", "PATCH": "contacts.bulk_update"}), ""
	case path == contacts+"/multiple" && method == http.MethodPost:
		return "contacts.multiple", ""
	case path == labels:
		return pick(method, map[string]string{"GET": "labels.list", "POST": "labels.create"}), ""
	case strings.HasPrefix(path, labels+"/"):
		return pick(method, map[string]string{"GET": "labels.get", "PUT": "labels.update", "DELETE": "labels.delete"}), path[len(labels)+1:]
	case strings.HasPrefix(path, contacts+"/"):
		return pick(method, map[string]string{"GET": "contacts.get", "PATCH": "contacts.update", "PUT": "contacts.replace", "DELETE": "contacts.delete"}), path[len(contacts)+1:]
	}
	return "", ""
}

func pick(method string, ops map[string]string) string { return ops[method] }

// ServeHTTP serves one request. A dropped request closes the connection
// without an answer (hijacking it, or aborting the handler).
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !f.serve(w, r) {
		return
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// serve answers r on w and reports whether the connection must be dropped.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) (drop bool) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot read body")
		return false
	}
	op, id := route(r.Method, r.URL.Path)
	fault := f.count(op)
	if !f.sleep(r) {
		return true
	}
	if fault.drop && !fault.apply {
		return true
	}
	if fault.status != 0 {
		if fault.apply {
			f.dispatch(discard{}, r, op, id, body)
		}
		writeFault(w, fault)
		return false
	}
	if fault.drop {
		f.dispatch(discard{}, r, op, id, body)
		return true
	}
	f.dispatch(w, r, op, id, body)
	return false
}

// dispatch authenticates and runs the operation.
func (f *Fake) dispatch(w http.ResponseWriter, r *http.Request, op, id string, body []byte) {
	switch {
	case op == "":
		writeError(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
	case op == "oauth.token":
		f.handleToken(w, r)
	case !f.authorized(r.Header.Get("x-access-token")):
		writeError(w, http.StatusUnauthorized, "invalid or missing x-access-token")
	default:
		f.operation(op)(w, r, id, body)
	}
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, id string, body []byte)

// operation is op's handler (op is one that route gives, but for "" and
// oauth.token, which dispatch answers itself). A switch, not a map of
// method values: the map and its 13 values were built on every request,
// 14 allocations of each of the sandbox's calls.
func (f *Fake) operation(op string) handlerFunc {
	switch op {
	case "contacts.list":
		return f.listContacts
	case "contacts.get":
		return f.getContact
	case "contacts.multiple":
		return f.multipleContacts
	case "contacts.create":
		return f.createContact
	case "contacts.update":
		return f.updateContact
	case "contacts.replace":
		return f.replaceContact
	case "contacts.delete":
		return f.deleteContact
	case "contacts.bulk_update":
		return f.bulkUpdate
	case "labels.list":
		return f.listLabels
	case "labels.get":
		return f.getLabel
	case "labels.create":
		return f.createLabel
	case "labels.update":
		return f.updateLabel
	case "labels.delete":
		return f.deleteLabel
	}
	return func(w http.ResponseWriter, r *http.Request, _ string, _ []byte) {
		writeError(w, http.StatusNotFound, "no handler for "+op)
	}
}

// count records a request for op and returns the fault to apply to it.
func (f *Fake) count(op string) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := op
	if name == "" {
		name = "unknown"
	}
	f.counts[name]++
	return f.faults.next(name)
}

func (f *Fake) authorized(token string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return token != "" && f.tokens[token]
}

// Count returns how many requests op (e.g. "contacts.create") received,
// including those answered with an injected fault. Unroutable requests are
// counted as "unknown".
func (f *Fake) Count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op]
}

// Counts returns a copy of the per-operation request counts.
func (f *Fake) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.counts))
	for k, v := range f.counts {
		out[k] = v
	}
	return out
}

// Total returns the number of requests received.
func (f *Fake) Total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.counts {
		n += v
	}
	return n
}

// ResetCounts zeroes the request counts.
func (f *Fake) ResetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts = map[string]int{}
}

// ExpireTokens invalidates every access token issued or accepted so far,
// so the next request gets 401 until a new token is obtained from the OAuth
// endpoint.
func (f *Fake) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]bool{}
}

// AddToken makes token an accepted access token.
func (f *Fake) AddToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = true
}
