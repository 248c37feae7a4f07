package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes
	otherKey   = []byte("fedcba9876543210fedcba9876543210")
	testNow    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func newTestIssuer(t testing.TB, opts ...JWTOption) *JWTIssuer {
	t.Helper()
	s, err := NewJWTIssuer(testSecret, append([]JWTOption{WithJWTClock(fixedClock(testNow))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// handToken builds a JWT from raw header and payload JSON, signing
// header.payload with HMAC-SHA256 of key (no signature when key is nil).
func handToken(header, payload string, key []byte) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	if key == nil {
		return signing + "."
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}

// specificErrors names every specific Verify error err matches.
func specificErrors(err error) []string {
	all := []struct {
		name string
		err  error
	}{
		{"malformed", ErrJWTMalformed},
		{"algorithm", ErrJWTAlgorithm},
		{"signature", ErrJWTSignature},
		{"expired", ErrJWTExpired},
		{"noexpiry", ErrJWTNoExpiry},
		{"claims", ErrJWTClaims},
	}
	var names []string
	for _, e := range all {
		if errors.Is(err, e.err) {
			names = append(names, e.name)
		}
	}
	return names
}

func TestNewJWTIssuerSecretLength(t *testing.T) {
	t.Parallel()
	if _, err := NewJWTIssuer(testSecret[:31]); !errors.Is(err, ErrWeakJWTSecret) {
		t.Errorf("31-byte secret: err = %v, want ErrWeakJWTSecret", err)
	}
	if _, err := NewJWTIssuer(nil); !errors.Is(err, ErrWeakJWTSecret) {
		t.Errorf("nil secret: err = %v, want ErrWeakJWTSecret", err)
	}
	if _, err := NewJWTIssuer(testSecret); err != nil {
		t.Errorf("32-byte secret: %v", err)
	}
}

func TestJWTIssuerRoundTrip(t *testing.T) {
	t.Parallel()
	s := newTestIssuer(t)
	tok, err := s.Issue("4242-pipedrive", "pipedrive")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{ID: "4242-pipedrive", Platform: "pipedrive", IssuedAt: testNow, ExpiresAt: testNow.Add(14 * 24 * time.Hour), Generation: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}

	// The wire form is what PROTOCOL.md §2 names, plus "gen": the session
	// generation that lets a logout end every earlier session (§4).
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	wantPayload := `{"id":"4242-pipedrive","platform":"pipedrive","iat":1772366400,"exp":1773576000,"gen":0}`
	if diff := cmp.Diff(wantPayload, string(payload)); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}

func TestIssueRequiresIDAndPlatform(t *testing.T) {
	t.Parallel()
	s := newTestIssuer(t)
	for _, c := range [][2]string{{"", "pipedrive"}, {"1-pipedrive", ""}, {"", ""}} {
		if tok, err := s.Issue(c[0], c[1]); err == nil {
			t.Errorf("Issue(%q, %q) = %q, want error", c[0], c[1], tok)
		}
	}
}

func TestWithLifetime(t *testing.T) {
	t.Parallel()
	s := newTestIssuer(t, WithLifetime(time.Hour))
	tok, err := s.Issue("1-p", "p")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.ExpiresAt, testNow.Add(time.Hour); !got.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", got, want)
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	s := newTestIssuer(t)
	iat, exp := testNow.Add(-time.Hour).Unix(), testNow.Add(time.Hour).Unix()
	good := `{"id":"1-p","platform":"p","iat":` + itoa(iat) + `,"exp":` + itoa(exp) + `}`
	hs256 := `{"alg":"HS256","typ":"JWT"}`

	hs384, err := jwt.NewWithClaims(jwt.SigningMethodHS384, jwt.MapClaims{
		"id": "1-p", "platform": "p", "iat": iat, "exp": exp,
	}).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	valid := handToken(hs256, good, testSecret)
	parts := strings.Split(valid, ".")
	flipped := []byte(parts[2])
	if flipped[3] == 'A' { // another letter keeps it base64url
		flipped[3] = 'B'
	} else {
		flipped[3] = 'A'
	}

	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"alg none unsigned", handToken(`{"alg":"none","typ":"JWT"}`, good, nil), "algorithm"},
		{"alg none with HMAC", handToken(`{"alg":"none"}`, good, testSecret), "algorithm"},
		{"alg NONE", handToken(`{"alg":"NONE"}`, good, nil), "algorithm"},
		{"HS384", hs384, "algorithm"},
		{"RS256 with the secret as public key", handToken(`{"alg":"RS256","typ":"JWT"}`, good, testSecret), "algorithm"},
		{"ES256", handToken(`{"alg":"ES256"}`, good, testSecret), "algorithm"},
		{"unknown alg", handToken(`{"alg":"HS999"}`, good, testSecret), "algorithm"},
		{"no alg", handToken(`{"typ":"JWT"}`, good, testSecret), "algorithm"},
		{"other key", handToken(hs256, good, otherKey), "signature"},
		{"flipped signature", parts[0] + "." + parts[1] + "." + string(flipped), "signature"},
		{"changed payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(good, "1-p", "2-p", 1))) + "." + parts[2], "signature"},
		{"no signature", parts[0] + "." + parts[1] + ".", "signature"},
		{"missing exp", handToken(hs256, `{"id":"1-p","platform":"p","iat":`+itoa(iat)+`}`, testSecret), "noexpiry"},
		{"empty claims", handToken(hs256, `{}`, testSecret), "noexpiry"},
		{"expired beyond leeway", handToken(hs256, `{"id":"1-p","platform":"p","iat":`+itoa(iat)+`,"exp":`+itoa(testNow.Add(-31*time.Second).Unix())+`}`, testSecret), "expired"},
		{"expired at leeway", handToken(hs256, `{"id":"1-p","platform":"p","iat":`+itoa(iat)+`,"exp":`+itoa(testNow.Add(-30*time.Second).Unix())+`}`, testSecret), "expired"},
		{"empty id", handToken(hs256, `{"id":"","platform":"p","iat":`+itoa(iat)+`,"exp":`+itoa(exp)+`}`, testSecret), "claims"},
		{"empty platform", handToken(hs256, `{"id":"1-p","iat":`+itoa(iat)+`,"exp":`+itoa(exp)+`}`, testSecret), "claims"},
		{"only exp", handToken(hs256, `{"exp":`+itoa(exp)+`}`, testSecret), "claims"},
		{"missing iat", handToken(hs256, `{"id":"1-p","platform":"p","exp":`+itoa(exp)+`}`, testSecret), "claims"},
		{"iat in the future", handToken(hs256, `{"id":"1-p","platform":"p","iat":`+itoa(testNow.Add(time.Minute).Unix())+`,"exp":`+itoa(exp)+`}`, testSecret), "claims"},
		{"iat after exp", handToken(hs256, `{"id":"1-p","platform":"p","iat":`+itoa(exp)+`,"exp":`+itoa(iat)+`}`, testSecret), "expired"},
		{"garbage", "not a token", "malformed"},
		{"empty", "", "malformed"},
		{"two segments", parts[0] + "." + parts[1], "malformed"},
		{"four segments", valid + ".x", "malformed"},
		{"header not base64", "%%%." + parts[1] + "." + parts[2], "malformed"},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("hello")) + "." + parts[1] + "." + parts[2], "malformed"},
		{"payload not JSON", handToken(hs256, `[1,2]`, testSecret), "malformed"},
		{"id not a string", handToken(hs256, `{"id":7,"platform":"p","iat":`+itoa(iat)+`,"exp":`+itoa(exp)+`}`, testSecret), "malformed"},
		{"exp a string", handToken(hs256, `{"id":"1-p","platform":"p","iat":`+itoa(iat)+`,"exp":"tomorrow"}`, testSecret), "malformed"},
		{"padded signature", valid + "=", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Verify(tt.token)
			if err == nil {
				t.Fatalf("Verify accepted it: %+v", c)
			}
			if !errors.Is(err, ErrInvalidJWT) {
				t.Errorf("err %v does not match ErrInvalidJWT", err)
			}
			if diff := cmp.Diff([]string{tt.want}, specificErrors(err)); diff != "" {
				t.Errorf("specific errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(Claims{}, c); diff != "" {
				t.Errorf("claims returned with an error (-want +got):\n%s", diff)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error %q quotes the token", err)
			}
		})
	}

	if _, err := s.Verify(valid); err != nil {
		t.Errorf("the untampered token: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestVerifyLeeway(t *testing.T) {
	t.Parallel()
	issuedAgo := func(s *JWTIssuer, ago time.Duration) string {
		t.Helper()
		issuer := newTestIssuer(t, WithJWTClock(fixedClock(testNow.Add(-ago))), WithLifetime(time.Hour))
		tok, err := issuer.Issue("1-p", "p")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name      string
		leeway    []JWTOption
		pastExp   time.Duration
		wantValid bool
	}{
		{"within default leeway", nil, 29 * time.Second, true},
		{"beyond default leeway", nil, 31 * time.Second, false},
		{"no leeway, just expired", []JWTOption{WithLeeway(0)}, time.Second, false},
		{"5 minutes clamped to 60 s: 59 s late", []JWTOption{WithLeeway(5 * time.Minute)}, 59 * time.Second, true},
		{"5 minutes clamped to 60 s: 61 s late", []JWTOption{WithLeeway(5 * time.Minute)}, 61 * time.Second, false},
		{"negative is zero", []JWTOption{WithLeeway(-time.Hour)}, time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestIssuer(t, tt.leeway...)
			_, err := s.Verify(issuedAgo(s, time.Hour+tt.pastExp))
			if tt.wantValid && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tt.wantValid && !errors.Is(err, ErrJWTExpired) {
				t.Errorf("err = %v, want ErrJWTExpired", err)
			}
		})
	}
}

func TestShouldRenew(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	tests := []struct {
		left time.Duration
		opts []JWTOption
		want bool
	}{
		{6 * day, nil, true},
		{8 * day, nil, false},
		{14 * day, nil, false},
		{time.Minute, nil, true},
		{8 * day, []JWTOption{WithRenewWithin(10 * day)}, true},
		{6 * day, []JWTOption{WithRenewWithin(5 * day)}, false},
	}
	for _, tt := range tests {
		s := newTestIssuer(t, tt.opts...)
		c := Claims{ID: "1-p", Platform: "p", IssuedAt: testNow.Add(-day), ExpiresAt: testNow.Add(tt.left)}
		if got := s.ShouldRenew(c); got != tt.want {
			t.Errorf("ShouldRenew with %v left = %v, want %v", tt.left, got, tt.want)
		}
	}
}

func TestJWTIssuerDoesNotPrintSecret(t *testing.T) {
	t.Parallel()
	s := newTestIssuer(t)
	// A verified token sits in the verify cache: it must not show either.
	tok, err := s.Issue("1-p", "p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(tok); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{s.String(), s.GoString(), sprintAll(s), logAll(s)} {
		if strings.Contains(out, string(testSecret)) || strings.Contains(out, "48, 49, 50") || strings.Contains(out, "48 49 50") {
			t.Errorf("formatted JWTIssuer shows the secret: %s", out)
		}
		if strings.Contains(out, tok) {
			t.Errorf("formatted JWTIssuer shows a cached JWT: %s", out)
		}
	}
}

// FuzzVerify checks that Verify never panics, that every error is one
// ErrInvalidJWT with exactly one specific cause, and that no token
// verifies without an id and a platform.
func FuzzVerify(f *testing.F) {
	s := newTestIssuer(f)
	valid, err := s.Issue("1-p", "p")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(handToken(`{"alg":"HS256"}`, `{"exp":9999999999,"iat":1}`, testSecret))
	f.Add(handToken(`{"alg":"none"}`, `{"id":"a","platform":"b","iat":1,"exp":9999999999}`, nil))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token)
		if err != nil {
			if !errors.Is(err, ErrInvalidJWT) {
				t.Fatalf("error %v is not ErrInvalidJWT", err)
			}
			if n := len(specificErrors(err)); n != 1 {
				t.Fatalf("error %v matches %d specific errors", err, n)
			}
			return
		}
		if c.ID == "" || c.Platform == "" {
			t.Fatalf("verified with empty claims: %+v", c)
		}
	})
}

func BenchmarkIssue(b *testing.B) {
	s := newTestIssuer(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue("12345678-pipedrive", "pipedrive"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	s := newTestIssuer(b, WithVerifyCache(0))
	tok, err := s.Issue("12345678-pipedrive", "pipedrive")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCached verifies a token seen before, as the server does for
// every request of a session after the first.
func BenchmarkVerifyCached(b *testing.B) {
	s := newTestIssuer(b)
	tok, err := s.Issue("12345678-pipedrive", "pipedrive")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func TestVerifyCacheKeepsTimeChecks(t *testing.T) {
	t.Parallel()
	now := testNow
	s, err := NewJWTIssuer(testSecret, WithJWTClock(func() time.Time { return now }), WithLifetime(time.Hour), WithVerifyCache(2))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := s.Issue("u-1-testcrm", "testcrm")
	for range 2 { // the second Verify is served from the cache
		if _, err := s.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Hour)
	if _, err := s.Verify(tok); !errors.Is(err, ErrJWTExpired) {
		t.Errorf("cached token past exp: %v, want ErrJWTExpired", err)
	}
	// A forged token is never cached: it fails every time.
	forged := tok[:len(tok)-2] + "xx"
	for range 2 {
		if _, err := s.Verify(forged); !errors.Is(err, ErrInvalidJWT) {
			t.Errorf("forged token: %v", err)
		}
	}
	// The cache is bounded: more tokens than its size still verify.
	now = testNow
	for i := range 5 {
		tk, _ := s.Issue(fmt.Sprint("u-", i, "-testcrm"), "testcrm")
		if c, err := s.Verify(tk); err != nil || c.ID != fmt.Sprint("u-", i, "-testcrm") {
			t.Errorf("token %d: %v %v", i, c, err)
		}
	}
	if n := len(s.cache.m); n > 2 {
		t.Errorf("cache holds %d tokens, bound is 2", n)
	}
}

// TestEndedByLogout: a token is ended by exactly the logouts after the one
// it was issued after (PROTOCOL.md §4), also when logout, login and logout
// fall within one second; a token without a generation claim keeps the
// whole-second rule.
func TestEndedByLogout(t *testing.T) {
	t.Parallel()
	s := newTestIssuer(t, WithJWTClock(fixedClock(testNow.Add(100*time.Millisecond))))
	first := testNow.Add(400 * time.Millisecond) // all within testNow's second
	second := first.Add(time.Microsecond)        // what a store records for a second logout at the same instant

	verify := func(tok string) Claims {
		t.Helper()
		c, err := s.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	never, err := s.Issue("1-p", "p")
	if err != nil {
		t.Fatal(err)
	}
	afterFirst, err := s.IssueAfter("1-p", "p", first)
	if err != nil {
		t.Fatal(err)
	}
	afterSecond, err := s.IssueAfter("1-p", "p", second)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		c     Claims
		ended time.Time
		want  bool
	}{
		{"never logged out, token from before any logout", verify(never), time.Time{}, false},
		{"token from before any logout, first logout", verify(never), first, true},
		{"token issued after the first logout, same logout", verify(afterFirst), first, false},
		{"token issued after the first logout, second logout in the same second", verify(afterFirst), second, true},
		{"token issued after the second logout", verify(afterSecond), second, false},
		{"token issued after the second logout, store read back an older logout", verify(afterSecond), first, true},
		{"no generation claim: earlier second", Claims{IssuedAt: testNow.Add(-time.Second), Generation: -1}, first, true},
		{"no generation claim: same second as the logout", Claims{IssuedAt: testNow, Generation: -1}, first, true},
		{"no generation claim: next second", Claims{IssuedAt: testNow.Add(time.Second), Generation: -1}, first, false},
		{"no generation claim: never logged out", Claims{IssuedAt: testNow, Generation: -1}, time.Time{}, false},
	} {
		if got := tc.c.EndedBy(tc.ended); got != tc.want {
			t.Errorf("%s: EndedBy = %v, want %v", tc.name, got, tc.want)
		}
	}
	if afterFirst == afterSecond {
		t.Error("tokens issued after two different logouts within one second are the same token")
	}
	if g := verify(afterFirst).Generation; g != SessionGeneration(first) {
		t.Errorf("Generation = %d, want %d", g, SessionGeneration(first))
	}
}
