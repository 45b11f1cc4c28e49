package deskeratest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/deskera"
	"github.com/leadhook/leadhook/deskera/deskeratest"
)

// do sends a raw request to srv and returns status, headers and body.
func do(t *testing.T, srv *deskeratest.Server, method, path, token, body string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("x-access-token", token)
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const tok = deskeratest.DefaultToken

func TestResponseShapes(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t)
	srv.AddContact(deskera.Contact{Name: "Ada", Email: "ada@example.com"})
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantBody   string // exact body, or a prefix when it ends with "*"
	}{
		{"LabelsBareArray", "GET", "/v1/crm/contacts/labels", "", 200, `[{"id":1,"name":"No label","color":"","icon":"","owner_id":0},*`},
		{"CreateLabelStringID", "POST", "/v1/crm/contacts/labels", `{"name":"New"}`, 201, `{"id":"5"}`},
		{"GetLabel", "GET", "/v1/crm/contacts/labels/4", "", 200, `{"id":4,"name":"Hot lead","color":"deep-orange","icon":"whatshot","owner_id":0}`},
		{"UpdateLabelEmpty201", "PUT", "/v1/crm/contacts/labels/4", `{"name":"Very hot"}`, 201, ""},
		{"DeleteLabelEmpty200", "DELETE", "/v1/crm/contacts/labels/2", "", 200, ""},
		{"ListWrapper", "GET", "/v1/crm/contacts", "", 200, `{"data":[{"id":1,"name":"Ada","email":"ada@example.com",*`},
		{"CreateContact200", "POST", "/v1/crm/contacts", `{"name":"Bob","label_id":3}`, 200, `{"id":2,"name":"Bob",*`},
		{"PatchEmpty201", "PATCH", "/v1/crm/contacts/1", `{"note":"x"}`, 201, ""},
		{"PutEmpty201", "PUT", "/v1/crm/contacts/1", `{"name":"Ada"}`, 201, ""},
		{"BulkEmpty201", "PATCH", "/v1/crm/contacts", `{"ids":[1],"label_id":3}`, 201, ""},
		{"Multiple", "POST", "/v1/crm/contacts/multiple", `{"contact_ids":[1,77]}`, 200, `[{"id":1,*`},
		{"UnknownContact404", "GET", "/v1/crm/contacts/77", "", 404, `{"code":404,"message":"contact 77 not found"}`},
		{"NonNumericID404", "GET", "/v1/crm/contacts/abc", "", 404, `{"code":404,*`},
		{"UnknownLabel404", "DELETE", "/v1/crm/contacts/labels/99", "", 404, `{"code":404,*`},
		{"MalformedJSON400", "POST", "/v1/crm/contacts", `{"name":`, 400, `{"code":400,"message":"malformed JSON*`},
		{"EmptyBody400", "PATCH", "/v1/crm/contacts/1", "", 400, `{"code":400,"message":"empty body"}`},
		{"BadLimit400", "GET", "/v1/crm/contacts?limit=ten", "", 400, `{"code":400,*`},
		{"UnknownRoute404", "GET", "/v1/other", "", 404, `{"code":404,*`},
		{"DeleteContactEmpty200", "DELETE", "/v1/crm/contacts/1", "", 200, ""},
	}
	for _, tc := range tests { // sequential: later cases depend on earlier ones
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := do(t, srv, tc.method, tc.path, tok, tc.body)
			if status != tc.wantStatus {
				t.Errorf("status: got %d, want %d (body %s)", status, tc.wantStatus, body)
			}
			if p, ok := strings.CutSuffix(tc.wantBody, "*"); ok {
				if !strings.HasPrefix(body, p) {
					t.Errorf("body: got %s, want prefix %s", body, p)
				}
			} else if body != tc.wantBody {
				t.Errorf("body: got %q, want %q", body, tc.wantBody)
			}
		})
	}
}

func TestContactObject(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := deskeratest.NewServer(t, deskeratest.WithClock(func() time.Time { return fixed }))
	_, _, body := do(t, srv, "POST", "/v1/crm/contacts", tok,
		`{"name":"Ada","email":"ada@example.com","label_id":4,"custom_field":[{"label":"drop","code":"D-1","value":"V2"}]}`)
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	want := map[string]any{
		"label":        map[string]any{"id": 4.0, "name": "Hot lead"},
		"label_id":     4.0,
		"type":         "person",
		"tenant_id":    float64(deskeratest.TenantID),
		"owner_id":     float64(deskeratest.OwnerID),
		"created_at":   "2026-01-02T03:04:05Z",
		"updated_at":   "2026-01-02T03:04:05Z",
		"c_field":      map[string]any{"drop": "V2"},
		"persons":      []any{},
		"deal_details": nil,
	}
	for k, v := range want {
		if g, _ := json.Marshal(got[k]); string(g) != mustJSON(t, v) {
			t.Errorf("%s: got %s, want %s", k, g, mustJSON(t, v))
		}
	}
	od, _ := got["owner_details"].(map[string]any)
	if od["first_name"] != "Test" || od["status"] != "active" {
		t.Errorf("owner_details: %v", got["owner_details"])
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAuth(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t)
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"Missing", "", 401},
		{"Wrong", "nope", 401},
		{"Default", tok, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, _ := do(t, srv, "GET", "/v1/crm/contacts/labels", tc.token, ""); status != tc.want {
				t.Errorf("got %d, want %d", status, tc.want)
			}
		})
	}
}

func TestOAuthEndpoint(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t)
	req, _ := http.NewRequest("POST", srv.URL+"/v2/oauth/token?grant_type=refresh_token&refresh_token="+deskeratest.DefaultRefreshToken, nil)
	req.SetBasicAuth(deskeratest.DefaultClientID, deskeratest.DefaultClientSecret)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if got.AccessToken == "" || got.RefreshToken != deskeratest.DefaultRefreshToken || got.ExpiresIn != 3600 {
		t.Errorf("got %+v", got)
	}
	if status, _, _ := do(t, srv, "GET", "/v1/crm/contacts", got.AccessToken, ""); status != 200 {
		t.Errorf("issued token rejected: %d", status)
	}
	req2, _ := http.NewRequest("POST", srv.URL+"/v2/oauth/token?grant_type=refresh_token&refresh_token=x", nil)
	req2.SetBasicAuth(deskeratest.DefaultClientID, deskeratest.DefaultClientSecret)
	resp2, err := srv.HTTPClient().Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 400 { // RFC 6749 5.2: invalid_grant
		t.Errorf("bad refresh token: got %d, want 400", resp2.StatusCode)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t)
	srv.SeedContacts(150)
	tests := []struct {
		name      string
		query     string
		wantLen   int
		wantFirst deskera.ID
		wantPage  int
	}{
		{"Default", "", deskeratest.DefaultLimit, 1, 1},
		{"Page2", "?page=2", 10, 11, 2},
		{"LimitCapped", "?limit=1000", deskeratest.MaxLimit, 1, 1},
		{"LastPartial", "?limit=100&page=2", 50, 101, 2},
		{"BeyondEnd", "?limit=100&page=3", 0, 0, 3},
		{"PageZeroIsFirst", "?page=0&limit=5", 5, 1, 1},
		{"Desc", "?order=desc&limit=1", 1, 150, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, body := do(t, srv, "GET", "/v1/crm/contacts"+tc.query, tok, "")
			var l deskera.ContactList
			if err := json.Unmarshal([]byte(body), &l); err != nil {
				t.Fatal(err)
			}
			if len(l.Data) != tc.wantLen || l.PaginationInfo.TotalRecords != 150 || l.PaginationInfo.Page != tc.wantPage {
				t.Errorf("got %d contacts, %+v", len(l.Data), l.PaginationInfo)
			}
			if len(l.Data) > 0 && l.Data[0].ID != tc.wantFirst {
				t.Errorf("first id: got %d, want %d", l.Data[0].ID, tc.wantFirst)
			}
			if l.Data == nil {
				t.Error("data must be [] not null")
			}
		})
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t)
	srv.FailNext(2, 429, 1500*time.Millisecond)
	for i := range 2 {
		status, h, _ := do(t, srv, "GET", "/v1/crm/contacts/labels", tok, "")
		if status != 429 || h.Get("Retry-After") != "1.5" {
			t.Errorf("request %d: got %d Retry-After %q", i, status, h.Get("Retry-After"))
		}
	}
	if status, _, _ := do(t, srv, "GET", "/v1/crm/contacts/labels", tok, ""); status != 200 {
		t.Errorf("third: got %d", status)
	}
	if got := srv.Count("labels.list"); got != 3 {
		t.Errorf("count: got %d, want 3", got)
	}
}

func TestDrop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		drop      func(*deskeratest.Server)
		wantStore int
	}{
		{"DropNext", func(s *deskeratest.Server) { s.DropNext(1) }, 0},
		{"DropNextAfterApply", func(s *deskeratest.Server) { s.DropNextAfterApply(1) }, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := deskeratest.NewServer(t)
			tc.drop(srv)
			req, _ := http.NewRequest("POST", srv.URL+"/v1/crm/contacts", strings.NewReader(`{"name":"Ada"}`))
			req.Header.Set("x-access-token", tok)
			resp, err := srv.HTTPClient().Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got status %d, want a dropped connection", resp.StatusCode)
			}
			if got := len(srv.Contacts()); got != tc.wantStore {
				t.Errorf("stored: got %d, want %d", got, tc.wantStore)
			}
		})
	}
}

func TestTransport(t *testing.T) {
	t.Parallel()
	f := deskeratest.New()
	hc := &http.Client{Transport: f.Transport()}
	c, err := deskera.NewClient(deskera.WithBaseURL("http://deskera.invalid"), deskera.WithAccessToken(tok),
		deskera.WithHTTPClient(hc), deskera.WithRateLimit(0, 0), deskera.WithBackoff(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ct, err := c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "Ada", Email: "ada@example.com"})
	if err != nil || ct.ID != 1 {
		t.Fatalf("create: %+v, %v", ct, err)
	}
	f.DropNextAfterApply(1)
	if _, err := c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "Bob"}); !errors.Is(err, deskera.ErrOutcomeUnknown) {
		t.Errorf("dropped create: got %v, want ErrOutcomeUnknown", err)
	}
	f.FailNext(1, 503, 0)
	if _, err := c.GetContact(ctx, 2); err != nil {
		t.Errorf("get after a 503: %v", err)
	}
	f.SetLatency(time.Second)
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.ListLabels(tctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("latency: got %v, want deadline exceeded", err)
	}
	want := map[string]int{"contacts.create": 2, "contacts.get": 2, "labels.list": 1}
	for op, n := range want {
		if got := f.Count(op); got != n {
			t.Errorf("%s: got %d, want %d", op, got, n)
		}
	}
	if f.Total() != 5 {
		t.Errorf("total: got %d, want 5", f.Total())
	}
	f.ResetCounts()
	if len(f.Counts()) != 0 {
		t.Errorf("after reset: %v", f.Counts())
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	f := deskeratest.New()
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", f))
	hc := &http.Client{Transport: roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		rec := newRecorder()
		mux.ServeHTTP(rec, r)
		return rec.result(r), nil
	})}
	c, err := deskera.NewClient(deskera.WithBaseURL("http://localhost/sandbox"), deskera.WithAccessToken(tok), deskera.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := c.ListLabels(context.Background())
	if err != nil || len(ls) != 4 {
		t.Errorf("got %v, %v", ls, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := deskeratest.NewServer(t)
	c := srv.Client()
	srv.FailRate(0.2, 503)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if i%2 == 0 {
				_, _ = c.CreateContact(ctx, &deskera.ContactSaveDto{Name: "C"})
				return
			}
			_, _ = c.ListContacts(ctx, nil)
			_ = srv.Contacts()
			_ = srv.Counts()
		}()
	}
	wg.Wait()
	srv.FailRate(0)
	if got := srv.Count("contacts.create") + srv.Count("contacts.list"); got < 40 {
		t.Errorf("requests: got %d, want at least 40", got)
	}
	if n := len(srv.Contacts()); n > 20 {
		t.Errorf("contacts: got %d, want at most 20", n)
	}
}
