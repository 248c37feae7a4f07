package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/contracttest"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/postgres"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// Secret is the session JWT secret of a harness whose [Config] names none.
// Servers built with it accept each other's JWTs.
const Secret = "servertest-session-secret-0123456789abcdef"

// Env is what building a server needs from a test. [testing.TB] has it;
// adaptertest drives the harness with its own reporter.
type Env interface {
	Helper()
	Errorf(format string, args ...any)
	TempDir() string
	Cleanup(f func())
}

// Config says what to build. Only Adapters is required.
type Config struct {
	// Adapters are served; at least one.
	Adapters []adapter.Adapter
	// Options are passed to httpserver.New after the harness's own
	// (WithLogger into [Server.Logs]), so they win.
	Options []httpserver.Option

	// Store, when set, is served as it is; the caller owns it. Otherwise
	// the harness opens one: SQLite in a temporary directory, or
	// PostgreSQL when Postgres is set.
	Store store.Store
	// Postgres opens the store on PostgreSQL (CRMBRIDGE_TEST_POSTGRES_DSN;
	// the test is skipped when it is unset) in Schema, or in a fresh schema
	// dropped when the test ends.
	Postgres bool
	// DSN is the PostgreSQL DSN to open with Postgres (a test's own
	// connection parameters); by default CRMBRIDGE_TEST_POSTGRES_DSN.
	DSN string
	// Schema is the PostgreSQL schema to open (see [NewSchema]); several
	// servers given one schema share their data like replicas.
	Schema string
	// WrapStore, when set, is what the server sees instead of the store
	// (fault injection). [Server.Store] stays the unwrapped store.
	WrapStore func(store.Store) store.Store

	// JWTIssuer issues and verifies session JWTs; by default one with
	// Secret (or the package's [Secret]).
	JWTIssuer *auth.JWTIssuer
	// Secret is the session JWT secret when JWTIssuer is nil.
	Secret []byte
	// SealingKey seals credentials at rest; by default a fresh one.
	// Servers given one key read each other's sealed tokens.
	SealingKey *auth.SealingKey

	// Logs receives the server's debug log as JSON lines; by default a
	// new buffer. Pass one to give the adapter the same logger.
	Logs *LogBuffer
	// Mount wraps the handler before it listens (a path prefix, a
	// counter) and returns the path prefix the helpers put before every
	// path, "" for none.
	Mount func(h http.Handler) (http.Handler, string)
	// Client sends the helpers' requests; by default the test server's.
	Client *http.Client
	// NoContract turns the contract check off. [New] sets it for a
	// benchmark; no test sets it.
	NoContract bool
}

// Server is a running server and the client side of a test.
type Server struct {
	// HTTP is the listener; HTTP.URL is the base URL without Prefix.
	HTTP *httptest.Server
	// Handler is the server under test.
	Handler *httpserver.Server
	// Store is the store the harness opened or was given (unwrapped).
	Store store.Store
	// JWTIssuer and SealingKeys are the server's session JWT issuer and
	// the keys that seal credentials at rest.
	JWTIssuer   *auth.JWTIssuer
	SealingKeys *auth.SealingKeyRing
	// Logs holds the server's log lines.
	Logs *LogBuffer
	// Prefix is put before every path the helpers send.
	Prefix string
	// Client sends the helpers' requests.
	Client *http.Client

	base       string
	env        Env
	fatal      func(format string, args ...any)
	noContract bool
	adapters   []adapter.Adapter
}

// New builds and starts a server for t; it ends with the test. Failures to
// build it are fatal; a PostgreSQL server without a DSN skips t. The
// answers of a benchmark's server (t is a *testing.B) are not checked
// against the contract: a benchmark measures the server, not the validator.
func New(t testing.TB, cfg Config) *Server {
	t.Helper()
	if _, ok := t.(*testing.B); ok {
		cfg.NoContract = true
	}
	if cfg.Postgres && cfg.Store == nil {
		cfg.Schema = schemaFor(t, cfg.Schema)
	}
	s, err := Start(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.fatal = t.Fatalf
	return s
}

// Start is [New] for an [Env] that is not a *testing.T: it returns what
// went wrong instead of failing, and never skips. With Postgres set,
// Schema must name a schema (see [NewSchema]) and the DSN must be set.
// [Server.Do] reports a failed request with env.Errorf and an empty
// response; use [Server.Send] to see the error.
func Start(env Env, cfg Config) (*Server, error) {
	env.Helper()
	if len(cfg.Adapters) == 0 {
		return nil, errors.New("servertest: no adapter")
	}
	s := &Server{env: env, Logs: cfg.Logs, noContract: cfg.NoContract, adapters: cfg.Adapters, JWTIssuer: cfg.JWTIssuer}
	s.fatal = func(format string, args ...any) { env.Errorf(format, args...) }
	if s.Logs == nil {
		s.Logs = &LogBuffer{}
	}
	if s.JWTIssuer == nil {
		secret := cfg.Secret
		if secret == nil {
			secret = []byte(Secret)
		}
		sessions, err := auth.NewJWTIssuer(secret)
		if err != nil {
			return nil, fmt.Errorf("servertest: session secret: %w", err)
		}
		s.JWTIssuer = sessions
	}
	key := cfg.SealingKey
	if key == nil {
		k, err := auth.GenerateSealingKey("servertest")
		if err != nil {
			return nil, fmt.Errorf("servertest: sealing key: %w", err)
		}
		key = &k
	}
	keys, err := auth.NewSealingKeyRing(*key)
	if err != nil {
		return nil, fmt.Errorf("servertest: sealing key: %w", err)
	}
	s.SealingKeys = keys

	s.Store = cfg.Store
	if s.Store == nil {
		if s.Store, err = openStore(env, cfg); err != nil {
			return nil, err
		}
	}
	served := s.Store
	if cfg.WrapStore != nil {
		served = cfg.WrapStore(served)
	}

	opts := append([]httpserver.Option{httpserver.WithLogger(s.Logs.Logger())}, cfg.Options...)
	h, err := httpserver.New(httpserver.Config{
		Adapters:    cfg.Adapters,
		Store:       served,
		JWTIssuer:   s.JWTIssuer,
		SealingKeys: s.SealingKeys,
	}, opts...)
	if err != nil {
		return nil, err // it names httpserver and says what it refused
	}
	s.Handler = h
	env.Cleanup(func() { h.Close() }) // after the listener, before the store
	var handler http.Handler = h
	if cfg.Mount != nil {
		handler, s.Prefix = cfg.Mount(h)
	}
	s.HTTP = httptest.NewServer(handler)
	s.base = s.HTTP.URL
	env.Cleanup(s.HTTP.Close)
	s.Client = cfg.Client
	if s.Client == nil {
		s.Client = s.HTTP.Client()
	}
	return s, nil
}

// openStore opens the store cfg asks for and closes it when the test ends.
func openStore(env Env, cfg Config) (store.Store, error) {
	if !cfg.Postgres {
		return openSQLite(env, filepath.Join(env.TempDir(), "crmbridge.db"))
	}
	dsn := cfg.DSN
	if dsn == "" {
		dsn = DSN()
	}
	if dsn == "" || cfg.Schema == "" {
		return nil, errors.New("servertest: PostgreSQL asked for without " + DSNEnv + " and a schema")
	}
	return openPostgres(env, dsn, cfg.Schema)
}

func openSQLite(env Env, path string) (store.Store, error) {
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return nil, fmt.Errorf("servertest: opening the SQLite store: %w", err)
	}
	env.Cleanup(func() { st.Close() })
	return st, nil
}

func openPostgres(env Env, dsn, schema string) (store.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
	if err != nil {
		return nil, fmt.Errorf("servertest: opening the PostgreSQL store: %w", err)
	}
	env.Cleanup(func() { st.Close() })
	return st, nil
}

// OpenSQLite opens a SQLite store on path, a new file in t.TempDir when
// path is "", and closes it when the test ends: for tests that wrap a
// store or open one database twice.
func OpenSQLite(t testing.TB, path string) store.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "crmbridge.db")
	}
	st, err := openSQLite(t, path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// OpenPostgres opens a PostgreSQL store in schema, a fresh one dropped
// when the test ends when schema is "", and closes it when the test ends.
// It skips t when CRMBRIDGE_TEST_POSTGRES_DSN is not set.
func OpenPostgres(t testing.TB, schema string) store.Store {
	t.Helper()
	schema = schemaFor(t, schema)
	st, err := openPostgres(t, DSN(), schema)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// URL is the address of path on the server, prefix included.
func (s *Server) URL(pathAndQuery string) string { return s.base + s.Prefix + pathAndQuery }

// Remote is a [Server] for a server the harness did not build — a whole
// program started with [Process] — at base ("http://127.0.0.1:8080"): its
// helpers send requests there and check the answers against the contract.
// HTTP, Handler, Store, JWTIssuer and SealingKeys are nil.
func Remote(t testing.TB, base string) *Server {
	return &Server{base: base, env: t, fatal: t.Fatalf, Client: &http.Client{}, Logs: &LogBuffer{}}
}

// Fetch sends a request to url, a full URL of a server the harness did not
// build, as [Server.Do] does, and checks the answer against the contract.
func Fetch(t testing.TB, method, url string, body any, headers ...string) Response {
	t.Helper()
	scheme, rest, _ := strings.Cut(url, "://")
	host, path, _ := strings.Cut(rest, "/")
	return Remote(t, scheme+"://"+host).Do(method, "/"+path, body, headers...)
}

// Process runs a whole server program (serve's Run, a main) until the test
// ends and returns its base URL and a function that stops it gracefully
// and returns what run returned (later calls return nil). run must serve
// until ctx ends and call listening with its address once it listens; a
// program that fails to start, or takes over 30 s, fails the test.
func Process(t testing.TB, run func(ctx context.Context, listening func(addr string)) error) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(addr string) { ready <- addr }) }()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case addr := <-ready:
		var once sync.Once
		var err error
		stop = func() error {
			stopped := false
			once.Do(func() {
				cancel()
				err, stopped = <-done, true
			})
			if !stopped {
				return nil
			}
			return err
		}
		t.Cleanup(func() { stop() })
		return "http://" + addr, stop
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-timeout.C:
		cancel()
		t.Fatalf("server did not start in 30 s")
	}
	return "", nil
}

// Response is an answer of the server.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as a JSON object; a body that is not one fails t.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v: %s", r.Status, err, r.Body)
	}
	return m
}

// Decode decodes the body into v; a body that does not decode fails t.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("answer %d does not decode into %T: %v: %s", r.Status, v, err, r.Body)
	}
}

// Envelope is the part of a data route's answer every route shares.
type Envelope struct {
	Successful    bool `json:"successful"`
	ReturnMessage *struct {
		Message     string `json:"message"`
		MessageType string `json:"messageType"`
	} `json:"returnMessage"`
}

// Message is the returnMessage's message, "" without one.
func (e Envelope) Message() string {
	if e.ReturnMessage == nil {
		return ""
	}
	return e.ReturnMessage.Message
}

// Envelope decodes the answer's envelope; an answer that is not a JSON
// object fails t.
func (r Response) Envelope(t testing.TB) Envelope {
	t.Helper()
	var e Envelope
	r.Decode(t, &e)
	return e
}

// Bearer is the header pair that carries a session JWT, for the headers of
// [Server.Do].
func Bearer(jwt string) []string { return []string{"Authorization", "Bearer " + jwt} }

// Do sends a request and checks the answer against the contract. body is
// sent as it is when a string or []byte, JSON-encoded otherwise, nothing
// when nil; pathAndQuery goes on the wire as it is (the client does not
// encode its queries); headers are name, value pairs. A request that gets
// no answer fails the test.
func (s *Server) Do(method, pathAndQuery string, body any, headers ...string) Response {
	s.env.Helper()
	r, err := s.Send(method, pathAndQuery, body, headers...)
	if err != nil {
		s.fatal("%s %s: %v", method, strings.SplitN(pathAndQuery, "?", 2)[0], err)
	}
	return r
}

// Send is [Server.Do] returning the error instead of failing, for requests
// sent from goroutines. The answer is checked against the contract all the
// same.
func (s *Server) Send(method, pathAndQuery string, body any, headers ...string) (Response, error) {
	return s.SendContext(context.Background(), method, pathAndQuery, body, headers...)
}

// SendContext is [Server.Send] with a context.
func (s *Server) SendContext(ctx context.Context, method, pathAndQuery string, body any, headers ...string) (Response, error) {
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
			return Response{}, fmt.Errorf("encoding the body: %w", err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL(pathAndQuery), rd)
	if err != nil {
		return Response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.Client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Response{}, fmt.Errorf("reading the answer: %w", err)
	}
	r := Response{Status: res.StatusCode, Header: res.Header, Body: b}
	s.Check(method, pathAndQuery, r)
	return r, nil
}

// Check validates an answer of this server that a test received some other
// way against the contract (see [Server.Do]).
func (s *Server) Check(method, pathAndQuery string, r Response) {
	s.env.Helper()
	if s.noContract || ContractConflict(method, pathAndQuery, r.Status) {
		return
	}
	contracttest.Check(s.env, method, pathAndQuery, r.Status, r.Header, r.Body)
}

// ContractConflict names the answers where PROTOCOL.md (what the real
// client reads) and the reference contract disagree; PROTOCOL.md wins and
// the contract check is skipped for exactly these:
//
//   - POST /admin/settings 200: PROTOCOL.md says text/plain "Admin settings
//     updated"; the contract says text/html (Express's default for a
//     string body). The client reads the text either way.
//   - POST /admin/userMapping 200: PROTOCOL.md specifies an array of
//     {crmUser, rcUser}; the contract has only a generic object.
func ContractConflict(method, pathAndQuery string, status int) bool {
	path, _, _ := strings.Cut(pathAndQuery, "?")
	return method == http.MethodPost && status == http.StatusOK && (path == "/admin/settings" || path == "/admin/userMapping")
}

// LoginAPIKey logs in with an API key as the client does and returns the
// session JWT; a refused login fails the test.
func (s *Server) LoginAPIKey(platform, apiKey, hostname string) string {
	s.env.Helper()
	r := s.Do("POST", "/apiKeyLogin", map[string]any{"platform": platform, "apiKey": apiKey, "hostname": hostname})
	return s.jwtOf("apiKeyLogin", r)
}

// LoginOAuth runs the OAuth login as the client does: the browser visits
// the authorization URL of the platform's provider (a fake that answers
// with a redirect carrying a code), and the client passes the redirect
// URL, unencoded, to /oauth-callback with state=platform=P. extraQuery is
// appended to the callback's query as it is ("&hostname=acme.example").
// It returns the session JWT and the user's name; a refused login fails
// the test.
func (s *Server) LoginOAuth(platform, extraQuery string) (jwt, name string) {
	s.env.Helper()
	var p *auth.Provider
	for _, a := range s.adapters {
		if a.Platform() == platform {
			p = a.Auth().OAuth
		}
	}
	if p == nil {
		s.fatal("LoginOAuth: no OAuth adapter named %q", platform)
		return "", ""
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Get(p.AuthCodeURL("platform=" + platform))
	if err != nil {
		s.fatal("LoginOAuth: consent page: %v", err)
		return "", ""
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	redirect, _, _ := strings.Cut(loc, "?")
	u, err := url.Parse(loc)
	if err != nil || res.StatusCode != http.StatusFound || redirect != p.RedirectURL ||
		u.Query().Get("code") == "" || u.Query().Get("state") != "platform="+platform {
		s.fatal("LoginOAuth: consent page answered %d %q", res.StatusCode, loc)
		return "", ""
	}
	r := s.Do("GET", "/oauth-callback?callbackUri="+loc+"&state=platform="+platform+extraQuery, nil)
	jwt = s.jwtOf("oauth-callback", r)
	var m struct{ Name string }
	json.Unmarshal(r.Body, &m)
	return jwt, m.Name
}

func (s *Server) jwtOf(route string, r Response) string {
	s.env.Helper()
	var m struct {
		JWTToken string `json:"jwtToken"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil || r.Status != http.StatusOK || m.JWTToken == "" {
		s.fatal("%s: %d %s", route, r.Status, r.Body)
	}
	return m.JWTToken
}

// LogBuffer collects log output from concurrent handlers.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Logger returns a debug-level JSON logger writing into l.
func (l *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Get fetches url as [Fetch] does and returns the status and the body.
func Get(t testing.TB, url string) (int, string) {
	t.Helper()
	r := Fetch(t, "GET", url, nil)
	return r.Status, string(r.Body)
}

// PostJSON posts body to url as [Fetch] does and decodes the JSON object
// answered.
func PostJSON(t testing.TB, url, body string) map[string]any {
	t.Helper()
	return Fetch(t, "POST", url, body).JSON(t)
}

// SmokeTestCRM checks that the program at base serves testcrm (an
// in-memory CRM with Alice at +16505551212): /isAlive, an API-key login
// with apiKey, Alice's lookup. It returns the session JWT.
func SmokeTestCRM(t testing.TB, base, apiKey string) string {
	t.Helper()
	if code, body := Get(t, base+"/isAlive"); code != http.StatusOK || body != "OK" {
		t.Fatalf("isAlive: %d %q", code, body)
	}
	jwt := Remote(t, base).LoginAPIKey("testcrm", apiKey, "")
	code, body := Get(t, base+"/contact?jwtToken="+jwt+"&phoneNumber=+16505551212")
	if code != http.StatusOK || !strings.Contains(body, `"Alice Anderson"`) {
		t.Fatalf("contact: %d %s", code, body)
	}
	return jwt
}

// Clock is a test's clock for the server and a fake CRM: frozen at the
// moment [NewClock] made it, it moves only when the test calls Advance, so
// expiry and rate-limit windows move only when a test says. It is safe
// for concurrent use.
type Clock struct {
	base   time.Time
	offset atomic.Int64
}

// NewClock returns a clock frozen at the current time.
func NewClock() *Clock { return &Clock{base: time.Now()} }

// Now is the clock's time; pass c.Now as a clock option.
func (c *Clock) Now() time.Time { return c.base.Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }
