package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadhook/leadhook/handlers"
	"github.com/leadhook/leadhook/handlers/idempotency"
	"github.com/leadhook/leadhook/handlers/lambda"
	"github.com/leadhook/leadhook/internal/syncbuf"
)

// Limits of the hostile-input server (small, so the table stays fast).
const (
	hostileMaxBody   = 64 << 10
	hostileMaxMemory = 8 << 10
)

// hostileCase is one malformed or abusive request and the status it
// must get. Raw requests are written to the socket as they are.
type hostileCase struct {
	name   string
	method string
	path   string
	header http.Header
	body   []byte
	chunk  bool   // send the body chunked (no Content-Length)
	raw    string // when set, sent verbatim instead
	want   int
}

func bearer(h http.Header) http.Header {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", "Bearer "+apiToken)
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return h
}

func kiosk(ct string) http.Header {
	h := http.Header{"Content-Type": {ct}}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("kiosk:"+kioskPassword)))
	return h
}

// hostileMultipart builds a multipart form: n small fields plus, when
// fileSize > 0, one file part of that size.
func hostileMultipart(n, fileSize int) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("email", "bomb@example.com")
	for i := range n {
		_ = w.WriteField("f"+strconv.Itoa(i), "v")
	}
	if fileSize > 0 {
		fw, _ := w.CreateFormFile("upload", "bomb.bin")
		_, _ = fw.Write(bytes.Repeat([]byte{'A'}, fileSize))
	}
	_ = w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func hostileCases() []hostileCase {
	nest := strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000)
	manyCT, many := hostileMultipart(3000, 0)
	bombCT, bomb := hostileMultipart(1, 60<<10)
	filesCT, files := func() (string, []byte) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("email", "files@example.com")
		for i := range 150 {
			fw, _ := w.CreateFormFile("f"+strconv.Itoa(i), "x.bin")
			_, _ = fw.Write(bytes.Repeat([]byte{'B'}, 100))
		}
		_ = w.Close()
		return w.FormDataContentType(), b.Bytes()
	}()
	manyHeaders := http.Header{}
	for i := range 500 {
		manyHeaders.Set("X-Junk-"+strconv.Itoa(i), "v")
	}
	big := http.Header{"X-Big": {strings.Repeat("a", 128<<10)}}
	lead := []byte(`{"email":"h@example.com","name":"H"}`)
	return []hostileCase{
		{name: "TruncatedJSON", path: "/hooks/api", header: bearer(nil), body: []byte(`{"email":"a@b.co","name":"x`), want: 400},
		{name: "DeepNestingArrays", path: "/hooks/api", header: bearer(nil), body: []byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)), want: 400},
		{name: "DeepNestingObjects", path: "/hooks/api", header: bearer(nil), body: []byte(`{"email":"deep@example.com","x":` + nest + `}`), want: 200},
		{name: "HugeExponent", path: "/hooks/api", header: bearer(nil), body: []byte(`{"email":"n@example.com","budget":1e999999}`), want: 200},
		{name: "HugeInteger", path: "/hooks/api", header: bearer(nil), body: []byte(`{"email":"n2@example.com","budget":` + strings.Repeat("9", 5000) + `}`), want: 200},
		// RFC 8259: JSON is UTF-8. Decoding would store U+FFFD in the CRM.
		{name: "InvalidUTF8", path: "/hooks/api", header: bearer(nil), body: []byte("{\"email\":\"u@example.com\",\"name\":\"\xff\xfe\xc3\"}"), want: 400},
		{name: "Latin1JSON", path: "/hooks/api", header: bearer(nil), body: []byte("{\"email\":\"l@example.com\",\"name\":\"Jos\xe9 M\xfcller\"}"), want: 400},
		{name: "Latin1JSONCharsetDeclared", path: "/hooks/api", header: bearer(http.Header{"Content-Type": {"application/json; charset=iso-8859-1"}}), body: []byte("{\"email\":\"l2@example.com\",\"name\":\"Jos\xe9\"}"), want: 400},
		{name: "Latin1CloudEvent", path: "/hooks/events", header: bearer(http.Header{"Content-Type": {"application/cloudevents+json"}}), body: []byte("{\"specversion\":\"1.0\",\"id\":\"l1\",\"source\":\"/s\",\"type\":\"t\",\"data\":{\"email\":\"l3@example.com\",\"name\":\"Jos\xe9\"}}"), want: 400},
		{name: "Latin1CloudEventsBatch", path: "/hooks/events", header: bearer(http.Header{"Content-Type": {"application/cloudevents-batch+json"}}), body: []byte("[{\"specversion\":\"1.0\",\"id\":\"l2\",\"source\":\"/s\",\"type\":\"t\",\"data\":{\"email\":\"l4@example.com\",\"name\":\"Jos\xe9\"}}]"), want: 400},
		{name: "Latin1CloudEventBinary", path: "/hooks/events", header: bearer(http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"l3"}, "Ce-Source": {"/s"}, "Ce-Type": {"t"}}), body: []byte("{\"email\":\"l5@example.com\",\"name\":\"Jos\xe9\"}"), want: 400},
		{name: "UTF8JSONAccepted", path: "/hooks/api", header: bearer(nil), body: []byte(`{"email":"u8@example.com","name":"José Müller"}`), want: 200},
		{name: "LoneSurrogateAndNUL", path: "/hooks/api", header: bearer(nil), body: []byte(`{"email":"s@example.com","name":"\ud800\u0000"}`), want: 200},
		{name: "TopLevelString", path: "/hooks/api", header: bearer(nil), body: []byte(`"lead"`), want: 400},
		{name: "TopLevelNull", path: "/hooks/api", header: bearer(nil), body: []byte(`null`), want: 400},
		{name: "EmptyBody", path: "/hooks/api", header: bearer(nil), body: nil, want: 400},
		{name: "TrailingGarbage", path: "/hooks/api", header: bearer(nil), body: []byte(`{"email":"t@example.com"} {"x":1}`), want: 400},
		{name: "ManyFields", path: "/hooks/api", header: bearer(nil), body: manyFields(3000), want: 200},
		{name: "WrongContentTypeXML", path: "/hooks/api", header: bearer(http.Header{"Content-Type": {"application/xml"}}), body: []byte(`<lead/>`), want: 415},
		{name: "FormToJSONSource", path: "/hooks/api", header: bearer(http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}), body: []byte("email=a%40b.co"), want: 415},
		{name: "ConflictingContentTypes", path: "/hooks/api", header: bearer(http.Header{"Content-Type": {"application/json", "text/plain"}}), body: lead, want: 200},
		{name: "MalformedContentTypeParams", path: "/hooks/api", header: bearer(http.Header{"Content-Type": {"application/json; charset"}}), body: lead, want: 200},
		{name: "MultipartToJSONSource", path: "/hooks/api", header: bearer(http.Header{"Content-Type": {"multipart/form-data; boundary=X"}}), body: []byte("--X--\r\n"), want: 415},
		{name: "OversizeBody", path: "/hooks/api", header: bearer(nil), body: bytes.Repeat([]byte(" "), hostileMaxBody+1), want: 413},
		{name: "OversizeChunkedBody", path: "/hooks/api", header: bearer(nil), body: bytes.Repeat([]byte(" "), hostileMaxBody+1), chunk: true, want: 413},
		{name: "OversizeHeader", path: "/hooks/api", header: bearer(big), body: lead, want: 431},
		{name: "ManyHeaders", path: "/hooks/api", header: bearer(manyHeaders), body: []byte(`{"email":"mh@example.com"}`), want: 200},
		{name: "DuplicateAuthorizationBadFirst", path: "/hooks/api", header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer wrong", "Bearer " + apiToken}}, body: lead, want: 401},
		{name: "ConflictingIdempotencyKeys", path: "/hooks/api", header: bearer(http.Header{"Idempotency-Key": {"k1", "k2"}}), body: []byte(`{"email":"ik@example.com"}`), want: 200},
		{name: "OverlongIdempotencyKey", path: "/hooks/api", header: bearer(http.Header{"Idempotency-Key": {strings.Repeat("k", 300)}}), body: lead, want: 200}, // hashed (webhook.DeliveryID), not refused
		{name: "DuplicateSignatureBadFirst", path: "/hooks/website", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Signature": {"sha256=00", "sha256=" + hexHMAC(websiteSecret, "email=a%40b.co")}}, body: []byte("email=a%40b.co"), want: 401},
		{name: "SignatureNotHex", path: "/hooks/website", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Signature": {"sha256=zzzz"}}, body: []byte("email=a%40b.co"), want: 401},
		{name: "BasicAuthBadBase64", path: "/hooks/kiosk", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Basic !!!"}}, body: []byte("email=a%40b.co"), want: 401},
		{name: "BadPercentEncoding", path: "/hooks/kiosk", header: kiosk("application/x-www-form-urlencoded"), body: []byte("email=%zz&name=%"), want: 400},
		{name: "MultipartNoBoundary", path: "/hooks/kiosk", header: kiosk("multipart/form-data"), body: []byte("--X\r\n\r\n--X--\r\n"), want: 400},
		{name: "MultipartTruncated", path: "/hooks/kiosk", header: kiosk("multipart/form-data; boundary=X"), body: []byte("--X\r\nContent-Disposition: form-data\r\n\r\nno end"), want: 400},
		{name: "MultipartEmpty", path: "/hooks/kiosk", header: kiosk("multipart/form-data; boundary=X"), body: nil, want: 400},
		{name: "MultipartManyParts", path: "/hooks/kiosk", header: kiosk(manyCT), body: many, want: 413},
		{name: "MultipartFileBomb", path: "/hooks/kiosk", header: kiosk(bombCT), body: bomb, want: 200},
		{name: "MultipartManyFiles", path: "/hooks/kiosk", header: kiosk(filesCT), body: files, want: 200},
		{name: "UnknownSource", path: "/hooks/nope", header: bearer(nil), body: lead, want: 404},
		{name: "GetOnHook", method: http.MethodGet, path: "/hooks/api", want: 405},
		// CloudEvents HTTP webhook validation (spec section 4): answered on
		// cloudevents sources only, without authentication (it acts on
		// nothing; deliveries are still verified).
		{name: "CloudEventsHandshake", method: http.MethodOptions, path: "/hooks/events", header: http.Header{"WebHook-Request-Origin": {"eventemitter.example.com"}}, want: 200},
		{name: "OptionsOnJSONSource", method: http.MethodOptions, path: "/hooks/api", header: http.Header{"WebHook-Request-Origin": {"eventemitter.example.com"}}, want: 405},
		{name: "OptionsOnUnknownSource", method: http.MethodOptions, path: "/hooks/nope", header: http.Header{"WebHook-Request-Origin": {"eventemitter.example.com"}}, want: 404},
		{name: "DryRunWithoutAdminToken", path: "/hooks/api?dry_run=1", header: bearer(nil), body: lead, want: 401},
		{name: "HugeQueryString", path: "/hooks/api?q=" + strings.Repeat("a", 128<<10), header: bearer(nil), body: lead, want: 431},
		// Transfer-Encoding wins over Content-Length (RFC 9112): one
		// empty chunked request, no smuggled second one; it lacks auth.
		{name: "RawSmugglingCLandTE", raw: "POST /hooks/api HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: 401},
		{name: "RawBadChunkSize", raw: "POST /hooks/api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + apiToken + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", want: 400},
		{name: "RawInvalidHeaderName", raw: "POST /hooks/api HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\nContent-Length: 0\r\n\r\n", want: 400},
		{name: "RawDuplicateContentLength", raw: "POST /hooks/api HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", want: 400},
	}
}

func manyFields(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"email":"many@example.com"`)
	for i := range n {
		fmt.Fprintf(&b, `,"f%d":"%s"`, i, strings.Repeat("x", 8))
	}
	b.WriteString("}")
	return []byte(b.String())
}

func newHostileServer(t *testing.T, logs *syncbuf.Buffer, maxFlight int) *replicaSetup {
	t.Helper()
	_, _, deskeraURL := newFakeDeskera(t, 0)
	return newReplica(t, replicaOptions{deskeraURL: deskeraURL, timeout: calmTimeout, store: idempotency.NewMemory(0), logs: logs, maxFlight: maxFlight,
		configure: func(c *handlers.Config, sc *handlers.ServerConfig) {
			c.AdminToken = adminToken
			c.Webhook.MaxMemory = hostileMaxMemory
			sc.MaxBody = hostileMaxBody
		}})
}

// TestHostileRequests: malformed and abusive requests over real HTTP get
// their 4xx (or 2xx where the input is odd but valid); never a 5xx or a
// panic.
func TestHostileRequests(t *testing.T) {
	logs := &syncbuf.Buffer{}
	rep := newHostileServer(t, logs, 0)
	cases := hostileCases()
	if len(cases) < 30 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var status int
			var body []byte
			if tc.raw != "" {
				status, body = sendRaw(t, rep.srv.Listener.Addr().String(), tc.raw)
			} else {
				status, body = sendHostile(t, rep.srv.URL, tc)
			}
			if status >= 500 || status != tc.want {
				t.Fatalf("status %d, want %d; body %.300s", status, tc.want, body)
			}
		})
	}
	if l := logs.String(); strings.Contains(l, "panic") {
		t.Fatalf("a request panicked: %s", l)
	}
	checkNoSecrets(t, logs.String())
}

func sendHostile(t *testing.T, base string, tc hostileCase) (int, []byte) {
	t.Helper()
	var r io.Reader = bytes.NewReader(tc.body)
	if tc.chunk {
		r = io.MultiReader(r) // hides the length: sent chunked
	}
	method := tc.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, base+tc.path, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range tc.header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// sendRaw writes raw to a fresh connection and reads one answer (0 when
// the server closes the connection without one).
func sendRaw(t *testing.T, addr, raw string) (int, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// TestServerLimitsSet: the HTTP server has every timeout and a header cap.
func TestServerLimitsSet(t *testing.T) {
	srv := handlers.NewHTTPServer(":0", http.NotFoundHandler(), nil)
	tests := []struct {
		name string
		got  time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout},
		{"ReadTimeout", srv.ReadTimeout},
		{"WriteTimeout", srv.WriteTimeout},
		{"IdleTimeout", srv.IdleTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got <= 0 {
				t.Fatalf("%s not set", tc.name)
			}
		})
	}
	if srv.MaxHeaderBytes <= 0 || srv.WriteTimeout <= handlers.DefaultProcessTimeout {
		t.Fatalf("MaxHeaderBytes %d, WriteTimeout %v (must exceed the process timeout %v)", srv.MaxHeaderBytes, srv.WriteTimeout, handlers.DefaultProcessTimeout)
	}
}

// TestSlowClients: a client dribbling its headers (slowloris) or its body
// is cut off by the read-header and read timeouts (shortened here).
func TestSlowClients(t *testing.T) {
	_, _, deskeraURL := newFakeDeskera(t, 0)
	rep := newReplica(t, replicaOptions{deskeraURL: deskeraURL, timeout: calmTimeout, store: idempotency.NewMemory(0), logs: &syncbuf.Buffer{},
		server: func(s *http.Server) { s.ReadHeaderTimeout, s.ReadTimeout = 300*time.Millisecond, 600*time.Millisecond }})
	addr := rep.srv.Listener.Addr().String()
	tests := []struct {
		name  string
		first string
		drip  string
		want  int // 0: closed without an answer
	}{
		{"SlowHeaders", "POST /hooks/api HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n", 0},
		// A slow link is not the delivery's fault: 408, which senders retry
		// (it was a final 400).
		{"SlowBody", "POST /hooks/api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + apiToken + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", " ", 408},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(conn, tc.first); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() { // keep dripping until the server gives up
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
						if _, err := io.WriteString(conn, tc.drip); err != nil {
							return
						}
					}
				}
			})
			status := 0
			if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			close(stop)
			wg.Wait()
			if status != tc.want {
				t.Fatalf("status %d, want %d", status, tc.want)
			}
		})
	}
}

// TestHostileLambdaEvents: the Lambda adapter answers bad base64 and
// other broken HTTP events with a 4xx response, not an error or a panic.
func TestHostileLambdaEvents(t *testing.T) {
	logs := &syncbuf.Buffer{}
	rep := newHostileServer(t, logs, 0)
	h, err := lambda.New(lambda.Config{Core: rep.svc, HTTP: rep.srv.Config.Handler})
	if err != nil {
		t.Fatal(err)
	}
	v2 := func(body string, b64 bool, ct string) string {
		ev := map[string]any{"version": "2.0", "routeKey": "POST /hooks/{source}", "rawPath": "/hooks/api",
			"headers":        map[string]string{"authorization": "Bearer " + apiToken, "content-type": ct},
			"pathParameters": map[string]string{"source": "api"}, "body": body, "isBase64Encoded": b64,
			"requestContext": map[string]any{"http": map[string]string{"method": "POST", "path": "/hooks/api", "sourceIp": "192.0.2.1"}}}
		b, _ := json.Marshal(ev)
		return string(b)
	}
	tests := []struct {
		name    string
		payload string
		want    int
	}{
		{"BadBase64", v2("!!!not base64!!!", true, "application/json"), 400},
		{"Base64OfGarbage", v2(base64.StdEncoding.EncodeToString([]byte("\xff\x00{")), true, "application/json"), 400},
		{"Base64Oversize", v2(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte(" "), hostileMaxBody+1)), true, "application/json"), 413},
		{"TruncatedJSONBody", v2(`{"email":`, false, "application/json"), 400},
		{"WrongContentType", v2(`<x/>`, false, "application/xml"), 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), json.RawMessage(tc.payload))
			if err != nil {
				t.Fatalf("invocation error %v", err)
			}
			b, _ := json.Marshal(out)
			var resp struct {
				StatusCode int `json:"statusCode"`
			}
			if err := json.Unmarshal(b, &resp); err != nil || resp.StatusCode != tc.want {
				t.Fatalf("answer %s, want status %d", b, tc.want)
			}
		})
	}
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("panic: %s", logs.String())
	}
}

// slowBodyHeaders opens a /hooks/api request that announces a body and
// sends only its first byte.
const slowBodyHeaders = "POST /hooks/api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + apiToken +
	"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"

// gauge reads a gauge's value (0 when absent).
func gauge(t *testing.T, m *handlers.Metrics, name string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) > 0 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}

// TestSlowBodyLockout: more connections than in-flight slots send their
// headers and hold the body back; a real sender still gets its answer
// (it got 429 while every slot was held by a body that never came).
func TestSlowBodyLockout(t *testing.T) {
	const slots, idle = 4, 8
	_, _, deskeraURL := newFakeDeskera(t, 0)
	rep := newReplica(t, replicaOptions{deskeraURL: deskeraURL, timeout: calmTimeout, store: idempotency.NewMemory(0), logs: &syncbuf.Buffer{}, maxFlight: slots})
	addr := rep.srv.Listener.Addr().String()
	conns := make([]net.Conn, 0, idle)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range idle {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		if _, err := io.WriteString(conn, slowBodyHeaders); err != nil {
			t.Fatal(err)
		}
	}
	// Wait (bounded) until the idle requests are inside the router; with
	// the cap taken before the body, only `slots` of them ever are.
	for deadline := time.Now().Add(30 * time.Second); gauge(t, rep.metrics, "leadhook_http_requests_in_flight") < idle && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	if got := gauge(t, rep.metrics, "leadhook_http_requests_in_flight"); got < slots {
		t.Fatalf("only %v idle requests reached the router", got)
	}
	status, body := sendHostile(t, rep.srv.URL, hostileCase{path: "/hooks/api", header: bearer(nil), body: []byte(`{"email":"real@example.com"}`)})
	if status != http.StatusOK {
		t.Fatalf("real sender answered %d %.200s while %d clients held their bodies back, want 200", status, body, idle)
	}
	// The idle requests are still waiting for their bodies (not answered).
	_ = conns[0].SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := conns[0].Read(make([]byte, 1)); n > 0 || err == nil {
		t.Fatalf("an idle request was answered (%d bytes, %v)", n, err)
	}
}

// TestSlowBodyCutByBodyTimeout: a body that does not arrive within the
// body timeout is answered 408 (retried by senders) long before the
// server's read timeout.
func TestSlowBodyCutByBodyTimeout(t *testing.T) {
	_, _, deskeraURL := newFakeDeskera(t, 0)
	rep := newReplica(t, replicaOptions{deskeraURL: deskeraURL, timeout: calmTimeout, store: idempotency.NewMemory(0), logs: &syncbuf.Buffer{},
		configure: func(_ *handlers.Config, sc *handlers.ServerConfig) { sc.BodyTimeout = 200 * time.Millisecond },
		server:    func(s *http.Server) { s.ReadTimeout = time.Hour }})
	status, body := sendRaw(t, rep.srv.Listener.Addr().String(), slowBodyHeaders)
	if status != http.StatusRequestTimeout || !strings.Contains(string(body), "body") {
		t.Fatalf("slow body answered %d %s, want 408 naming the body", status, body)
	}
	if handlers.DefaultBodyTimeout <= 0 || handlers.DefaultBodyTimeout >= handlers.ReadTimeout {
		t.Fatalf("DefaultBodyTimeout %v must be positive and shorter than ReadTimeout %v", handlers.DefaultBodyTimeout, handlers.ReadTimeout)
	}
}

// TestOversizedBatchAnswersBounded: large CloudEvents batches, each
// answered with one result per event and stored for replay, fill the
// in-memory store up to its byte bound and no further; a replay of the
// newest is still answered from the store.
func TestOversizedBatchAnswersBounded(t *testing.T) {
	const bound, batches, perBatch = 24 << 10, 12, 8
	store := idempotency.NewMemory(0, idempotency.WithMaxBytes(bound))
	_, _, deskeraURL := newFakeDeskera(t, 0)
	rep := newReplica(t, replicaOptions{deskeraURL: deskeraURL, timeout: calmTimeout, store: store, logs: &syncbuf.Buffer{}})
	batch := func(b int) []byte {
		var evs []string
		for i := range perBatch {
			evs = append(evs, fmt.Sprintf(`{"specversion":"1.0","id":"b%d-%d","source":"/hostile","type":"lead","data":{"email":"b%d-%d@example.com","pad":%q}}`,
				b, i, b, i, strings.Repeat("p", 200)))
		}
		return []byte("[" + strings.Join(evs, ",") + "]")
	}
	hdr := bearer(http.Header{"Content-Type": {"application/cloudevents-batch+json"}})
	total := 0
	for b := range batches {
		status, body := sendHostile(t, rep.srv.URL, hostileCase{path: "/hooks/events", header: hdr, body: batch(b)})
		if status != http.StatusOK {
			t.Fatalf("batch %d answered %d %.200s", b, status, body)
		}
		total += len(body)
	}
	if total <= bound {
		t.Fatalf("answers total %d bytes, not more than the bound %d: the test proves nothing", total, bound)
	}
	if got := store.Bytes(); got > bound {
		t.Fatalf("store holds %d bytes of answers, bound %d", got, bound)
	}
	if store.Len() >= batches {
		t.Fatalf("store kept all %d answers (%d bytes in answers)", store.Len(), total)
	}
	req, _ := http.NewRequest(http.MethodPost, rep.srv.URL+"/hooks/events", bytes.NewReader(batch(batches-1)))
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get(handlers.ReplayHeader) != "true" {
		t.Fatalf("replay of the newest batch: %d, replayed %q", resp.StatusCode, resp.Header.Get(handlers.ReplayHeader))
	}
}

// TestLatin1JSONNamed: the 400 for a JSON body that is not UTF-8 names
// the body and the problem, and nothing reaches Deskera.
func TestLatin1JSONNamed(t *testing.T) {
	fake, _, deskeraURL := newFakeDeskera(t, 0)
	rep := newReplica(t, replicaOptions{deskeraURL: deskeraURL, timeout: calmTimeout, store: idempotency.NewMemory(0), logs: &syncbuf.Buffer{}})
	before := fake.Total()
	status, body := sendHostile(t, rep.srv.URL, hostileCase{path: "/hooks/api", header: bearer(nil), body: []byte("{\"email\":\"latin@example.com\",\"name\":\"Jos\xe9\"}")})
	var ans struct{ Error, Field string }
	_ = json.Unmarshal(body, &ans)
	if status != http.StatusBadRequest || ans.Field != "body" || !strings.Contains(ans.Error, "UTF-8") || !strings.Contains(ans.Error, "offset 40") {
		t.Fatalf("answer %d %s, want 400 naming the body, UTF-8 and the offset", status, body)
	}
	if fake.Total() != before {
		t.Fatalf("a non-UTF-8 delivery reached Deskera (%d calls)", fake.Total()-before)
	}
}

// TestCloudEventsHandshakeHeaders: the validation answer grants the
// requested origin and rate (or any rate) and says POST is allowed.
func TestCloudEventsHandshakeHeaders(t *testing.T) {
	_, _, deskeraURL := newFakeDeskera(t, 0)
	rep := newReplica(t, replicaOptions{deskeraURL: deskeraURL, timeout: calmTimeout, store: idempotency.NewMemory(0), logs: &syncbuf.Buffer{}})
	tests := []struct {
		name               string
		header             map[string]string
		wantOrigin, wantRt string
	}{
		{"OriginOnly", map[string]string{"WebHook-Request-Origin": "eventgrid.azure.net"}, "eventgrid.azure.net", "*"},
		{"WithRate", map[string]string{"WebHook-Request-Origin": "eventemitter.example.com", "WebHook-Request-Rate": "120"}, "eventemitter.example.com", "120"},
		{"BadRate", map[string]string{"WebHook-Request-Origin": "eventemitter.example.com", "WebHook-Request-Rate": "-3"}, "eventemitter.example.com", "*"},
		{"NoOrigin", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, rep.srv.URL+"/hooks/events", nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Allow"), "POST") ||
				resp.Header.Get("WebHook-Allowed-Origin") != tc.wantOrigin || resp.Header.Get("WebHook-Allowed-Rate") != tc.wantRt {
				t.Fatalf("answer %d Allow %q origin %q rate %q, want 200 POST %q %q", resp.StatusCode, resp.Header.Get("Allow"),
					resp.Header.Get("WebHook-Allowed-Origin"), resp.Header.Get("WebHook-Allowed-Rate"), tc.wantOrigin, tc.wantRt)
			}
		})
	}
}

// hostileClock is the fixed "now" of the replay tests (Unix seconds).
const hostileClock = 1700000000

// TestHostileReplays: issue 13 §3, signatures must cover what is acted
// on. Each case sends a first, genuinely signed delivery and then what an
// attacker holding a captured copy can send; the replay must not act
// again (no Deskera call) and forged content must not get in.
func TestHostileReplays(t *testing.T) {
	stripeSig := func(ts int64, body string) string {
		return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hexHMAC("whsec_test", strconv.FormatInt(ts, 10)+"."+body)
	}
	const mgToken = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn"
	mailgun := func(from string) string {
		return url.Values{
			"timestamp": {strconv.Itoa(hostileClock)}, "token": {mgToken},
			"signature": {hexHMAC("key-test", strconv.Itoa(hostileClock)+mgToken)},
			"from":      {from}, "subject": {"Quote"}, "body-plain": {"hello"},
		}.Encode()
	}
	const lead = `{"id":"evt_1","email":"replay@example.com","name":"Rep Lay"}`
	const form = "name=Rep+Lay&email=replay%40example.com"
	type send struct {
		path, ct, body string
		header         map[string]string
		advance        time.Duration // clock moves before this request
		want           int
		replayed       bool // answered from the idempotency store
		acts           bool // makes Deskera calls
	}
	cases := []struct {
		name     string
		sends    []send
		contacts int
	}{
		{name: "StripeReplayWithNewIdempotencyKeys", contacts: 1, sends: []send{
			{path: "/hooks/stripe", body: lead, header: map[string]string{"Stripe-Signature": stripeSig(hostileClock, lead)}, want: 200, acts: true},
			{path: "/hooks/stripe", body: lead, header: map[string]string{"Stripe-Signature": stripeSig(hostileClock, lead), "Idempotency-Key": "k1"}, want: 200, replayed: true},
			{path: "/hooks/stripe", body: lead, header: map[string]string{"Stripe-Signature": stripeSig(hostileClock, lead), "Webhook-Id": "w2"}, want: 200, replayed: true},
			{path: "/hooks/stripe", body: lead, header: map[string]string{"Stripe-Signature": stripeSig(hostileClock, lead), "Svix-Id": "s3", "Idempotency-Key": "k3"}, advance: 4 * time.Minute, want: 200, replayed: true},
		}},
		// Stripe resends a delivery signed afresh: the same event, not new.
		{name: "StripeRetrySignedAgain", contacts: 1, sends: []send{
			{path: "/hooks/stripe", body: lead, header: map[string]string{"Stripe-Signature": stripeSig(hostileClock, lead)}, want: 200, acts: true},
			{path: "/hooks/stripe", body: lead, header: map[string]string{"Stripe-Signature": stripeSig(hostileClock+600, lead)}, advance: 10 * time.Minute, want: 200, replayed: true},
		}},
		{name: "WebsiteHMACReplayWithNewIdempotencyKey", contacts: 1, sends: []send{
			{path: "/hooks/website", ct: "application/x-www-form-urlencoded", body: form, header: map[string]string{"X-Signature": "sha256=" + hexHMAC(websiteSecret, form)}, want: 200, acts: true},
			{path: "/hooks/website", ct: "application/x-www-form-urlencoded", body: form, header: map[string]string{"X-Signature": "sha256=" + hexHMAC(websiteSecret, form), "Idempotency-Key": "new"}, advance: time.Hour, want: 200, replayed: true},
		}},
		{name: "TimestampedHMACReplayAfterWindow", contacts: 1, sends: []send{
			{path: "/hooks/website-ts", ct: "application/x-www-form-urlencoded", body: form, header: map[string]string{
				"X-Leadhook-Timestamp": strconv.Itoa(hostileClock), "X-Signature": "sha256=" + hexHMAC(websiteSecret, strconv.Itoa(hostileClock)+"."+form)}, want: 200, acts: true},
			{path: "/hooks/website-ts", ct: "application/x-www-form-urlencoded", body: form, header: map[string]string{
				"X-Leadhook-Timestamp": strconv.Itoa(hostileClock), "X-Signature": "sha256=" + hexHMAC(websiteSecret, strconv.Itoa(hostileClock)+"."+form),
				"Idempotency-Key": "new"}, advance: 5*time.Minute + time.Second, want: 401},
			// The untimestamped signature is not enough on this source.
			{path: "/hooks/website-ts", ct: "application/x-www-form-urlencoded", body: form, header: map[string]string{
				"X-Leadhook-Timestamp": strconv.Itoa(hostileClock + 301), "X-Signature": "sha256=" + hexHMAC(websiteSecret, form)}, want: 401},
		}},
		{name: "MailgunTokenReusedForAnotherMail", contacts: 1, sends: []send{
			{path: "/hooks/inbound", ct: "application/x-www-form-urlencoded", body: mailgun("Jane <jane@example.com>"), want: 200, acts: true},
			{path: "/hooks/inbound", ct: "application/x-www-form-urlencoded", body: mailgun("Eve <forged1@example.com>"), advance: time.Minute, want: 401},
			{path: "/hooks/inbound", ct: "application/x-www-form-urlencoded", body: mailgun("Eve <forged2@example.com>"), advance: time.Minute, want: 401},
			// Mailgun's own retry (the same fields) is the same delivery.
			{path: "/hooks/inbound", ct: "application/x-www-form-urlencoded", body: mailgun("Jane <jane@example.com>"), want: 200, replayed: true},
		}},
		{name: "GitHubRedeliveryWithNewDeliveryHeader", contacts: 1, sends: []send{
			{path: "/hooks/github", body: lead, header: map[string]string{"X-Hub-Signature-256": "sha256=" + hexHMAC("test-github-secret", lead), "X-GitHub-Delivery": "guid-1"}, want: 200, acts: true},
			{path: "/hooks/github", body: lead, header: map[string]string{"X-Hub-Signature-256": "sha256=" + hexHMAC("test-github-secret", lead), "X-GitHub-Delivery": "guid-2"}, want: 200, replayed: true},
		}},
		{name: "RotatedSecretStillAccepted", contacts: 1, sends: []send{
			{path: "/hooks/rotated", body: lead, header: map[string]string{"X-Signature": "sha256=" + hexHMAC(websiteSecret, lead)}, want: 200, acts: true},
			{path: "/hooks/rotated", body: lead, header: map[string]string{"X-Signature": "sha256=" + hexHMAC("test-new-website-secret", lead)}, want: 200, replayed: true},
			{path: "/hooks/rotated", body: lead, header: map[string]string{"X-Signature": "sha256=" + hexHMAC("some-other-secret", lead)}, want: 401},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(hostileClock, 0)
			h := newHarness(t, func(_ *harness, _ *handlers.ServerConfig, c *handlers.Config) {
				c.Webhook.Now = func() time.Time { return now }
			})
			for i, s := range tc.sends {
				now = now.Add(s.advance)
				ct := s.ct
				if ct == "" {
					ct = "application/json"
				}
				calls := h.deskera.Total()
				r := h.post(s.path, ct, s.body, s.header)
				if r.Status != s.want {
					t.Fatalf("send %d: status = %d, want %d; body %s", i, r.Status, s.want, r.Raw)
				}
				if got := r.Header.Get(handlers.ReplayHeader) == "true"; got != s.replayed {
					t.Errorf("send %d: replayed = %v, want %v", i, got, s.replayed)
				}
				if acted := h.deskera.Total() != calls; acted != s.acts {
					t.Errorf("send %d: made %d Deskera calls, want acts=%v", i, h.deskera.Total()-calls, s.acts)
				}
			}
			if got := len(h.deskera.Contacts()); got != tc.contacts {
				t.Errorf("contacts = %d, want %d: %+v", got, tc.contacts, h.deskera.Contacts())
			}
		})
	}
}

// TestGitHubDeliveryNamesTheEvent: X-GitHub-Delivery, GitHub's documented
// delivery id, is read: it names the event in the answer and the logs.
func TestGitHubDeliveryNamesTheEvent(t *testing.T) {
	h := newHarness(t)
	const lead = `{"email":"gh@example.com"}`
	r := h.post("/hooks/github", "application/json", lead, map[string]string{
		"X-Hub-Signature-256": "sha256=" + hexHMAC("test-github-secret", lead), "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"})
	wantStatus(t, r, http.StatusOK)
	if r.JSON["event_id"] != "github:72d3162e-cc78-11e3-81ab-4c9367dc0958" {
		t.Fatalf("event_id = %v, want github:<X-GitHub-Delivery>", r.JSON["event_id"])
	}
}
