package fakehubspot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The client credentials a Server accepts unless WithClient says otherwise.
const (
	DefaultClientID     = "fake-hubspot-client-id"
	DefaultClientSecret = "fake-hubspot-client-secret"
)

// HubID is the portal (account) id of the fake's single HubSpot account.
const HubID = 4242

// HubSpot's limits on one search request, from its CRM search reference.
const (
	MaxFilterGroups     = 5
	MaxFiltersPerGroup  = 10
	MaxFiltersPerSearch = 25
	MaxSearchLimit      = 200
	// MaxInValues is how many values the fake accepts in one IN filter.
	MaxInValues = 100
)

// HubSpot-defined association type ids the fake requires on create.
const (
	AssocCallToContact = 194
	AssocNoteToContact = 202
)

// Owner is a HubSpot user of the account as the owners API shows it.
type Owner struct {
	// ID is the owner id; UserID the user id that OAuth tokens carry. Both
	// are assigned by AddOwner.
	ID, UserID int
	// Email, FirstName and LastName describe the user.
	Email, FirstName, LastName string
}

// Object is a CRM record: a contact, call or note.
type Object struct {
	// ID is assigned by the fake.
	ID int
	// Properties are the record's property values, as strings.
	Properties map[string]string
	// Contacts are the ids of the contacts the record is associated with
	// (calls and notes).
	Contacts []int
	// Updates counts successful PATCH requests on the record.
	Updates int
}

// RateLimit throttles API requests per access token in fixed windows: more
// than Requests within Window answer 429. The zero value disables it.
type RateLimit struct {
	// Requests is how many requests one window allows.
	Requests int
	// Window is the window length; one second when zero.
	Window time.Duration
	// SearchOnly limits only the CRM search endpoints, which HubSpot
	// limits separately (a few requests per second per token).
	SearchOnly bool
}

// Stats counts the requests the fake served. Requests refused before their
// handler ran (401, 429) count only in Requests and Unauthorized or
// RateLimited.
type Stats struct {
	// Requests is every authenticated-API request (not OAuth).
	Requests int64
	// Unauthorized, RateLimited and BadRequests count 401, 429 and 400
	// answers of the API.
	Unauthorized, RateLimited, BadRequests int64
	// TokenRequests is every request to the token endpoint; CodeExchanges
	// and Refreshes are the successful ones per grant; Revocations the
	// refresh tokens revoked.
	TokenRequests, CodeExchanges, Refreshes, Revocations int64
	// Searches counts contact searches (valid ones).
	Searches int64
	// ContactCreates, CallCreates, CallReads, CallUpdates, NoteCreates,
	// NoteReads, NoteUpdates and OwnerReads count successful requests.
	ContactCreates, CallCreates, CallReads, CallUpdates int64
	NoteCreates, NoteReads, NoteUpdates, OwnerReads     int64
	// MaxInFlight is the most requests served at once.
	MaxInFlight int64
}

type counters struct {
	requests, unauthorized, rateLimited, badRequests     atomic.Int64
	tokenRequests, codeExchanges, refreshes, revocations atomic.Int64
	searches, contactCreates, callCreates, callReads     atomic.Int64
	callUpdates, noteCreates, noteReads, noteUpdates     atomic.Int64
	ownerReads, inFlight, maxInFlight                    atomic.Int64
}

// Option configures a Server.
type Option func(*Server)

// WithClient sets the OAuth client credentials the fake accepts and, when
// redirectURL is not empty, the only redirect_uri it accepts.
func WithClient(id, secret, redirectURL string) Option {
	return func(s *Server) { s.clientID, s.clientSecret, s.redirectURL = id, secret, redirectURL }
}

// WithLatency delays every request by d (ending early when the request's
// context is done).
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithTokenLifetime sets how long access tokens live (default 30 minutes,
// HubSpot's).
func WithTokenLifetime(d time.Duration) Option { return func(s *Server) { s.tokenLifetime = d } }

// WithRateLimit throttles API requests from the start.
func WithRateLimit(rl RateLimit) Option { return func(s *Server) { s.rate = rl } }

// WithClock replaces time.Now for token expiry and rate-limit windows.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// Server is a running fake HubSpot. It is safe for concurrent use.
type Server struct {
	srv *httptest.Server

	clientID, clientSecret, redirectURL string
	tokenLifetime                       time.Duration
	now                                 func() time.Time
	stats                               counters

	mu       sync.Mutex
	latency  time.Duration
	rate     RateLimit
	windows  map[string]*window // access token -> current window
	failures []failure
	owners   []*Owner
	objects  map[string]map[int]*Object // "contacts", "calls", "notes"
	lastID   int
	codes    map[string]int // code -> user id
	refresh  map[string]*grant
	access   map[string]*accessToken
}

type window struct {
	start time.Time
	count int
}

type grant struct {
	userID  int
	revoked bool
}

type accessToken struct {
	grant   *grant
	expires time.Time
}

type failure struct {
	method, path string
	status       int
}

// New starts a fake HubSpot on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		clientID:      DefaultClientID,
		clientSecret:  DefaultClientSecret,
		tokenLifetime: 30 * time.Minute,
		now:           time.Now,
		windows:       map[string]*window{},
		objects:       map[string]map[int]*Object{"contacts": {}, "calls": {}, "notes": {}},
		codes:         map[string]int{},
		refresh:       map[string]*grant{},
		access:        map[string]*accessToken{},
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(s.routes())
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the API base URL (HubSpot's https://api.hubapi.com).
func (s *Server) URL() string { return s.srv.URL }

// AuthURL is the authorization page (HubSpot's app.hubspot.com/oauth/authorize).
func (s *Server) AuthURL() string { return s.srv.URL + "/oauth/authorize" }

// TokenURL is the 2026-03 token endpoint.
func (s *Server) TokenURL() string { return s.srv.URL + "/oauth/2026-03/token" }

// RevokeURL is the 2026-03 token revocation endpoint.
func (s *Server) RevokeURL() string { return s.srv.URL + "/oauth/2026-03/token/revoke" }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Requests: c.requests.Load(), Unauthorized: c.unauthorized.Load(), RateLimited: c.rateLimited.Load(),
		BadRequests: c.badRequests.Load(), TokenRequests: c.tokenRequests.Load(), CodeExchanges: c.codeExchanges.Load(),
		Refreshes: c.refreshes.Load(), Revocations: c.revocations.Load(), Searches: c.searches.Load(),
		ContactCreates: c.contactCreates.Load(), CallCreates: c.callCreates.Load(), CallReads: c.callReads.Load(),
		CallUpdates: c.callUpdates.Load(), NoteCreates: c.noteCreates.Load(), NoteReads: c.noteReads.Load(),
		NoteUpdates: c.noteUpdates.Load(), OwnerReads: c.ownerReads.Load(), MaxInFlight: c.maxInFlight.Load(),
	}
}

// SetLatency changes the per-request delay.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetRateLimit changes the rate limit and starts new windows.
func (s *Server) SetRateLimit(rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = rl
	s.windows = map[string]*window{}
}

// FailNext makes the next authenticated API request with this method and
// path (without query) answer status with HubSpot's error body (a 429 with
// its rate-limit headers too). Failures queue up; each is used once.
func (s *Server) FailNext(method, path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{method, path, status})
}

// AddOwner adds a user of the account and returns it with its ids.
func (s *Server) AddOwner(o Owner) Owner {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	o.ID = 5000 + s.lastID
	o.UserID = 9000 + s.lastID
	s.owners = append(s.owners, &o)
	return o
}

// AddContact adds a contact with these properties (firstname, lastname,
// phone, mobilephone, email, company) and returns its id.
func (s *Server) AddContact(props map[string]string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked("contacts", maps.Clone(props), nil)
}

func (s *Server) addLocked(kind string, props map[string]string, contacts []int) int {
	s.lastID++
	id := 100000 + s.lastID
	if props == nil {
		props = map[string]string{}
	}
	props["hs_object_id"] = strconv.Itoa(id)
	s.objects[kind][id] = &Object{ID: id, Properties: props, Contacts: contacts}
	return id
}

// Call returns a copy of the call with this id.
func (s *Server) Call(id int) (Object, bool) { return s.object("calls", id) }

// Note returns a copy of the note with this id.
func (s *Server) Note(id int) (Object, bool) { return s.object("notes", id) }

// Contact returns a copy of the contact with this id.
func (s *Server) Contact(id int) (Object, bool) { return s.object("contacts", id) }

// Calls returns copies of every call in id order.
func (s *Server) Calls() []Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Object, 0, len(s.objects["calls"]))
	for _, o := range s.objects["calls"] {
		out = append(out, copyObject(o))
	}
	slices.SortFunc(out, func(a, b Object) int { return a.ID - b.ID })
	return out
}

func (s *Server) object(kind string, id int) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[kind][id]
	if !ok {
		return Object{}, false
	}
	return copyObject(o), true
}

func copyObject(o *Object) Object {
	c := *o
	c.Properties = maps.Clone(o.Properties)
	c.Contacts = slices.Clone(o.Contacts)
	return c
}

// Authorize returns a fresh single-use authorization code for the user, as
// if the user had installed the app.
func (s *Server) Authorize(userID int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := randomToken("code")
	s.codes[code] = userID
	return code
}

// IssueToken creates a grant for the user without the OAuth dance.
func (s *Server) IssueToken(userID int) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked(&grant{userID: userID})
}

func (s *Server) issueLocked(g *grant) (access, refresh string) {
	access, refresh = randomToken("at"), randomToken("rt")
	s.access[access] = &accessToken{grant: g, expires: s.now().Add(s.tokenLifetime)}
	s.refresh[refresh] = g
	return access, refresh
}

// ExpireAccessTokens makes every access token issued so far expired.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		t.expires = s.now().Add(-time.Second)
	}
}

func randomToken(kind string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "fake-hs-" + kind + "-" + hex.EncodeToString(b)
}

type ctxKey struct{}

type caller struct {
	userID int
	token  string
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/2026-03/token", s.handleToken)
	mux.HandleFunc("POST /oauth/2026-03/token/revoke", s.handleRevoke)

	api := http.NewServeMux()
	api.HandleFunc("POST /crm/objects/2026-03/contacts/search", s.handleSearch)
	for _, kind := range []string{"contacts", "calls", "notes"} {
		api.HandleFunc("POST /crm/objects/2026-03/"+kind, s.handleCreate(kind))
		api.HandleFunc("GET /crm/objects/2026-03/"+kind+"/{id}", s.handleGet(kind))
		api.HandleFunc("PATCH /crm/objects/2026-03/"+kind+"/{id}", s.handlePatch(kind))
	}
	api.HandleFunc("GET /crm/owners/2026-03", s.handleOwners)
	api.HandleFunc("GET /crm/owners/2026-03/{id}", s.handleOwner)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Unknown endpoint: "+r.Method+" "+r.URL.Path)
	})
	mux.Handle("/crm/", s.guard(api))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Unknown endpoint")
	})
	return s.delay(mux)
}

func (s *Server) delay(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.stats.inFlight.Add(1)
		defer s.stats.inFlight.Add(-1)
		for {
			m := s.stats.maxInFlight.Load()
			if n <= m || s.stats.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		s.mu.Lock()
		d := s.latency
		s.mu.Unlock()
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// guard authenticates API requests, then applies injected failures and the
// rate limit.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.stats.requests.Add(1)
		c, status := s.authenticate(r)
		if status != "" {
			s.stats.unauthorized.Add(1)
			msg := "Authentication credentials not found."
			if status == "EXPIRED_AUTHENTICATION" {
				msg = "The OAuth token used to make this call expired."
			}
			writeError(w, http.StatusUnauthorized, status, msg)
			return
		}
		if !jsonBody(r) {
			writeError(w, http.StatusUnsupportedMediaType, "VALIDATION_ERROR",
				"Content type '"+r.Header.Get("Content-Type")+"' not supported")
			return
		}
		if f, ok := s.takeFailure(r); ok {
			if f.status == http.StatusTooManyRequests {
				s.stats.rateLimited.Add(1)
				writeRateLimited(w, 1000, 1)
				return
			}
			if f.status == http.StatusBadRequest {
				s.stats.badRequests.Add(1)
			}
			writeError(w, f.status, "INJECTED", "Injected failure")
			return
		}
		if !s.admit(w, c.token, strings.HasSuffix(r.URL.Path, "/search")) {
			s.stats.rateLimited.Add(1)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, c)))
	})
}

// jsonBody reports whether a request that carries a body (POST, PUT,
// PATCH) says it is JSON, as HubSpot requires: it answers 415 otherwise.
func jsonBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return err == nil && mt == "application/json"
	}
	return true
}

func (s *Server) authenticate(r *http.Request) (caller, string) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return caller{}, "INVALID_AUTHENTICATION"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[token]
	switch {
	case !ok || t.grant.revoked:
		return caller{}, "INVALID_AUTHENTICATION"
	case !s.now().Before(t.expires):
		return caller{}, "EXPIRED_AUTHENTICATION"
	}
	return caller{userID: t.grant.userID, token: token}, ""
}

func (s *Server) takeFailure(r *http.Request) (failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.failures {
		if f.method == r.Method && f.path == r.URL.Path {
			s.failures = slices.Delete(s.failures, i, i+1)
			return f, true
		}
	}
	return failure{}, false
}

// admit counts the request in its token's window; on refusal it writes
// HubSpot's 429.
func (s *Server) admit(w http.ResponseWriter, token string, search bool) bool {
	s.mu.Lock()
	rl := s.rate
	if rl.Requests <= 0 || (rl.SearchOnly && !search) {
		s.mu.Unlock()
		return true
	}
	win := rl.Window
	if win <= 0 {
		win = time.Second
	}
	now := s.now()
	wd := s.windows[token]
	if wd == nil || now.Sub(wd.start) >= win {
		wd = &window{start: now}
		s.windows[token] = wd
	}
	wd.count++
	over := wd.count > rl.Requests
	remaining := max(0, rl.Requests-wd.count)
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(win.Milliseconds(), 10))
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(rl.Requests))
	h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(remaining))
	if over {
		writeRateLimited(w, win.Milliseconds(), rl.Requests)
	}
	return !over
}

// writeRateLimited is HubSpot's 429: its headers and error body.
func writeRateLimited(w http.ResponseWriter, intervalMS int64, limit int) {
	h := w.Header()
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(intervalMS, 10))
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(limit))
	h.Set("X-HubSpot-RateLimit-Remaining", "0")
	h.Set("X-HubSpot-RateLimit-Daily", "500000")
	h.Set("X-HubSpot-RateLimit-Daily-Remaining", "499000")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"status":        "error",
		"message":       "You have reached your secondly limit.",
		"errorType":     "RATE_LIMIT",
		"correlationId": randomToken("corr"),
		"policyName":    "SECONDLY",
	})
}

func requestCaller(r *http.Request) caller {
	c, _ := r.Context().Value(ctxKey{}).(caller)
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

// writeError writes HubSpot's error body.
func writeError(w http.ResponseWriter, status int, category, message string) {
	writeJSON(w, status, map[string]any{
		"status":        "error",
		"message":       message,
		"correlationId": randomToken("corr"),
		"category":      category,
	})
}
