package auth

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MinJWTSecretLength is the shortest session JWT secret NewJWTIssuer accepts, in
// bytes: HS256 gives no more strength than its key.
const MinJWTSecretLength = 32

// maxLeeway bounds the clock skew Verify tolerates (PROTOCOL.md §2).
const maxLeeway = 60 * time.Second

var (
	// ErrWeakJWTSecret is returned by NewJWTIssuer for a secret shorter than
	// MinJWTSecretLength bytes.
	ErrWeakJWTSecret = errors.New("auth: session secret shorter than 32 bytes")

	// ErrInvalidJWT matches every error returned by JWTIssuer.Verify. Each
	// such error also matches exactly one of the more specific ErrJWT*
	// values below.
	ErrInvalidJWT = errors.New("auth: invalid session token")
	// ErrJWTMalformed: not three base64url segments of JSON.
	ErrJWTMalformed = errors.New("auth: malformed session token")
	// ErrJWTAlgorithm: the header names any algorithm but HS256,
	// including "none", HS384 and the public-key algorithms.
	ErrJWTAlgorithm = errors.New("auth: session token algorithm not allowed")
	// ErrJWTSignature: the HS256 signature does not match the secret.
	ErrJWTSignature = errors.New("auth: session token signature invalid")
	// ErrJWTExpired: exp is in the past by more than the leeway.
	ErrJWTExpired = errors.New("auth: session token expired")
	// ErrJWTNoExpiry: the token carries no exp claim.
	ErrJWTNoExpiry = errors.New("auth: session token has no expiry")
	// ErrJWTClaims: id or platform is empty, or iat is missing, in the
	// future or after exp. Issue and IssueAfter also return it (not
	// wrapped in ErrInvalidJWT) for an empty id or platform.
	ErrJWTClaims = errors.New("auth: session token claims invalid")
)

// errWrongAlgorithm is what the key function returns for a non-HS256 header.
var errWrongAlgorithm = errors.New("algorithm not HS256")

// Claims is what a session JWT says about its holder.
type Claims struct {
	// ID is the user's key, "<crmUserId>-<platform>" (PROTOCOL.md §4).
	ID string
	// Platform is the adapter's name.
	Platform string
	// IssuedAt and ExpiresAt are the iat and exp claims, to the second.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Generation is the "gen" claim: the SessionGeneration of the user's
	// last logout when the token was issued (0 before any), or -1 for a
	// token without the claim (issued before generations existed). See
	// EndedBy.
	Generation int64
}

// EndedBy reports whether a logout at ended (the user's last one, as its
// store keeps it; zero when never) has ended the token's session
// (PROTOCOL.md §4). A token carries the session generation it was issued
// in (IssueAfter), so it is ended by the first logout after it, exactly:
// also when the logout, a new login and a second logout fall within one
// second, and whatever the clocks of the replicas. A token without a
// generation (issued before generations existed) is ended by a logout in
// or after the second of its iat.
func (c Claims) EndedBy(ended time.Time) bool {
	if c.Generation >= 0 {
		return c.Generation != SessionGeneration(ended)
	}
	return !ended.IsZero() && c.IssuedAt.Before(ceilSecond(ended))
}

// SessionGeneration is the session generation that a logout at ended
// starts: ended in Unix microseconds (the finest a PostgreSQL timestamptz
// keeps), 0 for the zero time (never logged out). Stores move the logout
// time on by at least a microsecond on every logout (store.Store's
// EndSessions), so every logout starts a new generation.
func SessionGeneration(ended time.Time) int64 {
	if ended.IsZero() {
		return 0
	}
	return ended.UnixMicro()
}

// ceilSecond rounds t up to a whole second; the zero time stays zero.
func ceilSecond(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if f := t.Truncate(time.Second); !f.Equal(t) {
		return f.Add(time.Second)
	}
	return t
}

// wireClaims is the JSON payload of a session token.
type wireClaims struct {
	ID        string           `json:"id"`
	Platform  string           `json:"platform"`
	IssuedAt  *jwt.NumericDate `json:"iat,omitempty"`
	ExpiresAt *jwt.NumericDate `json:"exp,omitempty"`
	// Generation is a pointer so that generation 0 is written too, and a
	// token without the claim is told apart.
	Generation *int64 `json:"gen,omitempty"`
}

// The jwt.Claims methods. Validation is ours (Verify), so these only expose
// the two time claims.
func (c *wireClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *wireClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *wireClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c *wireClaims) GetIssuer() (string, error)                   { return "", nil }
func (c *wireClaims) GetSubject() (string, error)                  { return "", nil }
func (c *wireClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

type jwtOptions struct {
	lifetime    time.Duration
	leeway      time.Duration
	renewWithin time.Duration
	now         func() time.Time
	cacheSize   int
}

// JWTOption configures NewJWTIssuer.
type JWTOption func(*jwtOptions)

// WithLifetime sets how long an issued token is valid. The default is 14
// days. Values of zero or less keep the default.
func WithLifetime(d time.Duration) JWTOption {
	return func(o *jwtOptions) {
		if d > 0 {
			o.lifetime = d
		}
	}
}

// WithLeeway sets how far past exp (and how far before iat) a token is
// still accepted, for clock skew between replicas. The default is 30 s;
// values above 60 s are clamped to 60 s and negative values to zero. An
// iat up to one second ahead is accepted whatever the leeway: iat has
// whole seconds.
func WithLeeway(d time.Duration) JWTOption {
	return func(o *jwtOptions) { o.leeway = min(max(d, 0), maxLeeway) }
}

// WithRenewWithin sets when ShouldRenew says yes: when less than d of the
// token's life remains. The default is 7 days. With zero or less, only a
// token already past exp (accepted within the leeway) is renewed.
func WithRenewWithin(d time.Duration) JWTOption {
	return func(o *jwtOptions) { o.renewWithin = d }
}

// WithVerifyCache sets how many authenticated tokens Verify remembers so
// that a token seen before skips parsing and the signature check (the
// expiry and other time checks run on every call). The default is 4096;
// zero or less disables the cache. Only tokens that authenticated are
// kept, and a full cache starts over, so memory stays bounded by n tokens
// signed with this issuer's secret.
func WithVerifyCache(n int) JWTOption {
	return func(o *jwtOptions) { o.cacheSize = max(n, 0) }
}

// WithJWTClock replaces time.Now, for tests.
func WithJWTClock(now func() time.Time) JWTOption {
	return func(o *jwtOptions) {
		if now != nil {
			o.now = now
		}
	}
}

// JWTIssuer issues and verifies the server's session JWTs: HS256 with the
// claims id, platform, iat and exp (PROTOCOL.md §2), and gen, the
// SessionGeneration they were issued in. It is safe for
// concurrent use. Its secret never leaves it: every fmt verb and log/slog
// show it redacted.
type JWTIssuer struct {
	secret []byte
	opts   jwtOptions
	parser *jwt.Parser
	cache  verifiedCache
}

// NewJWTIssuer returns a JWTIssuer signing with secret, which must be at least
// MinJWTSecretLength bytes (ErrWeakJWTSecret otherwise). The secret is copied.
func NewJWTIssuer(secret []byte, opts ...JWTOption) (*JWTIssuer, error) {
	if len(secret) < MinJWTSecretLength {
		return nil, ErrWeakJWTSecret
	}
	o := jwtOptions{
		lifetime:    14 * 24 * time.Hour,
		leeway:      30 * time.Second,
		renewWithin: 7 * 24 * time.Hour,
		now:         time.Now,
		cacheSize:   4096,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &JWTIssuer{
		secret: append([]byte(nil), secret...),
		opts:   o,
		// Claims are checked by Verify itself so that each failure maps to
		// exactly one of our errors; the library checks format and
		// signature. Strict decoding refuses non-canonical base64, so one
		// token has exactly one spelling.
		parser: jwt.NewParser(jwt.WithoutClaimsValidation(), jwt.WithStrictDecoding()),
		cache:  verifiedCache{max: o.cacheSize},
	}, nil
}

// String redacts the secret.
func (s *JWTIssuer) String() string { return "auth.JWTIssuer{secret: redacted}" }

// GoString redacts the secret.
func (s *JWTIssuer) GoString() string { return s.String() }

// Format prints String for every verb: without it, %d or %t would print
// the fields, the secret and the cached session JWTs included.
func (s *JWTIssuer) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s.String(), s.GoString()) }

// Issue returns a signed token for the user key id on platform, valid from
// now for the configured lifetime. Both must be non-empty (ErrJWTClaims
// otherwise).
func (s *JWTIssuer) Issue(id, platform string) (string, error) {
	return s.IssueAfter(id, platform, time.Time{})
}

// IssueAfter is Issue for a user whose earlier sessions were ended at
// ended (the user's last logout as its store keeps it; zero when never):
// the token carries that logout's SessionGeneration, so it is not EndedBy
// ended and is EndedBy the next logout.
func (s *JWTIssuer) IssueAfter(id, platform string, ended time.Time) (string, error) {
	if id == "" || platform == "" {
		return "", fmt.Errorf("auth: issue session: %w: id and platform are required", ErrJWTClaims)
	}
	now := s.opts.now()
	gen := SessionGeneration(ended)
	c := &wireClaims{
		ID:         id,
		Platform:   platform,
		IssuedAt:   jwt.NewNumericDate(now),
		ExpiresAt:  jwt.NewNumericDate(now.Add(s.opts.lifetime)),
		Generation: &gen,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.secret)
	if err != nil {
		return "", fmt.Errorf("auth: issue session: %w", err)
	}
	return tok, nil
}

// Verify checks token and returns its claims. Every error matches
// ErrInvalidJWT and exactly one of ErrJWTMalformed, ErrJWTAlgorithm,
// ErrJWTSignature, ErrJWTNoExpiry, ErrJWTExpired and ErrJWTClaims.
// Errors never contain the token.
func (s *JWTIssuer) Verify(token string) (Claims, error) {
	d, err := s.decode(token)
	if err != nil {
		return Claims{}, err
	}
	if !d.hasExp {
		return Claims{}, invalid(ErrJWTNoExpiry)
	}
	now := s.opts.now()
	if !now.Before(d.exp.Add(s.opts.leeway)) {
		return Claims{}, invalid(ErrJWTExpired)
	}
	if d.id == "" || d.platform == "" || !d.hasIat {
		return Claims{}, invalid(ErrJWTClaims)
	}
	// iat has whole seconds (and tokens of earlier versions may carry an
	// iat rounded up to the next one), so at least a second of future iat
	// is accepted whatever the leeway.
	if d.iat.After(now.Add(max(s.opts.leeway, time.Second))) || d.iat.After(d.exp) {
		return Claims{}, invalid(ErrJWTClaims)
	}
	return Claims{ID: d.id, Platform: d.platform, IssuedAt: d.iat, ExpiresAt: d.exp, Generation: d.gen}, nil
}

// decoded is what a token says once its format and signature checked out.
// It depends on the token string alone, so it may be cached; every check
// that depends on the time is made by Verify on each call.
type decoded struct {
	id, platform   string
	iat, exp       time.Time
	hasIat, hasExp bool
	gen            int64 // -1 without the claim
}

// decode parses and authenticates token, from the cache when this exact
// string authenticated before. Parsing is most of Verify's cost (base64,
// JSON, reflection); the client sends the same token with every request.
func (s *JWTIssuer) decode(token string) (decoded, error) {
	if d, ok := s.cache.get(token); ok {
		return d, nil
	}
	var wc wireClaims
	if _, err := s.parser.ParseWithClaims(token, &wc, s.key); err != nil {
		return decoded{}, invalid(classify(err))
	}
	d := decoded{id: wc.ID, platform: wc.Platform, gen: -1}
	if wc.ExpiresAt != nil {
		d.exp, d.hasExp = wc.ExpiresAt.Time, true
	}
	if wc.IssuedAt != nil {
		d.iat, d.hasIat = wc.IssuedAt.Time, true
	}
	if wc.Generation != nil && *wc.Generation >= 0 {
		d.gen = *wc.Generation
	}
	s.cache.put(token, d)
	return d, nil
}

// verifiedCache remembers decoded tokens, at most max of them; when full it
// starts over, which keeps it simple and bounded (a server has roughly one
// live token per active user).
type verifiedCache struct {
	max int
	mu  sync.RWMutex
	m   map[string]decoded
}

func (c *verifiedCache) get(token string) (decoded, bool) {
	if c.max <= 0 {
		return decoded{}, false
	}
	c.mu.RLock()
	d, ok := c.m[token]
	c.mu.RUnlock()
	return d, ok
}

func (c *verifiedCache) put(token string, d decoded) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[string]decoded, min(c.max, 1024))
	}
	c.m[token] = d
	c.mu.Unlock()
}

// key is the jwt.Keyfunc. It hands out the secret only for HS256: comparing
// the method itself, not the alg string, means the signature is checked by
// exactly the HMAC-SHA256 implementation, so "none", HS384 and RS256 with
// the secret posing as a public key are all refused before any
// verification.
func (s *JWTIssuer) key(t *jwt.Token) (any, error) {
	if t.Method != jwt.SigningMethodHS256 {
		return nil, errWrongAlgorithm
	}
	return s.secret, nil
}

// classify maps a jwt parse error to one of our specific errors. The order
// matters: the library joins several errors into one.
func classify(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ErrJWTMalformed
	case errors.Is(err, errWrongAlgorithm), errors.Is(err, jwt.ErrTokenUnverifiable):
		// ErrTokenUnverifiable without our error: an alg the library does
		// not know, or none at all.
		return ErrJWTAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ErrJWTSignature
	default:
		return ErrJWTMalformed
	}
}

// tokenError is a Verify error: it reads as its specific error and matches
// both that and ErrInvalidJWT.
type tokenError struct{ specific error }

func (e *tokenError) Error() string        { return e.specific.Error() }
func (e *tokenError) Unwrap() error        { return e.specific }
func (e *tokenError) Is(target error) bool { return target == ErrInvalidJWT }

func invalid(specific error) error { return &tokenError{specific: specific} }

// ShouldRenew reports whether c, from a token that verified, has less than
// the renew-within window left; the server then sends a fresh token in
// X-Refreshed-JWT-Token.
func (s *JWTIssuer) ShouldRenew(c Claims) bool {
	return c.ExpiresAt.Sub(s.opts.now()) < s.opts.renewWithin
}
