package credential

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/auth"
)

// TokenStore is where a Refresher keeps each user's OAuth token. The server
// implements it over its database, sealing the tokens with a SealingKeyRing.
type TokenStore interface {
	// LoadToken returns the current stored token of the user key.
	LoadToken(ctx context.Context, key string) (Token, error)
	// SaveToken persists a (possibly rotated) token. It must have
	// succeeded, durably, before anyone uses t: with refresh-token
	// rotation the old refresh token is already dead.
	SaveToken(ctx context.Context, key string, t Token) error
	// LockRefresh takes an exclusive per-user lock shared by every process
	// using the same store, waiting until ctx is done. unlock releases it
	// and is called exactly once.
	LockRefresh(ctx context.Context, key string) (unlock func(), err error)
}

type refresherOptions struct {
	hc      *http.Client
	ahead   time.Duration
	timeout time.Duration
	now     func() time.Time
	observe func(error)
}

// RefresherOption configures NewRefresher.
type RefresherOption func(*refresherOptions)

// WithHTTPClient sets the client for the token endpoint. The default is a
// client with a 30-second timeout.
func WithHTTPClient(hc *http.Client) RefresherOption {
	return func(o *refresherOptions) {
		if hc != nil {
			o.hc = hc
		}
	}
}

// WithRefreshAhead sets how long before expiry a token is refreshed. The
// default is 2 minutes.
func WithRefreshAhead(d time.Duration) RefresherOption {
	return func(o *refresherOptions) { o.ahead = max(d, 0) }
}

// WithRefreshTimeout bounds one refresh: waiting for the lock, calling the
// provider and saving. The default is 1 minute. A refresh is not cancelled
// by its callers' contexts (see Refresher), so this is what stops it.
func WithRefreshTimeout(d time.Duration) RefresherOption {
	return func(o *refresherOptions) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithRefreshObserver calls observe once for every refresh the Refresher
// sends to the provider's token endpoint: with nil when the user ends up
// with a fresh token (saved, or found rotated by another process), or with
// the error (matching ErrRevoked when the
// provider answered invalid_grant and the store holds no newer token).
// Refreshes avoided because another process had already refreshed are not
// reported. It is for metrics; it must be fast and safe for concurrent use.
func WithRefreshObserver(observe func(err error)) RefresherOption {
	return func(o *refresherOptions) { o.observe = observe }
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) RefresherOption {
	return func(o *refresherOptions) {
		if now != nil {
			o.now = now
		}
	}
}

// Refresher hands out valid access tokens of users and refreshes each
// user's token at most once at a time: concurrent callers in this process
// share one refresh, and TokenStore.LockRefresh serialises processes, each
// of which re-reads the store under the lock, so a token another replica
// just refreshed is used rather than refreshed again.
//
// A refresh, once started, runs to the end even if the callers that wanted
// it give up: stopping between the provider's answer and SaveToken would
// lose a rotated refresh token and with it the user's session. Callers
// still return as soon as their own context is done.
//
// A Refresher is safe for concurrent use.
type Refresher struct {
	p    auth.Provider
	ts   TokenStore
	opts refresherOptions

	mu      sync.Mutex
	flights map[string]*flight
}

// flight is one refresh of one user key, shared by whoever asks meanwhile.
// Callers ask for different reasons (Token: the token expires soon; Renew:
// the CRM refused this access token), so the flight refreshes when the
// stored token, read under the lock, fails any of its callers' needs.
type flight struct {
	done chan struct{}
	tok  Token
	err  error

	// needs, guarded by Refresher.mu, are the callers' reasons; once
	// decided is set the flight no longer looks at them.
	needs   []func(Token) bool
	decided bool
}

// NewRefresher returns a Refresher for users of provider p whose tokens live
// in ts.
func NewRefresher(p auth.Provider, ts TokenStore, opts ...RefresherOption) *Refresher {
	o := refresherOptions{
		hc:      defaultHTTPClient,
		ahead:   2 * time.Minute,
		timeout: time.Minute,
		now:     time.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return &Refresher{p: p, ts: ts, opts: o, flights: make(map[string]*flight)}
}

// Token returns the user's access token, refreshed first when it expires
// within the refresh-ahead window. A token with a zero Expiry is never
// refreshed here, only by Renew after the CRM refuses it.
//
// When the provider answers invalid_grant, Token re-reads the store: if the
// refresh token changed meanwhile (another process refreshed) the stored
// token is returned; otherwise the error matches ErrRevoked and
// ErrInvalidGrant. A stored token without refresh token that needs a
// refresh also gives ErrRevoked.
func (r *Refresher) Token(ctx context.Context, key string) (Token, error) {
	t, err := r.ts.LoadToken(ctx, key)
	if err != nil {
		return Token{}, fmt.Errorf("credential: load token: %w", err)
	}
	if !r.expiresSoon(t) {
		return t, nil
	}
	return r.share(ctx, key, r.expiresSoon)
}

// Renew is for after the CRM refused rejectedAccessToken (HTTP 401): it
// refreshes unless the stored access token already differs from the
// rejected one, in which case that stored token is returned. The same
// once-only and invalid_grant rules as Token apply.
func (r *Refresher) Renew(ctx context.Context, key, rejectedAccessToken string) (Token, error) {
	t, err := r.ts.LoadToken(ctx, key)
	if err != nil {
		return Token{}, fmt.Errorf("credential: load token: %w", err)
	}
	stale := func(t Token) bool { return t.AccessToken == rejectedAccessToken }
	if !stale(t) {
		return t, nil
	}
	return r.share(ctx, key, stale)
}

func (r *Refresher) expiresSoon(t Token) bool {
	return !t.Expiry.IsZero() && !t.Expiry.After(r.opts.now().Add(r.opts.ahead))
}

// share joins the refresh of key in progress in this process or starts one,
// then waits for it or for ctx. A caller that joins a flight which has
// already decided, and whose result fails the caller's need, waits for the
// flight to end and then starts or joins a new one, once.
func (r *Refresher) share(ctx context.Context, key string, needs func(Token) bool) (Token, error) {
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		f, ok := r.flights[key]
		if !ok {
			f = &flight{done: make(chan struct{})}
			r.flights[key] = f
			go r.fly(context.WithoutCancel(ctx), key, f)
		}
		heard := !f.decided
		if heard {
			f.needs = append(f.needs, needs)
		}
		r.mu.Unlock()

		select {
		case <-f.done:
		case <-ctx.Done():
			return Token{}, fmt.Errorf("credential: waiting for token refresh: %w", ctx.Err())
		}
		if f.err != nil || heard || attempt > 0 || !needs(f.tok) {
			return f.tok, f.err
		}
	}
}

// fly runs one refresh and publishes its result. It removes the flight
// before publishing, so a caller arriving later starts afresh and, under
// the lock, finds the saved token.
func (r *Refresher) fly(ctx context.Context, key string, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.timeout)
	defer cancel()
	defer func() {
		// This goroutine is ours, not a request's: a panicking TokenStore
		// must fail this refresh, not the whole server, and must not leave
		// the waiters hanging.
		if p := recover(); p != nil {
			f.tok, f.err = Token{}, fmt.Errorf("credential: token refresh panicked: %v", p)
		}
		r.mu.Lock()
		f.decided = true
		delete(r.flights, key)
		r.mu.Unlock()
		close(f.done)
	}()
	f.tok, f.err = r.refreshLocked(ctx, key, f)
}

// needed reports whether t fails the need of any caller of f, and closes f
// to further callers' needs.
func (r *Refresher) needed(f *flight, t Token) bool {
	r.mu.Lock()
	f.decided = true
	needs := f.needs
	r.mu.Unlock()
	for _, n := range needs {
		if n(t) {
			return true
		}
	}
	return false
}

func (r *Refresher) refreshLocked(ctx context.Context, key string, f *flight) (_ Token, observed error) {
	unlock, err := r.ts.LockRefresh(ctx, key)
	if err != nil {
		return Token{}, fmt.Errorf("credential: lock token refresh: %w", err)
	}
	defer unlock()

	cur, err := r.ts.LoadToken(ctx, key)
	if err != nil {
		return Token{}, fmt.Errorf("credential: load token: %w", err)
	}
	if !r.needed(f, cur) {
		return cur, nil // refreshed by another process meanwhile
	}
	if cur.RefreshToken == "" {
		return Token{}, fmt.Errorf("%w: no refresh token stored", ErrRevoked)
	}
	next, err := refresh(ctx, r.p, r.opts.hc, cur.RefreshToken, r.opts.now)
	if r.opts.observe != nil {
		defer func() { r.opts.observe(observed) }()
	}
	if errors.Is(err, ErrInvalidGrant) {
		// Someone not honouring our lock, or holding it past its expiry,
		// may have rotated the refresh token under us: what we sent was
		// the old one, and the stored token is good.
		again, loadErr := r.ts.LoadToken(ctx, key)
		if loadErr == nil && again.RefreshToken != cur.RefreshToken && again.AccessToken != "" {
			return again, nil
		}
		return Token{}, fmt.Errorf("%w: %w", ErrRevoked, err)
	}
	if err != nil {
		return Token{}, err
	}
	if err := r.ts.SaveToken(ctx, key, next); err != nil {
		return Token{}, fmt.Errorf("credential: save refreshed token: %w", err)
	}
	return next, nil
}
