package httpserver_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store"
)

// manualClock stands still until the test moves it.
type manualClock struct{ ns atomic.Int64 }

func newManualClock(t time.Time) *manualClock {
	c := &manualClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *manualClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *manualClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// logoutHarness runs server and sessions on one manual clock, with the user
// cache on (the logout mark must be honoured through it).
func logoutHarness(t *testing.T, cfgs ...func(*harnessConfig)) (*harness, *manualClock) {
	clk := newManualClock(time.Now().Truncate(time.Second).Add(200 * time.Millisecond))
	h := newHarness(t, append([]func(*harnessConfig){func(c *harnessConfig) {
		c.sessions = newSessions(t, auth.WithJWTClock(clk.now))
		c.opts = append(c.opts, httpserver.WithClock(clk.now), httpserver.WithUserCacheTTL(time.Minute))
	}}, cfgs...)...)
	return h, clk
}

func wantRevoked(t *testing.T, what string, r response) {
	t.Helper()
	if m := r.json(t); r.status != http.StatusUnauthorized || m["errorCode"] != "CRM_SESSION_REVOKED" {
		t.Errorf("%s: %d %s, want 401 CRM_SESSION_REVOKED", what, r.status, r.body)
	}
	if got := r.header.Get("X-Refreshed-JWT-Token"); got != "" {
		t.Errorf("%s: a refused request carries a renewed token", what)
	}
}

// Logout ends every session of the user, also the ones of other devices and
// also after the user logs in again, within the same second or days later
// (PROTOCOL.md §4).
func TestLogoutEndsEverySession(t *testing.T) {
	t.Parallel()
	h, clk := logoutHarness(t)
	key := testcrm.UserID("k1") + "-testcrm"
	device1 := h.login("k1")
	clk.advance(3 * time.Second)
	device2 := h.login("k1")
	// A token from 8 days ago: due for renewal, issued before the logout.
	old := newSessions(t, auth.WithJWTClock(func() time.Time { return clk.now().Add(-8 * 24 * time.Hour) }))
	aging, _ := old.Issue(key, "testcrm")
	for _, jwt := range []string{device1, device2, aging} {
		if r := h.do("GET", "/hostname?jwtToken="+jwt, nil); r.status != 200 {
			t.Fatalf("before logout: %d %s", r.status, r.body)
		}
	}

	clk.advance(300 * time.Millisecond)
	r := h.do("POST", "/unAuthorize", nil, bearer(aging)...)
	if m := r.json(t); r.status != 200 || m["successful"] != true {
		t.Fatalf("unAuthorize: %d %s", r.status, r.body)
	}
	if r.header.Get("X-Refreshed-JWT-Token") != "" {
		t.Errorf("the logout answer carries a renewed token, which would outlive the logout")
	}
	u, err := h.store.GetUser(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if u.SessionsValidFrom.IsZero() {
		t.Fatalf("unAuthorize did not record SessionsValidFrom")
	}

	// A new login within the same second as the logout.
	clk.advance(100 * time.Millisecond)
	fresh := h.login("k1")
	for name, jwt := range map[string]string{"device1": device1, "device2": device2, "aging": aging} {
		wantRevoked(t, name+" after logout and a new login", h.do("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil))
	}
	if r := h.do("GET", "/hostname?jwtToken="+fresh, nil); r.status != 200 {
		t.Errorf("the new login's token: %d %s", r.status, r.body)
	}
	// Days later (the old tokens have not expired yet), still refused.
	clk.advance(5 * 24 * time.Hour)
	wantRevoked(t, "device2 five days later", h.do("GET", "/hostname?jwtToken="+device2, nil))
	r = h.do("GET", "/hostname?jwtToken="+fresh, nil)
	if r.status != 200 {
		t.Errorf("fresh token five days later: %d %s", r.status, r.body)
	}
	// The fresh token is now due for renewal: the renewed one works too.
	clk.advance(3 * 24 * time.Hour)
	r = h.do("GET", "/hostname?jwtToken="+fresh, nil)
	renewed := r.header.Get("X-Refreshed-JWT-Token")
	if r.status != 200 || renewed == "" {
		t.Fatalf("renewal of the new login's token: %d, header %q", r.status, renewed)
	}
	if r := h.do("GET", "/hostname?jwtToken="+renewed, nil); r.status != 200 {
		t.Errorf("renewed token: %d %s", r.status, r.body)
	}
}

// Two logouts and two logins of one user within one second (the clock
// stands still): the token of the first new login is ended by the second
// logout, and the second new login is a different token (found by the
// attacker review: with whole-second times, both logins gave the same token
// and the logged-out one worked again).
func TestLogoutTwiceWithinOneSecond(t *testing.T) {
	t.Parallel()
	h, _ := logoutHarness(t)
	first := h.login("k1")
	if r := h.do("POST", "/unAuthorize", nil, bearer(first)...); r.status != 200 {
		t.Fatalf("first unAuthorize: %d %s", r.status, r.body)
	}
	second := h.login("k1")
	if r := h.do("POST", "/unAuthorize", nil, bearer(second)...); r.status != 200 {
		t.Fatalf("second unAuthorize: %d %s", r.status, r.body)
	}
	third := h.login("k1")
	if third == second || third == first {
		t.Errorf("a login after a logout issued a token it had issued before")
	}
	wantRevoked(t, "first token", h.do("GET", "/hostname?jwtToken="+first, nil))
	wantRevoked(t, "second token after the second logout and a new login", h.do("GET", "/hostname?jwtToken="+second, nil))
	if r := h.do("GET", "/hostname?jwtToken="+third, nil); r.status != 200 {
		t.Errorf("the newest login's token: %d %s", r.status, r.body)
	}
}

// failingStore fails the methods named in fail with ErrUnavailable.
type failingStore struct {
	store.Store
	failGet atomic.Bool
}

func (f *failingStore) GetUser(ctx context.Context, key string) (store.User, error) {
	if f.failGet.Load() {
		return store.User{}, errors.Join(store.ErrUnavailable, errors.New("injected"))
	}
	return f.Store.GetUser(ctx, key)
}

// A token due for renewal is renewed on a 2xx answer only: never on a
// refused request, a store failure, a CRM refusal or a bad request.
func TestNoRenewalOnNon2xx(t *testing.T) {
	t.Parallel()
	fs := &failingStore{}
	h, clk := logoutHarness(t, func(c *harnessConfig) {
		fs.Store = openStore(t)
		c.store = fs
		c.opts = append(c.opts, httpserver.WithUserCacheTTL(0))
	})
	key1 := testcrm.UserID("k1") + "-testcrm"
	h.login("k1")
	old := newSessions(t, auth.WithJWTClock(func() time.Time { return clk.now().Add(-8 * 24 * time.Hour) }))
	aging, _ := old.Issue(key1, "testcrm")

	r := h.do("GET", "/hostname?jwtToken="+aging, nil)
	if r.status != 200 || r.header.Get("X-Refreshed-JWT-Token") == "" {
		t.Fatalf("control: a 2xx answer renews: %d %q", r.status, r.header.Get("X-Refreshed-JWT-Token"))
	}

	// Store down: 503, no renewal.
	fs.failGet.Store(true)
	r = h.do("GET", "/hostname?jwtToken="+aging, nil)
	fs.failGet.Store(false)
	if r.status != http.StatusServiceUnavailable || r.header.Get("X-Refreshed-JWT-Token") != "" {
		t.Errorf("store down: %d, renewed %v", r.status, r.header.Get("X-Refreshed-JWT-Token") != "")
	}

	// The CRM refuses the credentials: 401, no renewal.
	h.crm.FailNext(testcrm.OpFind, adapter.ErrUnauthorized)
	wantRevoked(t, "CRM 401", h.do("GET", "/contact?jwtToken="+aging+"&phoneNumber=+16505551212", nil))

	// A user without credentials, a deleted user: 401, no renewal.
	if err := h.store.UpdateTokens(context.Background(), key1, store.Tokens{}); err != nil {
		t.Fatal(err)
	}
	wantRevoked(t, "no credentials", h.do("GET", "/hostname?jwtToken="+aging, nil))
	if err := h.store.DeleteUser(context.Background(), key1); err != nil {
		t.Fatal(err)
	}
	wantRevoked(t, "deleted user", h.do("GET", "/hostname?jwtToken="+aging, nil))

	// A malformed body of a valid session: non-2xx, no renewal.
	h.login("k2")
	aging2, _ := old.Issue(testcrm.UserID("k2")+"-testcrm", "testcrm")
	r = h.do("POST", "/callLog", "{not json", bearer(aging2)...)
	if r.status/100 != 2 && r.header.Get("X-Refreshed-JWT-Token") != "" {
		t.Errorf("non-2xx %d carries a renewed token", r.status)
	}
}
