package credential

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// tokenEndpoint answers every refresh grant in process with at-1/rt-1, so
// that the test can run in a synctest bubble without a network.
type tokenEndpoint struct{ calls atomic.Int32 }

func (e *tokenEndpoint) RoundTrip(req *http.Request) (*http.Response, error) {
	e.calls.Add(1)
	io.Copy(io.Discard, req.Body)
	req.Body.Close()
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/json")
	io.WriteString(rec, `{"access_token":"at-1","refresh_token":"rt-1","expires_in":3600}`)
	return rec.Result(), nil
}

// A request refused with a fresh token (Renew) can join a refresh that
// another request started because the token it had read was expiring
// (Token). The shared refresh must refresh when either of them needs it:
// returning the stored token because it no longer expires soon hands the
// refused caller the very token the CRM just refused, and its user is told
// to log in again.
func TestRefresherRenewJoiningExpiryRefresh(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ep := &tokenEndpoint{}
		ts := newMemStore(userKey, expiredToken)
		r := NewRefresher(testProvider("https://crm.example/oauth/token"), ts,
			WithClock(fixedClock(testNow)), WithHTTPClient(&http.Client{Transport: ep}))
		ctx := context.Background()

		// Another replica is refreshing: it holds the lock.
		unlock, err := ts.LockRefresh(ctx, userKey)
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg         sync.WaitGroup
			tokA, tokB Token
			errA, errB error
		)
		wg.Go(func() { tokA, errA = r.Token(ctx, userKey) }) // read at-0, expired
		synctest.Wait()

		// The other replica stores its result; a request using it is
		// refused by the CRM and renews while A's refresh still waits.
		ts.set(userKey, Token{AccessToken: "at-x", RefreshToken: "rt-x", Expiry: testNow.Add(time.Hour)})
		wg.Go(func() { tokB, errB = r.Renew(ctx, userKey, "at-x") })
		synctest.Wait()

		unlock()
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("Token: %v; Renew: %v", errA, errB)
		}
		if tokB.AccessToken == "at-x" {
			t.Errorf("Renew returned the refused token %q", tokB.AccessToken)
		}
		if tokA.AccessToken != "at-1" || tokB.AccessToken != "at-1" {
			t.Errorf("Token got %q, Renew got %q; want both at-1", tokA.AccessToken, tokB.AccessToken)
		}
		if n := ep.calls.Load(); n != 1 {
			t.Errorf("provider called %d times, want 1", n)
		}
		if got := ts.get(userKey).RefreshToken; got != "rt-1" {
			t.Errorf("stored refresh token %q, want rt-1", got)
		}
	})
}

// unlockHookStore runs onUnlock when a refresh lock is released: the
// moment a flight has decided and is about to publish its result.
type unlockHookStore struct {
	*memStore
	onUnlock func()
}

func (s *unlockHookStore) LockRefresh(ctx context.Context, key string) (func(), error) {
	unlock, err := s.memStore.LockRefresh(ctx, key)
	if err != nil {
		return nil, err
	}
	return func() {
		if h := s.onUnlock; h != nil {
			h()
		}
		unlock()
	}, nil
}

// A caller that joins a refresh after it has looked at the stored token
// was not considered by it; when the result does not do for that caller
// (here: it is the token the CRM refused), the caller gets a refresh of
// its own rather than the refused token.
func TestRefresherLateJoinerRefreshes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ep := &tokenEndpoint{}
		ms := newMemStore(userKey, Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(time.Hour)})
		ts := &unlockHookStore{memStore: ms}
		r := NewRefresher(testProvider("https://crm.example/oauth/token"), ts,
			WithClock(fixedClock(testNow)), WithHTTPClient(&http.Client{Transport: ep}))
		ctx := context.Background()

		// A renews at-0; before its flight takes the lock another replica
		// stores at-x, so the flight finds nothing to do. B, refused with
		// at-x, joins just as that flight releases the lock.
		ms.onLocked = func(string) {
			ms.set(userKey, Token{AccessToken: "at-x", RefreshToken: "rt-x", Expiry: testNow.Add(time.Hour)})
		}
		var (
			wg         sync.WaitGroup
			tokA, tokB Token
			errA, errB error
		)
		ts.onUnlock = func() {
			ts.onUnlock = nil
			wg.Go(func() { tokB, errB = r.Renew(ctx, userKey, "at-x") })
			synctest.Wait()
		}
		wg.Go(func() { tokA, errA = r.Renew(ctx, userKey, "at-0") })
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("A: %v; B: %v", errA, errB)
		}
		if tokA.AccessToken != "at-x" {
			t.Errorf("A got %q, want the stored at-x", tokA.AccessToken)
		}
		if tokB.AccessToken != "at-1" {
			t.Errorf("B got %q, want the refreshed at-1", tokB.AccessToken)
		}
		if n := ep.calls.Load(); n != 1 {
			t.Errorf("provider called %d times, want 1", n)
		}
	})
}
