package fakepipedrive

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"math"
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
	DefaultClientID     = "fake-client-id"
	DefaultClientSecret = "fake-client-secret"
)

// User is a Pipedrive user of the fake's single company.
type User struct {
	// ID is assigned by AddUser.
	ID int
	// Name and Email describe the user.
	Name, Email string
	// Timezone is an IANA zone name, e.g. "Europe/Berlin".
	Timezone string
	// TimezoneOffset is the offset Pipedrive reports beside the zone, e.g.
	// "+01:00".
	TimezoneOffset string
}

// Organization is a company in the CRM.
type Organization struct {
	// ID is assigned by AddOrganization or the API.
	ID int
	// Name is the organization's name.
	Name string
}

// Person is a contact. Phones are stored exactly as given: searching with
// exact_match compares against these strings.
type Person struct {
	// ID is assigned by AddPerson or the API.
	ID int
	// Name is the person's name.
	Name string
	// Phones are the person's phone numbers as stored.
	Phones []string
	// OrgID is the person's organization, 0 for none.
	OrgID int
	// OwnerID is the user who owns the person, 0 for none.
	OwnerID int
}

// Deal is a sales opportunity linked to a person.
type Deal struct {
	// ID is assigned by AddDeal.
	ID int
	// Title is the deal's title.
	Title string
	// PersonID and OrgID link the deal; 0 for none.
	PersonID, OrgID int
	// Status is "open", "won" or "lost"; "" means open.
	Status string
}

// Participant is a person taking part in an activity.
type Participant struct {
	// PersonID is the person.
	PersonID int
	// Primary marks the activity's main person.
	Primary bool
}

// Activity is a call, meeting, task... as the v2 API stores it.
type Activity struct {
	// ID is assigned by the API.
	ID int
	// Subject, Type (an activity type's key_string) and Note (HTML).
	Subject, Type, Note string
	// DueDate (YYYY-MM-DD), DueTime (HH:MM, UTC) and Duration (HH:MM).
	DueDate, DueTime, Duration string
	// Done marks a finished activity.
	Done bool
	// DealID links a deal, 0 for none.
	DealID int
	// OwnerID is the user the activity belongs to.
	OwnerID int
	// Participants are the persons of the activity.
	Participants []Participant
	// Updates counts successful PATCH requests on the activity.
	Updates int
}

// ActivityType is an entry of the company's activity types.
type ActivityType struct {
	// ID identifies the type.
	ID int
	// Name is shown to users ("Call").
	Name string
	// KeyString is what activities reference in their "type" field.
	KeyString string
	// IconKey is the type's icon ("call").
	IconKey string
	// Active is false for types an admin deactivated.
	Active bool
}

// RateLimit throttles API requests in fixed windows: more than Requests
// requests within one Window answer 429. The zero value disables it.
type RateLimit struct {
	// Requests is how many API requests one window allows.
	Requests int
	// Window is the window length; 2 s (Pipedrive's) when zero.
	Window time.Duration
	// OmitRetryAfter leaves Retry-After out of 429 responses, so that only
	// the x-ratelimit-reset header tells the wait.
	OmitRetryAfter bool
}

// Stats counts the requests the fake served, per kind. Requests rejected
// before their handler ran (401, 429) count only in Requests and in
// Unauthorized or RateLimited.
type Stats struct {
	// Requests is every request to /api/.
	Requests int64
	// Unauthorized counts API requests refused with 401.
	Unauthorized int64
	// RateLimited counts API requests refused with 429.
	RateLimited int64
	// TokenRequests is every request to the token endpoint; CodeExchanges
	// and Refreshes are the successful ones per grant type.
	TokenRequests, CodeExchanges, Refreshes int64
	// Revocations counts successful revoke requests.
	Revocations int64
	// UserMe, ActivityTypes, PersonSearches and DealLists count the
	// read endpoints the adapter uses.
	UserMe, ActivityTypes, PersonSearches, DealLists int64
	// ActivityCreates, ActivityReads and ActivityUpdates count successful
	// activity writes and reads.
	ActivityCreates, ActivityReads, ActivityUpdates int64
	// PersonCreates counts successfully created persons.
	PersonCreates int64
	// MaxInFlight is the most requests the fake was serving at once, the
	// artificial latency included.
	MaxInFlight int64
}

type counters struct {
	requests, unauthorized, rateLimited                          atomic.Int64
	tokenRequests, codeExchanges, refreshes, revocations         atomic.Int64
	userMe, activityTypes, personSearches, dealLists             atomic.Int64
	activityCreates, activityReads, activityUpdates, personAdded atomic.Int64
	inFlight, maxInFlight                                        atomic.Int64
}

// Option configures a Server.
type Option func(*Server)

// WithClient sets the OAuth client credentials the fake accepts and, when
// redirectURL is not empty, the only redirect_uri it accepts.
func WithClient(id, secret, redirectURL string) Option {
	return func(s *Server) {
		s.clientID, s.clientSecret, s.redirectURL = id, secret, redirectURL
	}
}

// WithLatency delays every request by d before it is handled. The delay ends
// early when the request's context is done.
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// WithTokenLifetime sets how long access tokens live (default one hour).
func WithTokenLifetime(d time.Duration) Option {
	return func(s *Server) { s.tokenLifetime = d }
}

// WithRateLimit throttles API requests from the start.
func WithRateLimit(rl RateLimit) Option {
	return func(s *Server) { s.rate = rl }
}

// WithClock replaces time.Now for token expiry and rate-limit windows.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithCompany sets the company's id and its subdomain ("acme" means
// acme.pipedrive.com); the defaults are 1 and "acme".
func WithCompany(id int, domain string) Option {
	return func(s *Server) { s.companyID, s.companyDomain = id, domain }
}

// WithPrefixSearch makes the search without exact_match match a term
// only at the start of a stored value, as a Pipedrive whose search works on
// word prefixes would, instead of anywhere in it. Adapters use it to prove
// a lookup does not depend on substring matching.
func WithPrefixSearch() Option {
	return func(s *Server) { s.prefixSearch = true }
}

// Server is a running fake Pipedrive. It is safe for concurrent use.
type Server struct {
	srv *httptest.Server

	clientID, clientSecret, redirectURL string
	companyID                           int
	companyDomain                       string
	tokenLifetime                       time.Duration
	now                                 func() time.Time
	stats                               counters
	prefixSearch                        bool

	mu            sync.Mutex
	latency       time.Duration
	rate          RateLimit
	windowStart   time.Time
	windowCount   int
	failures      []failure
	users         map[int]*User
	orgs          map[int]*Organization
	persons       map[int]*Person
	deals         map[int]*Deal
	activities    map[int]*Activity
	activityTypes []ActivityType
	codes         map[string]int
	refresh       map[string]*grant
	access        map[string]*accessToken
	lastID        map[string]int
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
	message      string
}

// New starts a fake Pipedrive on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		clientID:      DefaultClientID,
		clientSecret:  DefaultClientSecret,
		companyID:     1,
		companyDomain: "acme",
		tokenLifetime: time.Hour,
		now:           time.Now,
		users:         map[int]*User{},
		orgs:          map[int]*Organization{},
		persons:       map[int]*Person{},
		deals:         map[int]*Deal{},
		activities:    map[int]*Activity{},
		codes:         map[string]int{},
		refresh:       map[string]*grant{},
		access:        map[string]*accessToken{},
		lastID:        map[string]int{},
		activityTypes: []ActivityType{
			{ID: 1, Name: "Call", KeyString: "call", IconKey: "call", Active: true},
			{ID: 2, Name: "Meeting", KeyString: "meeting", IconKey: "users", Active: true},
			{ID: 3, Name: "Task", KeyString: "task", IconKey: "task", Active: true},
			{ID: 4, Name: "Deadline", KeyString: "deadline", IconKey: "deadline", Active: true},
			{ID: 5, Name: "Email", KeyString: "email", IconKey: "email", Active: true},
			{ID: 6, Name: "Lunch", KeyString: "lunch", IconKey: "lunch", Active: true},
		},
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(s.routes())
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the server's base URL; it is also the api_domain of every token
// response.
func (s *Server) URL() string { return s.srv.URL }

// AuthURL is the OAuth authorization endpoint.
func (s *Server) AuthURL() string { return s.srv.URL + "/oauth/authorize" }

// TokenURL is the OAuth token endpoint.
func (s *Server) TokenURL() string { return s.srv.URL + "/oauth/token" }

// RevokeURL is the OAuth token revocation endpoint (RFC 7009).
func (s *Server) RevokeURL() string { return s.srv.URL + "/oauth/revoke" }

// CompanyDomain is the company's subdomain, e.g. "acme".
func (s *Server) CompanyDomain() string { return s.companyDomain }

// CompanyID is the company's id.
func (s *Server) CompanyID() int { return s.companyID }

// Stats returns a snapshot of the request counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Requests:        c.requests.Load(),
		Unauthorized:    c.unauthorized.Load(),
		RateLimited:     c.rateLimited.Load(),
		TokenRequests:   c.tokenRequests.Load(),
		CodeExchanges:   c.codeExchanges.Load(),
		Refreshes:       c.refreshes.Load(),
		Revocations:     c.revocations.Load(),
		UserMe:          c.userMe.Load(),
		ActivityTypes:   c.activityTypes.Load(),
		PersonSearches:  c.personSearches.Load(),
		DealLists:       c.dealLists.Load(),
		ActivityCreates: c.activityCreates.Load(),
		ActivityReads:   c.activityReads.Load(),
		ActivityUpdates: c.activityUpdates.Load(),
		PersonCreates:   c.personAdded.Load(),
		MaxInFlight:     c.maxInFlight.Load(),
	}
}

// SetLatency changes the per-request delay.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetRateLimit changes the rate limit and starts a new window.
func (s *Server) SetRateLimit(rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = rl
	s.windowStart, s.windowCount = time.Time{}, 0
}

// FailNext makes the next authenticated API request with this method and
// path (without query) answer status with Pipedrive's error body carrying
// message. Failures queue up; each is used once.
func (s *Server) FailNext(method, path string, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{method, path, status, message})
}

func (s *Server) nextID(kind string) int {
	s.lastID[kind]++
	return s.lastID[kind]
}

// AddUser adds a user to the company and returns its id.
func (s *Server) AddUser(u User) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	u.ID = s.nextID("user") + 1000
	s.users[u.ID] = &u
	return u.ID
}

// AddOrganization adds an organization and returns its id.
func (s *Server) AddOrganization(o Organization) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.ID = s.nextID("org")
	s.orgs[o.ID] = &o
	return o.ID
}

// AddPerson adds a person and returns its id.
func (s *Server) AddPerson(p Person) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.ID = s.nextID("person")
	p.Phones = slices.Clone(p.Phones)
	s.persons[p.ID] = &p
	return p.ID
}

// AddDeal adds a deal and returns its id.
func (s *Server) AddDeal(d Deal) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.ID = s.nextID("deal")
	if d.Status == "" {
		d.Status = "open"
	}
	s.deals[d.ID] = &d
	return d.ID
}

// SetActivityTypes replaces the company's activity types.
func (s *Server) SetActivityTypes(types []ActivityType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.activityTypes = slices.Clone(types)
}

// Person returns a copy of the person with this id.
func (s *Server) Person(id int) (Person, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.persons[id]
	if !ok {
		return Person{}, false
	}
	c := *p
	c.Phones = slices.Clone(p.Phones)
	return c, true
}

// Activity returns a copy of the activity with this id.
func (s *Server) Activity(id int) (Activity, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.activities[id]
	if !ok {
		return Activity{}, false
	}
	c := *a
	c.Participants = slices.Clone(a.Participants)
	return c, true
}

// Activities returns copies of all activities in id order.
func (s *Server) Activities() []Activity {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Activity, 0, len(s.activities))
	for _, a := range s.activities {
		c := *a
		c.Participants = slices.Clone(a.Participants)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Activity) int { return a.ID - b.ID })
	return out
}

// DeleteActivity removes an activity, as a user deleting it in Pipedrive
// would; it reports whether it existed.
func (s *Server) DeleteActivity(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.activities[id]
	delete(s.activities, id)
	return ok
}

// Authorize returns a fresh single-use authorization code for the user, as
// if the user had approved the app at the authorization endpoint.
func (s *Server) Authorize(userID int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := randomToken("code")
	s.codes[code] = userID
	return code
}

// IssueToken creates a grant for the user without the OAuth dance and
// returns its access and refresh tokens.
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

// ExpireAccessTokens makes every access token issued so far expired; refresh
// tokens stay valid.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, t := range s.access {
		t.expires = past
	}
}

func randomToken(kind string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "fake-" + kind + "-" + hex.EncodeToString(b)
}

type ctxKey struct{}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /oauth/token", s.handleToken)
	mux.HandleFunc("POST /oauth/revoke", s.handleRevoke)

	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/users/me", s.handleUserMe)
	api.HandleFunc("GET /api/v1/activityTypes", s.handleActivityTypes)
	api.HandleFunc("GET /api/v2/persons/search", s.handlePersonSearch)
	api.HandleFunc("GET /api/v2/persons/{id}", s.handleGetPerson)
	api.HandleFunc("POST /api/v2/persons", s.handleCreatePerson)
	api.HandleFunc("GET /api/v2/organizations/{id}", s.handleGetOrganization)
	api.HandleFunc("POST /api/v2/organizations", s.handleCreateOrganization)
	api.HandleFunc("GET /api/v2/deals", s.handleListDeals)
	api.HandleFunc("GET /api/v2/activities", s.handleListActivities)
	api.HandleFunc("POST /api/v2/activities", s.handleCreateActivity)
	api.HandleFunc("GET /api/v2/activities/{id}", s.handleGetActivity)
	api.HandleFunc("PATCH /api/v2/activities/{id}", s.handlePatchActivity)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Unknown method .", "ERR_NOT_FOUND")
	})
	mux.Handle("/api/", s.guard(api))

	return s.delay(mux)
}

// delay applies the artificial latency to every request and tracks how
// many are in flight.
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
		userID, ok := s.authenticate(r)
		if !ok {
			s.stats.unauthorized.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{
				"success":    false,
				"error":      "unauthorized access",
				"errorCode":  http.StatusUnauthorized,
				"error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
			})
			return
		}
		if !jsonBody(r) {
			writeError(w, http.StatusUnsupportedMediaType, "Unsupported Media Type: API v2 accepts only JSON bodies", "ERR_UNSUPPORTED_MEDIA_TYPE")
			return
		}
		if f, ok := s.takeFailure(r); ok {
			writeError(w, f.status, f.message, "ERR_INJECTED")
			return
		}
		if !s.admit(w) {
			s.stats.rateLimited.Add(1)
			writeJSON(w, http.StatusTooManyRequests, map[string]any{
				"success":   false,
				"error":     "Request over limit",
				"errorCode": http.StatusTooManyRequests,
			})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, userID)))
	})
}

func (s *Server) authenticate(r *http.Request) (int, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[token]
	if !ok || t.grant.revoked || !s.now().Before(t.expires) {
		return 0, false
	}
	return t.grant.userID, true
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

// admit counts the request against the rate limit, sets the x-ratelimit-*
// headers and reports whether the request may proceed. On refusal it also
// sets Retry-After (unless configured not to).
func (s *Server) admit(w http.ResponseWriter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rate.Requests <= 0 {
		return true
	}
	window := s.rate.Window
	if window <= 0 {
		window = 2 * time.Second
	}
	now := s.now()
	if s.windowStart.IsZero() || now.Sub(s.windowStart) >= window {
		s.windowStart, s.windowCount = now, 0
	}
	s.windowCount++
	left := window - now.Sub(s.windowStart)
	reset := strconv.Itoa(max(1, int(math.Ceil(left.Seconds()))))
	h := w.Header()
	h.Set("x-ratelimit-limit", strconv.Itoa(s.rate.Requests))
	h.Set("x-ratelimit-remaining", strconv.Itoa(max(0, s.rate.Requests-s.windowCount)))
	h.Set("x-ratelimit-reset", reset)
	if s.windowCount <= s.rate.Requests {
		return true
	}
	if !s.rate.OmitRetryAfter {
		h.Set("Retry-After", reset)
	}
	return false
}

func requestUser(r *http.Request) int {
	id, _ := r.Context().Value(ctxKey{}).(int)
	return id
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

// writeError writes Pipedrive's error envelope.
// jsonBody reports whether a v2 request that carries a body (POST, PUT,
// PATCH) says it is JSON: API v2 accepts only JSON bodies, sent with
// Content-Type: application/json (v1 also takes forms).
func jsonBody(r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/api/v2/") {
		return true
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return err == nil && mt == "application/json"
	}
	return true
}

func writeError(w http.ResponseWriter, status int, message, code string) {
	writeJSON(w, status, map[string]any{
		"success":    false,
		"error":      message,
		"code":       code,
		"error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
	})
}

func writeData(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, map[string]any{"success": true, "data": data})
}
