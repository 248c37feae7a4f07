package httpserver

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/internal/vault"
	"github.com/crmbridge/crmbridge/store"
)

// Config holds what a server cannot run without.
type Config struct {
	// Adapters are the CRMs this server serves, chosen per request by the
	// session JWT's platform claim (or the login request's platform). At
	// least one; platform names must be unique.
	Adapters []adapter.Adapter
	// Store persists users and log mappings.
	Store store.Store
	// JWTIssuer issues and verifies the session JWTs the client carries
	// (APP_SERVER_SECRET_KEY).
	JWTIssuer *auth.JWTIssuer
	// SealingKeys is the AES-256-GCM key ring that seals CRM tokens and API
	// keys before they reach the store (TOKEN_ENCRYPTION_KEY). It is
	// neither an adapter's API key nor HASH_KEY (WithHashKey).
	SealingKeys *auth.SealingKeyRing
}

// Option changes an optional setting of the server.
type Option func(*options)

type options struct {
	logger         *slog.Logger
	origins        []string
	bodyLimit      int64
	adapterTimeout time.Duration
	httpClient     *http.Client
	serverURL      string
	author         string
	version        string
	now            func() time.Time
	userCacheTTL   time.Duration
	readyTimeout   time.Duration
	metrics        *Metrics
	tracer         trace.TracerProvider
	propagator     propagation.TextMapPropagator
	maxUnconfirmed int
	confirmRetry   time.Duration
	hashKey        string
	rcServer       string
	releaseNotes   json.RawMessage
	contactTTL     time.Duration
}

// WithLogger sets the logger; the default discards logs. The server writes
// one line per request and one per failure; never a token, key, JWT or
// whole phone number.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithAllowedOrigins restricts CORS to the given origins (for example the
// extension's "chrome-extension://<id>"). The default allows any origin,
// without credentials.
func WithAllowedOrigins(origins ...string) Option {
	return func(o *options) { o.origins = append([]string(nil), origins...) }
}

// WithBodyLimit sets the largest request body accepted, in bytes (default
// 1 MiB). Larger bodies are refused with 413.
func WithBodyLimit(n int64) Option { return func(o *options) { o.bodyLimit = n } }

// WithAdapterTimeout bounds each adapter call (default 25 s). The client
// gives up on its side after about 30 s.
func WithAdapterTimeout(d time.Duration) Option { return func(o *options) { o.adapterTimeout = d } }

// WithHTTPClient sets the client whose Transport carries requests to CRMs and
// token endpoints (default: a client with a 30 s timeout over
// http.DefaultTransport). Credentials are layered on top of its Transport;
// its Timeout and CheckRedirect apply. Its Jar is not used: a jar shared by
// every user would send one user's CRM session cookie with another user's
// requests.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithServerURL sets the public URL of this server, served in the manifest's
// serverUrl (default: derived from each request's Host).
func WithServerURL(u string) Option {
	return func(o *options) { o.serverURL = strings.TrimRight(u, "/") }
}

// WithManifestInfo sets the manifest's author name and version.
func WithManifestInfo(author, version string) Option {
	return func(o *options) { o.author, o.version = author, version }
}

// WithUserCacheTTL sets how long a user row, and the user's effective
// settings, read from the store serve later requests of the same user
// (default 1 s; 0 reads the store on every request). This server's own writes to a user take effect at once; with
// several replicas, another replica's logout or token refresh is seen
// within the TTL (a stale OAuth token recovers by itself: the CRM's 401 makes
// the server re-read the store before refreshing).
func WithUserCacheTTL(d time.Duration) Option { return func(o *options) { o.userCacheTTL = max(d, 0) } }

// WithReadinessTimeout bounds how long GET /readyz waits for the store to
// answer before it reports 503 (default 2 s; a probe is typically given 1 to
// 5 s by the load balancer).
func WithReadinessTimeout(d time.Duration) Option { return func(o *options) { o.readyTimeout = d } }

// WithMaxUnconfirmed bounds how many created CRM records the server keeps
// in memory while the store cannot record them (default 10000): call-log
// ids, and for message logs the ids of logged messages and of conversation
// days (PROTOCOL.md §7). Each is retried in the background until the store
// answers, and requests for the same call, message or day meanwhile answer
// with its id. The bound also counts the places held by requests that are
// calling the CRM (one per call log or message, two when a message creates
// a day's record); when it is reached, new call logs and messages are
// refused with 503 before the CRM is called. Values below 1 keep the
// default; 1 is raised to 2, the places a day's first message needs.
func WithMaxUnconfirmed(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxUnconfirmed = max(n, 2)
		}
	}
}

// WithHashKey sets HASH_KEY, the key of the hashes GET /userInfoHash
// answers (PROTOCOL.md §3: h(x) = hex SHA-256 of x + ":" + HASH_KEY). The
// hashes key admin-managed settings per telephony account, so the key must
// stay the same across restarts and replicas; configure it like the other
// keys, never derive it from them. Without it, New generates a random key
// and logs a warning: the hashes then change with every start.
func WithHashKey(key string) Option { return func(o *options) { o.hashKey = key } }

// WithRingCentralServer sets the base URL of the RingCentral platform the
// admin routes validate an admin's token with (default
// https://platform.ringcentral.com; the reference server's
// RINGCENTRAL_SERVER). Requests go through the WithHTTPClient client.
func WithRingCentralServer(u string) Option {
	return func(o *options) { o.rcServer = strings.TrimRight(u, "/") }
}

// WithReleaseNotes sets the document GET /releaseNotes serves: a JSON
// object keyed by version (default {}). New refuses anything else.
func WithReleaseNotes(doc json.RawMessage) Option {
	return func(o *options) { o.releaseNotes = append(json.RawMessage(nil), doc...) }
}

// WithContactCacheTTL sets how long the real matches of a GET /contact
// lookup answer the same user's later lookups of the same number with the
// same effective phone formats (default 60 s; 0 turns the cache off). The
// client looks a number up several times per call, and exact-match CRMs
// charge rate-limited searches for each. No-match answers and errors are
// never cached; a user's entries are dropped when the user creates a
// contact, logs a call to a contact the cached answer did not list, changes
// their settings, or logs out (an admin's change to the account's settings
// is seen within the TTL). The cache lives in this process (bounded by memory): with several
// replicas, another replica's contact creation is seen here within the TTL.
// An adapter opts out with adapter.ContactCachePolicy.
func WithContactCacheTTL(d time.Duration) Option {
	return func(o *options) { o.contactTTL = max(d, 0) }
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Server is the protocol's http.Handler. It is safe for concurrent use and
// works mounted under a prefix (http.StripPrefix) or behind any router.
type Server struct {
	opts      options
	store     store.Store
	jwts      *auth.JWTIssuer
	vault     *vault.Vault
	platforms map[string]*platform
	handler   http.Handler
	log       *slog.Logger
	numbers   numberCache
	formats   formatCache
	// candidates keeps phone lookups' expansions (phoneQuery).
	candidates candidateCache
	users      userCache
	// crmTransport is the base transport of every client that reaches a
	// CRM, measured when metrics are on.
	crmTransport http.RoundTripper
	admins       adminCache
	// credentials keeps the transports of opened API keys (credcache.go).
	credentials credentialCache
	settings    settingsCache
	matches     *matchCache
	// unconfirmed keeps created CRM ids the store failed to record.
	unconfirmed unconfirmed
}

// platform is an adapter with what the server derived from it once.
type platform struct {
	adapter   adapter.Adapter
	auth      adapter.AuthConfig
	refresher *credential.Refresher // nil for API-key adapters
	// caps are the adapter's optional capabilities; the fields below are
	// its members, named for the handlers. A nil one is a capability the
	// adapter lacks.
	caps         adapter.Capabilities
	creator      adapter.ContactCreator
	reader       adapter.CallLogReader
	updater      adapter.CallLogUpdater
	messenger    adapter.MessageLogger
	unauthorizer adapter.Unauthorizer
	searcher     adapter.ContactSearcher
	disposer     adapter.DispositionSetter
	manifest     adapter.Manifester
	validator    adapter.AuthValidator
	finder       adapter.CallLogFinder
	defaulter    adapter.SettingsDefaulter
	license      adapter.LicenseChecker
	lister       adapter.UserLister
	// uncached is true when the adapter opted out of the contact-match
	// cache (adapter.ContactCachePolicy).
	uncached bool
	// logFormat is the markup of the adapter's log bodies
	// (adapter.LogFormatter); "" when the adapter does not say.
	logFormat adapter.LogFormat
}

// New builds a server. It checks the configuration and each adapter's
// AuthConfig, so that a mistake fails at start-up, not at the first call.
func New(cfg Config, opts ...Option) (*Server, error) {
	o := options{
		bodyLimit:      1 << 20,
		adapterTimeout: 25 * time.Second,
		author:         "crmbridge",
		version:        "1.0.0",
		now:            time.Now,
		userCacheTTL:   time.Second,
		readyTimeout:   2 * time.Second,
		maxUnconfirmed: defaultMaxUnconfirmed,
		confirmRetry:   50 * time.Millisecond,
		rcServer:       defaultRingCentralServer,
		releaseNotes:   json.RawMessage(`{}`),
		contactTTL:     defaultContactCacheTTL,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.httpClient == nil {
		o.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.httpClient.Jar != nil {
		// One jar for every user would carry one user's CRM session cookie
		// into another user's requests: the server's clients keep none.
		c := *o.httpClient
		c.Jar = nil
		o.httpClient = &c
	}
	switch {
	case cfg.Store == nil:
		return nil, errors.New("httpserver: Config.Store is required")
	case cfg.JWTIssuer == nil:
		return nil, errors.New("httpserver: Config.JWTIssuer is required")
	case cfg.SealingKeys == nil:
		return nil, errors.New("httpserver: Config.SealingKeys is required")
	case len(cfg.Adapters) == 0:
		return nil, errors.New("httpserver: at least one adapter is required")
	case o.bodyLimit <= 0:
		return nil, errors.New("httpserver: body limit must be positive")
	case o.adapterTimeout <= 0:
		return nil, errors.New("httpserver: adapter timeout must be positive")
	case o.readyTimeout <= 0:
		return nil, errors.New("httpserver: readiness timeout must be positive")
	case !isJSONObject(o.releaseNotes):
		return nil, errors.New("httpserver: release notes must be a JSON object keyed by version")
	}
	if o.hashKey == "" {
		var b [32]byte
		_, _ = rand.Read(b[:])
		o.hashKey = hex.EncodeToString(b[:])
		o.logger.Warn("no HASH_KEY configured: generated one for this process; the telephony account hashes (and the admin settings keyed by them) change with every start")
	}
	if u, err := url.Parse(o.rcServer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("httpserver: RingCentral server %q is not an http(s) URL", o.rcServer)
	}
	s := &Server{
		opts:      o,
		store:     cfg.Store,
		jwts:      cfg.JWTIssuer,
		vault:     vault.New(cfg.SealingKeys),
		platforms: make(map[string]*platform, len(cfg.Adapters)),
		log:       o.logger,
	}
	s.numbers.max, s.numbers.maxBytes = 8192, 2<<20
	s.formats.max, s.formats.maxBytes = 1024, 1<<20
	s.candidates.max, s.candidates.maxBytes = 8192, 4<<20
	s.users = userCache{ttl: o.userCacheTTL, now: o.now}
	s.users.max = 8192
	if m := o.metrics; m != nil {
		s.store = measuredStore{Store: cfg.Store, m: m}
		s.numbers.stats = m.cacheStats("phone_number")
		s.formats.stats = m.cacheStats("phone_format")
		s.candidates.stats = m.cacheStats("phone_candidates")
		s.users.stats = m.cacheStats("user")
	}
	s.crmTransport = s.instrumentTransport(o.httpClient.Transport, "", "")
	s.unconfirmed = unconfirmed{max: o.maxUnconfirmed, m: make(map[unconfirmedKey]string), stop: make(chan struct{})}
	s.admins.max = 1024
	s.credentials.max, s.credentials.maxBytes = maxCachedCredentials, maxCachedCredentialBytes
	s.settings.ttl = o.userCacheTTL
	s.settings.max = 8192
	s.matches = newMatchCache(o.contactTTL, o.now)
	if m := o.metrics; m != nil {
		s.matches.metrics = m.cacheStats("contact_match")
	}
	for _, a := range cfg.Adapters {
		p, err := s.newPlatform(a)
		if err != nil {
			return nil, err
		}
		if _, dup := s.platforms[a.Platform()]; dup {
			return nil, fmt.Errorf("httpserver: two adapters for platform %q", a.Platform())
		}
		// User keys are "<crm user id>-<platform>": with platforms "crm"
		// and "eu-crm", user "5-eu" of one and "5" of the other would share
		// a key.
		for other := range s.platforms {
			if strings.HasSuffix(other, "-"+a.Platform()) || strings.HasSuffix(a.Platform(), "-"+other) {
				return nil, fmt.Errorf("httpserver: platform names %q and %q are ambiguous in user keys; rename one", other, a.Platform())
			}
		}
		s.platforms[a.Platform()] = p
	}
	s.handler = s.routes()
	return s, nil
}

func (s *Server) newPlatform(a adapter.Adapter) (*platform, error) {
	if a == nil {
		return nil, errors.New("httpserver: nil adapter")
	}
	name := a.Platform()
	if name == "" || strings.ContainsAny(name, " /?&=") {
		return nil, fmt.Errorf("httpserver: adapter platform name %q is empty or has spaces or URL characters", name)
	}
	p := &platform{adapter: a, auth: a.Auth()}
	switch p.auth.Type {
	case adapter.AuthOAuth:
		if p.auth.OAuth == nil || p.auth.OAuth.TokenURL == "" {
			return nil, fmt.Errorf("httpserver: adapter %q: OAuth auth needs a provider with a token URL", name)
		}
		p.refresher = credential.NewRefresher(*p.auth.OAuth, &tokenStore{s: s},
			credential.WithHTTPClient(s.tokenClient(name)), credential.WithClock(s.opts.now),
			credential.WithRefreshObserver(func(err error) { s.opts.metrics.observeRefresh(name, err) }))
	case adapter.AuthAPIKey:
		if p.auth.APIKeyScheme == nil {
			return nil, fmt.Errorf("httpserver: adapter %q: API-key auth needs an APIKeyScheme", name)
		}
	default:
		return nil, fmt.Errorf("httpserver: adapter %q: unknown auth type %q", name, p.auth.Type)
	}
	c := adapter.Discover(a)
	p.caps = c
	p.creator, p.reader, p.updater = c.ContactCreator, c.CallLogReader, c.CallLogUpdater
	p.messenger, p.unauthorizer = c.MessageLogger, c.Unauthorizer
	p.searcher, p.disposer, p.manifest = c.ContactSearcher, c.DispositionSetter, c.Manifester
	p.validator, p.finder, p.defaulter = c.AuthValidator, c.CallLogFinder, c.SettingsDefaulter
	p.license, p.lister = c.LicenseChecker, c.UserLister
	if c.ContactCachePolicy != nil {
		p.uncached = !c.ContactCachePolicy.CacheContactMatches()
	}
	if lf := c.LogFormatter; lf != nil {
		switch p.logFormat = lf.LogFormat(); p.logFormat {
		case adapter.LogFormatText, adapter.LogFormatHTML, adapter.LogFormatMarkdown:
		default:
			return nil, fmt.Errorf("httpserver: adapter %q: unknown log format %q", name, p.logFormat)
		}
	}
	return p, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// route is one pattern the server serves and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// routeTable is every route the server serves: the single list the mux is
// built from, and the list a test compares with the OpenAPI document
// (internal/apidoc), so a route cannot be added without being documented.
func (s *Server) routeTable() []route {
	return []route{
		{"GET /isAlive", http.HandlerFunc(s.isAlive)},
		{"GET /readyz", http.HandlerFunc(s.readyz)},
		{"GET /openapi.json", http.HandlerFunc(s.openAPI)},
		{"GET /implementedInterfaces", http.HandlerFunc(s.implementedInterfaces)},
		{"GET /crmManifest", http.HandlerFunc(s.crmManifest)},
		{"GET /oauth-callback", http.HandlerFunc(s.oauthCallback)},
		{"POST /apiKeyLogin", http.HandlerFunc(s.apiKeyLogin)},

		{"GET /hostname", s.withSession(s.hostname)},
		{"POST /unAuthorize", s.withSession(s.unAuthorize)},
		{"GET /authValidation", s.withSession(s.authValidation)},
		{"GET /contact", s.withSession(s.findContact)},
		{"POST /contact", s.withSession(s.createContact)},
		{"GET /custom/contact/search", s.withSession(s.searchContacts)},
		{"GET /callLog", s.withSession(s.getCallLogs)},
		{"POST /callLog", s.withSession(s.createCallLog)},
		{"PATCH /callLog", s.withSession(s.updateCallLog)},
		{"PUT /callDisposition", s.withSession(s.setCallDisposition)},
		{"POST /messageLog", s.withSession(s.createMessageLog)},

		{"GET /user/settings", s.withSession(s.getUserSettings)},
		{"POST /user/settings", s.withSession(s.postUserSettings)},
		{"GET /user/preloadSettings", http.HandlerFunc(s.preloadSettings)},
		{"GET /userInfoHash", http.HandlerFunc(s.userInfoHash)},
		{"POST /callLog/cacheNote", s.withSession(s.cacheNote)},
		{"GET /licenseStatus", s.withSession(s.licenseStatus)},
		{"GET /releaseNotes", http.HandlerFunc(s.releaseNotes)},
		{"GET /serverVersionInfo", http.HandlerFunc(s.serverVersionInfo)},
		{"GET /admin/settings", s.withSession(s.withAdmin(s.getAdminSettings))},
		{"POST /admin/settings", http.HandlerFunc(s.postAdminSettings)},
		{"POST /admin/userMapping", s.withSession(s.withAdmin(s.userMapping))},
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.pattern, s.tagRoute(rt.pattern, rt.handler))
	}

	// Preflight for every path, including ones we do not serve, so the
	// browser gets a CORS answer instead of an opaque failure.
	mux.Handle("OPTIONS /", s.tagRoute("OPTIONS /", http.HandlerFunc(s.preflight)))
	// Every other request, whatever its method, is an unknown route
	// (see cleanPathsOnly).
	mux.HandleFunc("/", notFound)

	var h http.Handler = cleanPathsOnly(mux)
	h = s.limitBody(h)
	h = s.cors(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h) // and traces them (requestTracer)
	return h
}

// textNotFound is the body of every unknown route (PROTOCOL.md §1).
const textNotFound = "Not found"

// notFound answers every request no route matches: 404 text/plain "Not
// found", whatever its method (PROTOCOL.md §1). It is the mux's "/"
// pattern, which matches every method and path, so the mux never answers
// a known path with another method by itself: ServeMux's 405 has a text
// body, which the client shows as a toast (and it calls some routes on a
// timer).
func notFound(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusNotFound, textNotFound)
}

// cleanPathsOnly answers 404 for a path that is not clean ("//contact",
// "/a/../contact"): ServeMux would redirect it with 307 to a Location that
// loses any prefix the handler is mounted under, and such a path is an
// unknown route here. A preflight is answered for every path: "OPTIONS /"
// matches all of them. With the "/" pattern (notFound) catching every
// request no route matches, the mux then matches each request once.
func cleanPathsOnly(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isCleanPath(r.URL.Path) {
			if r.Method != http.MethodOptions {
				writeText(w, http.StatusNotFound, textNotFound)
				return
			}
			r = r.Clone(r.Context())
			r.URL.Path, r.URL.RawPath = "/", ""
		}
		mux.ServeHTTP(w, r)
	})
}

// isCleanPath reports whether ServeMux would serve p as it is rather than
// redirect it: rooted, no empty, "." or ".." elements (a trailing slash is
// kept, as ServeMux keeps it).
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if p[len(p)-1] == '/' && c != "/" {
		c += "/"
	}
	return c == p
}

// isJSONObject reports whether b is one JSON object.
func isJSONObject(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}
