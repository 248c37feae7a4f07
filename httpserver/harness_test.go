package httpserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
	"github.com/crmbridge/crmbridge/store"
)

// harness is one server (real handler, SQLite store, testcrm) behind a real
// HTTP listener, built by servertest, which checks every response against
// the contract.
type harness struct {
	t        *testing.T
	s        *servertest.Server
	srv      *httptest.Server
	handler  *httpserver.Server
	crm      *testcrm.CRM
	store    store.Store
	sessions *auth.JWTIssuer
	keys     *auth.SealingKeyRing
	logs     *servertest.LogBuffer
	prefix   string
}

const testSecret = servertest.Secret

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

// openStore opens a SQLite store of the test's own.
func openStore(t testing.TB) store.Store { return servertest.OpenSQLite(t, "") }

type harnessConfig struct {
	adapters []adapter.Adapter
	store    store.Store
	sessions *auth.JWTIssuer
	opts     []httpserver.Option
	mount    func(h http.Handler) (http.Handler, string) // wraps the handler, returns the path prefix
}

func newHarness(t *testing.T, cfgs ...func(*harnessConfig)) *harness {
	t.Helper()
	h := &harness{t: t, crm: testcrm.NewCRM()}
	var cfg harnessConfig
	for _, f := range cfgs {
		f(&cfg)
	}
	if cfg.adapters == nil {
		cfg.adapters = []adapter.Adapter{testcrm.New(h.crm)}
	}
	h.s = servertest.New(t, servertest.Config{
		Adapters:  cfg.adapters,
		Options:   cfg.opts,
		Store:     cfg.store,
		JWTIssuer: cfg.sessions,
		Mount:     cfg.mount,
	})
	h.srv, h.handler, h.store, h.logs, h.prefix = h.s.HTTP, h.s.Handler, h.s.Store, h.s.Logs, h.s.Prefix
	h.sessions, h.keys = h.s.JWTIssuer, h.s.SealingKeys
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
	return servertest.Response{Status: r.status, Body: r.body}.JSON(t)
}

// do sends a request through servertest (see servertest.Server.Do).
func (h *harness) do(method, pathAndQuery string, body any, headers ...string) response {
	h.t.Helper()
	r := h.s.Do(method, pathAndQuery, body, headers...)
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// login performs an API-key login and returns the session JWT.
func (h *harness) login(apiKey string) string {
	h.t.Helper()
	return h.s.LoginAPIKey("testcrm", apiKey, "acme.testcrm.local")
}

// callLogBody is servertest.CallLogBody.
func callLogBody(sessionID, contactID string) map[string]any {
	return servertest.CallLogBody(sessionID, contactID)
}

// messageLogBody is servertest.MessageLogBody.
func messageLogBody(convLogID string, ids ...int64) map[string]any {
	return servertest.MessageLogBody(convLogID, ids...)
}

// bearer is the header pair carrying a session JWT.
func bearer(jwt string) []string { return servertest.Bearer(jwt) }
