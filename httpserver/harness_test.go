package httpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/contracttest"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is one server (real handler, SQLite store, testcrm) behind a real
// HTTP listener, with a client that checks every response against the
// contract.
type harness struct {
	t        *testing.T
	srv      *httptest.Server
	handler  *httpserver.Server
	crm      *testcrm.CRM
	store    store.Store
	sessions *auth.JWTIssuer
	keys     *auth.SealingKeyRing
	logs     *syncBuffer
	prefix   string
}

const testSecret = "0123456789abcdef0123456789abcdef-test-secret"

func newSessions(t testing.TB, opts ...auth.JWTOption) *auth.JWTIssuer {
	s, err := auth.NewJWTIssuer([]byte(testSecret), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newKeys(t testing.TB) *auth.SealingKeyRing {
	k, err := auth.GenerateSealingKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := auth.NewSealingKeyRing(k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func openStore(t testing.TB) store.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type harnessConfig struct {
	adapters []adapter.Adapter
	store    store.Store
	sessions *auth.JWTIssuer
	opts     []httpserver.Option
	mount    func(h http.Handler) (http.Handler, string) // wraps the handler, returns the path prefix
}

func newHarness(t *testing.T, cfgs ...func(*harnessConfig)) *harness {
	t.Helper()
	h := &harness{t: t, crm: testcrm.NewCRM(), logs: &syncBuffer{}, keys: newKeys(t)}
	cfg := harnessConfig{sessions: newSessions(t)}
	for _, f := range cfgs {
		f(&cfg)
	}
	if cfg.adapters == nil {
		cfg.adapters = []adapter.Adapter{testcrm.New(h.crm)}
	}
	if cfg.store == nil {
		cfg.store = openStore(t)
	}
	h.store, h.sessions = cfg.store, cfg.sessions
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := append([]httpserver.Option{httpserver.WithLogger(logger)}, cfg.opts...)
	srv, err := httpserver.New(httpserver.Config{
		Adapters:    cfg.adapters,
		Store:       h.store,
		JWTIssuer:   h.sessions,
		SealingKeys: h.keys,
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.handler = srv
	t.Cleanup(func() { srv.Close() })
	var handler http.Handler = srv
	if cfg.mount != nil {
		handler, h.prefix = cfg.mount(srv)
	}
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	return h
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic map.
func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return m
}

// do sends a request; body is JSON-encoded unless it is a string or nil.
// rawQuery is appended as it is (the client does not encode it).
func (h *harness) do(method, pathAndQuery string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, h.srv.URL+h.prefix+pathAndQuery, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := response{status: res.StatusCode, header: res.Header, body: b}
	if !contractConflict(method, pathAndQuery, r.status) {
		contracttest.Check(h.t, method, pathAndQuery, r.status, r.header, r.body)
	}
	return r
}

// contractConflict names the answers where PROTOCOL.md (what the real
// client reads) and the reference contract disagree; PROTOCOL.md wins and
// the contract check is skipped for exactly these:
//
//   - POST /admin/settings 200: PROTOCOL.md says text/plain "Admin settings
//     updated"; the contract says text/html (Express's default for a
//     string body). The client reads the text either way.
//   - POST /admin/userMapping 200: PROTOCOL.md specifies an array of
//     {crmUser, rcUser}; the contract has only a generic object.
func contractConflict(method, pathAndQuery string, status int) bool {
	path, _, _ := strings.Cut(pathAndQuery, "?")
	return method == "POST" && status == http.StatusOK && (path == "/admin/settings" || path == "/admin/userMapping")
}

// login performs an API-key login and returns the session JWT.
func (h *harness) login(apiKey string) string {
	h.t.Helper()
	r := h.do("POST", "/apiKeyLogin", map[string]any{"platform": "testcrm", "apiKey": apiKey, "hostname": "acme.testcrm.local"})
	if r.status != http.StatusOK {
		h.t.Fatalf("login: %d %s", r.status, r.body)
	}
	jwt, _ := r.json(h.t)["jwtToken"].(string)
	if jwt == "" {
		h.t.Fatalf("login: no jwtToken in %s", r.body)
	}
	return jwt
}

// callLogBody is a POST /callLog body as the client sends it.
func callLogBody(sessionID, contactID string) map[string]any {
	return map[string]any{
		"logInfo": map[string]any{
			"id":                 "rec-" + sessionID,
			"sessionId":          sessionID,
			"telephonySessionId": "tel-" + sessionID,
			"startTime":          1764300000000,
			"duration":           95,
			"direction":          "Inbound",
			"result":             "Call connected",
			"from":               map[string]any{"phoneNumber": "+16505551212", "name": "Alice"},
			"to":                 map[string]any{"phoneNumber": "+14155550199", "name": "Me"},
			"recording":          map[string]any{"link": "(pending...)"},
		},
		"note":                      "Discussed renewal",
		"contactId":                 json.Number(contactID),
		"contactType":               "Contact",
		"contactName":               "Alice Anderson",
		"additionalSubmission":      map[string]any{"deals": "deal-1"},
		"unknownFieldTheClientAdds": map[string]any{"x": 1},
	}
}

// messageLogBody is a POST /messageLog body with messages newest first.
func messageLogBody(convLogID string, ids ...int64) map[string]any {
	msgs := make([]map[string]any, 0, len(ids))
	for i, id := range ids {
		msgs = append(msgs, map[string]any{
			"id":           id,
			"direction":    "Inbound",
			"subject":      fmt.Sprintf("message %d", id),
			"creationTime": time.Date(2026, 11, 27, 10, 0, len(ids)-i, 0, time.UTC).Format(time.RFC3339),
			"from":         map[string]any{"phoneNumber": "+16505551212"},
			"to":           []any{map[string]any{"phoneNumber": "+14155550199"}},
			"type":         "SMS",
		})
	}
	return map[string]any{
		"logInfo": map[string]any{
			"conversationId":    "conv-1",
			"conversationLogId": convLogID,
			"type":              "SMS",
			"messages":          msgs,
			"correspondents":    []any{map[string]any{"phoneNumber": "+16505551212"}},
		},
		"contactId":   "1001",
		"contactType": "Contact",
		"contactName": "Alice Anderson",
	}
}

// bearer is the header pair carrying a session JWT.
func bearer(jwt string) []string { return []string{"Authorization", "Bearer " + jwt} }
