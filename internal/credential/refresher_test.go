package credential

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// memStore is an in-memory TokenStore. Its lock is one per key and honours
// the context, like the database locks of the real stores.
type memStore struct {
	mu     sync.Mutex
	tokens map[string]Token
	locks  map[string]chan struct{}
	saves  int

	failSaves int          // the next failSaves SaveToken calls fail
	lockErr   error        // LockRefresh fails with it
	onLoad    func()       // called after each LoadToken
	onLocked  func(string) // called when LockRefresh has the lock
}

var errStoreDown = errors.New("store down")

func newMemStore(key string, t Token) *memStore {
	return &memStore{tokens: map[string]Token{key: t}, locks: map[string]chan struct{}{}}
}

func (m *memStore) LoadToken(_ context.Context, key string) (Token, error) {
	m.mu.Lock()
	t, ok := m.tokens[key]
	hook := m.onLoad
	m.mu.Unlock()
	if hook != nil {
		hook()
	}
	if !ok {
		return Token{}, fmt.Errorf("user %q: not found", key)
	}
	return t, nil
}

func (m *memStore) SaveToken(_ context.Context, key string, t Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSaves > 0 {
		m.failSaves--
		return errStoreDown
	}
	m.tokens[key] = t
	m.saves++
	return nil
}

func (m *memStore) LockRefresh(ctx context.Context, key string) (func(), error) {
	m.mu.Lock()
	if m.lockErr != nil {
		m.mu.Unlock()
		return nil, m.lockErr
	}
	ch, ok := m.locks[key]
	if !ok {
		ch = make(chan struct{}, 1)
		m.locks[key] = ch
	}
	hook := m.onLocked
	m.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if hook != nil {
		hook(key)
	}
	var once sync.Once
	return func() { once.Do(func() { <-ch }) }, nil
}

func (m *memStore) get(key string) Token {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokens[key]
}

func (m *memStore) set(key string, t Token) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[key] = t
}

// fakeOAuth is a token endpoint answering refresh grants with at-N/rt-N.
// When strict, only the latest refresh token is accepted (rotation).
type fakeOAuth struct {
	t     *testing.T
	url   string
	calls atomic.Int32

	mu     sync.Mutex
	n      int
	valid  string
	strict bool
	// hook, when set, runs first with the refresh token received; it
	// returns true when it has answered.
	hook func(w http.ResponseWriter, r *http.Request, refreshToken string) bool
}

func newFakeOAuth(t *testing.T, strict bool, validRefresh string) *fakeOAuth {
	f := &fakeOAuth{t: t, strict: strict, valid: validRefresh}
	srv := newTokenServer(t, f.serve)
	f.url = srv.URL
	return f
}

func (f *fakeOAuth) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		f.t.Errorf("fake OAuth: unexpected request %v %v", r.PostForm, err)
		writeJSON(w, 400, `{"error":"unsupported_grant_type"}`)
		return
	}
	rt := r.PostForm.Get("refresh_token")
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r, rt) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.strict && rt != f.valid {
		writeJSON(w, 400, `{"error":"invalid_grant"}`)
		return
	}
	f.n++
	f.valid = fmt.Sprintf("rt-%d", f.n)
	writeJSON(w, 200, fmt.Sprintf(`{"access_token":"at-%d","refresh_token":"rt-%d","expires_in":3600}`, f.n, f.n))
}

func (f *fakeOAuth) setHook(h func(w http.ResponseWriter, r *http.Request, refreshToken string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

const userKey = "42-pipedrive"

var (
	expiredToken = Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(-time.Minute)}
	// refreshedToken is what fakeOAuth's first refresh gives.
	refreshedToken = Token{AccessToken: "at-1", RefreshToken: "rt-1", Expiry: testNow.Add(time.Hour)}
)

func newTestRefresher(f *fakeOAuth, ts TokenStore, opts ...RefresherOption) *Refresher {
	return NewRefresher(testProvider(f.url), ts, append([]RefresherOption{WithClock(fixedClock(testNow))}, opts...)...)
}

func TestRefresherToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		stored    Token
		opts      []RefresherOption
		wantCalls int32
		want      Token
	}{
		{"fresh token, no call", Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(time.Hour)}, nil, 0,
			Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(time.Hour)}},
		{"unknown expiry, no call", Token{AccessToken: "at-0", RefreshToken: "rt-0"}, nil, 0,
			Token{AccessToken: "at-0", RefreshToken: "rt-0"}},
		{"expired", expiredToken, nil, 1, refreshedToken},
		{"expires within 2 minutes", Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(119 * time.Second)}, nil, 1, refreshedToken},
		{"expires in 3 minutes", Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(3 * time.Minute)}, nil, 0,
			Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(3 * time.Minute)}},
		{"expires in 3 minutes, 5 ahead", Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(3 * time.Minute)},
			[]RefresherOption{WithRefreshAhead(5 * time.Minute)}, 1, refreshedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOAuth(t, true, "rt-0")
			ts := newMemStore(userKey, tt.stored)
			got, err := newTestRefresher(f, ts, tt.opts...).Token(context.Background(), userKey)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("token (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, ts.get(userKey)); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			if n := f.calls.Load(); n != tt.wantCalls {
				t.Errorf("provider called %d times, want %d", n, tt.wantCalls)
			}
		})
	}
}

// 100 goroutines find the token expired; exactly one refresh happens and
// all of them get its result.
func TestRefresherSingleFlight(t *testing.T) {
	t.Parallel()
	const n = 100
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, expiredToken)

	// The provider answers only once every goroutine has read the expired
	// token (n reads, plus the one under the lock), so all of them
	// overlap with the refresh.
	var loads atomic.Int32
	allLoaded := make(chan struct{})
	var once sync.Once
	ts.onLoad = func() {
		if loads.Add(1) >= n+1 {
			once.Do(func() { close(allLoaded) })
		}
	}
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ string) bool {
		select {
		case <-allLoaded:
		case <-r.Context().Done():
		}
		return false
	})

	r := newTestRefresher(f, ts)
	start := make(chan struct{})
	results := make([]Token, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = r.Token(context.Background(), userKey)
		})
	}
	close(start)
	wg.Wait()

	if got := f.calls.Load(); got != 1 {
		t.Errorf("provider refreshed %d times, want 1", got)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if diff := cmp.Diff(refreshedToken, results[i]); diff != "" {
			t.Fatalf("goroutine %d token (-want +got):\n%s", i, diff)
		}
	}
	if ts.saves != 1 {
		t.Errorf("%d saves, want 1", ts.saves)
	}
}

// Nobody gets a token that was not saved, and the next call tries again.
func TestRefresherSaveFails(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, false, "")
	ts := newMemStore(userKey, expiredToken)
	ts.failSaves = 1
	r := newTestRefresher(f, ts)

	tok, err := r.Token(context.Background(), userKey)
	if !errors.Is(err, errStoreDown) {
		t.Fatalf("Token = %v, %v; want errStoreDown", tok, err)
	}
	if diff := cmp.Diff(Token{}, tok); diff != "" {
		t.Errorf("token returned with the error (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(expiredToken, ts.get(userKey)); diff != "" {
		t.Errorf("store changed (-want +got):\n%s", diff)
	}

	tok, err = r.Token(context.Background(), userKey)
	if err != nil {
		t.Fatal(err)
	}
	want := Token{AccessToken: "at-2", RefreshToken: "rt-2", Expiry: testNow.Add(time.Hour)}
	if diff := cmp.Diff(want, tok); diff != "" {
		t.Errorf("second call (-want +got):\n%s", diff)
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("provider called %d times, want 2", got)
	}
}

// invalid_grant because another replica rotated the refresh token behind
// our back: the stored token is used.
func TestRefresherInvalidGrantAfterOtherReplica(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, expiredToken)
	other := Token{AccessToken: "at-other", RefreshToken: "rt-other", Expiry: testNow.Add(time.Hour)}
	f.setHook(func(w http.ResponseWriter, r *http.Request, rt string) bool {
		ts.set(userKey, other) // the other replica, ignoring our lock, wins
		writeJSON(w, 400, `{"error":"invalid_grant"}`)
		return true
	})
	got, err := newTestRefresher(f, ts).Token(context.Background(), userKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(other, got); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
}

func TestRefresherRevoked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		stored    Token
		wantGrant bool
		wantCalls int32
	}{
		{"invalid_grant, store unchanged", expiredToken, true, 1},
		{"no refresh token", Token{AccessToken: "at-0", Expiry: testNow.Add(-time.Minute)}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOAuth(t, true, "rt-somebody-else")
			ts := newMemStore(userKey, tt.stored)
			tok, err := newTestRefresher(f, ts).Token(context.Background(), userKey)
			if !errors.Is(err, ErrRevoked) {
				t.Fatalf("Token = %v, %v; want ErrRevoked", tok, err)
			}
			if got := errors.Is(err, ErrInvalidGrant); got != tt.wantGrant {
				t.Errorf("errors.Is(err, ErrInvalidGrant) = %v, want %v", got, tt.wantGrant)
			}
			if n := f.calls.Load(); n != tt.wantCalls {
				t.Errorf("provider called %d times, want %d", n, tt.wantCalls)
			}
			if diff := cmp.Diff(tt.stored, ts.get(userKey)); diff != "" {
				t.Errorf("store changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefresherTransientErrorIsNotRevoked(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ string) bool {
		w.WriteHeader(500)
		return true
	})
	_, err := newTestRefresher(f, newMemStore(userKey, expiredToken)).Token(context.Background(), userKey)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 500 || errors.Is(err, ErrRevoked) || errors.Is(err, ErrInvalidGrant) {
		t.Errorf("err = %v; want a StatusError 500, neither revoked nor invalid_grant", err)
	}
}

// Another replica refreshed while we waited for the lock: no second call.
func TestRefresherRereadsUnderLock(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, expiredToken)
	other := Token{AccessToken: "at-other", RefreshToken: "rt-other", Expiry: testNow.Add(time.Hour)}
	ts.onLocked = func(key string) { ts.set(key, other) }
	got, err := newTestRefresher(f, ts).Token(context.Background(), userKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(other, got); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("provider called %d times, want 0", n)
	}
}

func TestRefresherLockFails(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, expiredToken)
	ts.lockErr = errStoreDown
	if _, err := newTestRefresher(f, ts).Token(context.Background(), userKey); !errors.Is(err, errStoreDown) {
		t.Errorf("err = %v, want errStoreDown", err)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("provider called %d times without the lock", n)
	}
}

func TestRefresherUnknownUser(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	r := newTestRefresher(f, newMemStore(userKey, expiredToken))
	if _, err := r.Token(context.Background(), "nobody"); err == nil {
		t.Error("Token of an unknown user succeeded")
	}
	if _, err := r.Renew(context.Background(), "nobody", "x"); err == nil {
		t.Error("Renew of an unknown user succeeded")
	}
}

// A caller giving up does not abort the refresh: the rotated refresh token
// is saved and the next caller gets it without a second refresh.
func TestRefresherCallerCancelKeepsRotation(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, expiredToken)
	entered, release := make(chan struct{}), make(chan struct{})
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ string) bool {
		close(entered)
		<-release
		return false
	})
	r := newTestRefresher(f, ts)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := r.Token(ctx, userKey)
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: err = %v, want context.Canceled", err)
	}
	f.setHook(nil)
	close(release)

	got, err := r.Token(context.Background(), userKey)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(refreshedToken, got); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1", n)
	}
}

func TestRefresherRenew(t *testing.T) {
	t.Parallel()
	fresh := Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(time.Hour)}
	tests := []struct {
		name      string
		rejected  string
		wantCalls int32
		want      Token
	}{
		{"stored token is the rejected one", "at-0", 1, refreshedToken},
		{"stored token already replaced", "at-older", 0, fresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOAuth(t, true, "rt-0")
			ts := newMemStore(userKey, fresh)
			got, err := newTestRefresher(f, ts).Renew(context.Background(), userKey, tt.rejected)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("token (-want +got):\n%s", diff)
			}
			if n := f.calls.Load(); n != tt.wantCalls {
				t.Errorf("provider called %d times, want %d", n, tt.wantCalls)
			}
		})
	}
}

// Many requests refused with the same token renew it once.
func TestRefresherRenewOnce(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(time.Hour)})
	r := newTestRefresher(f, ts)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = r.Renew(context.Background(), userKey, "at-0") })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1", n)
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	n    atomic.Int32
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestRefresherWithHTTPClient(t *testing.T) {
	f := newFakeOAuth(t, true, "rt-0")
	ct := &countingTransport{base: http.DefaultTransport}
	r := newTestRefresher(f, newMemStore(userKey, expiredToken), WithHTTPClient(&http.Client{Transport: ct}))
	if _, err := r.Token(context.Background(), userKey); err != nil {
		t.Fatal(err)
	}
	if n := ct.n.Load(); n != 1 {
		t.Errorf("the given client carried %d requests, want 1", n)
	}
}

// A lock that is never released fails the refresh after the refresh
// timeout, even for a caller without a deadline.
func TestRefresherTimeout(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, expiredToken)
	unlock, err := ts.LockRefresh(context.Background(), userKey) // a stuck replica
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	r := newTestRefresher(f, ts, WithRefreshTimeout(20*time.Millisecond))
	if _, err := r.Token(context.Background(), userKey); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("provider called %d times without the lock", n)
	}
}

// panickyStore panics in its first SaveToken, with the lock held.
type panickyStore struct {
	*memStore
	panicked atomic.Bool
}

func (p *panickyStore) SaveToken(ctx context.Context, key string, t Token) error {
	if !p.panicked.Swap(true) {
		panic("disk on fire")
	}
	return p.memStore.SaveToken(ctx, key, t)
}

func TestRefresherStorePanicFailsTheRefresh(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, false, "")
	r := newTestRefresher(f, &panickyStore{memStore: newMemStore(userKey, expiredToken)})
	if _, err := r.Token(context.Background(), userKey); err == nil {
		t.Fatal("no error from a panicking store")
	}
	// The lock was released and the flight cleared: the next call runs.
	if _, err := r.Token(context.Background(), userKey); err != nil {
		t.Errorf("after the panic: %v", err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("provider called %d times, want 2", n)
	}
}

// The observer hears each call to the token endpoint once, with its
// outcome; a token that needs no refresh is not reported.
func TestRefresherObserver(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var heard []string
	observe := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			heard = append(heard, "ok")
		case errors.Is(err, ErrRevoked):
			heard = append(heard, "revoked")
		default:
			heard = append(heard, "failed")
		}
	}
	ctx := context.Background()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, expiredToken)
	r := newTestRefresher(f, ts, WithRefreshObserver(observe))
	if _, err := r.Token(ctx, userKey); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Token(ctx, userKey); err != nil { // fresh now: no call
		t.Fatal(err)
	}
	if _, err := newTestRefresher(newFakeOAuth(t, true, "rt-other"), newMemStore(userKey, expiredToken), WithRefreshObserver(observe)).Token(ctx, userKey); !errors.Is(err, ErrRevoked) {
		t.Fatalf("want ErrRevoked, got %v", err)
	}
	broken := newFakeOAuth(t, true, "rt-0")
	broken.setHook(func(w http.ResponseWriter, r *http.Request, _ string) bool { w.WriteHeader(500); return true })
	if _, err := newTestRefresher(broken, newMemStore(userKey, expiredToken), WithRefreshObserver(observe)).Token(ctx, userKey); err == nil {
		t.Fatal("want an error from a 500")
	}
	if diff := cmp.Diff([]string{"ok", "revoked", "failed"}, heard); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}
