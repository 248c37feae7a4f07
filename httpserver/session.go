package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/internal/vault"
	"github.com/crmbridge/crmbridge/store"
)

// refreshedTokenHeader carries a renewed session JWT (sliding renewal).
const refreshedTokenHeader = "X-Refreshed-JWT-Token"

// session is an authenticated request: the verified claims, the user row,
// the adapter, and the adapter-facing session with a credentialed client.
type session struct {
	claims   auth.Claims
	user     store.User
	platform *platform
	query    queryValues
	// settings are the user's effective settings as the settings cache
	// holds them: read, never written. Adapters get a copy (crmSession).
	settings adapter.Settings
	// settingsFP is settingsFingerprint(settings): the contact-match cache
	// reuses an answer only under the settings it was found with.
	settingsFP uint64
	// transport carries the user's CRM credentials; crmSession puts a
	// client over it.
	transport http.RoundTripper
	base      *http.Client
	crmOnce   sync.Once
	crm       adapter.Session
	// renew adds the renewed token to a 2xx answer; nil when the token is
	// not due for renewal.
	renew *renewWriter
}

// crmSession is the adapter-facing session of the request, made on first
// use: a lookup answered from the caches needs none, so it pays for
// neither the copy of the settings nor the client. Every call returns the
// same session (adapter calls of one request share it, as they did when it
// was made up front), from any goroutine.
func (sess *session) crmSession() adapter.Session {
	sess.crmOnce.Do(func() {
		sess.crm = adapter.Session{
			User:     adapterUser(sess.user),
			Client:   clientOver(sess.base, sess.transport),
			Settings: maps.Clone(sess.settings),
		}
	})
	return sess.crm
}

// noRenewal keeps the answer from carrying a renewed token (logout).
func (sess *session) noRenewal() {
	if sess.renew != nil {
		sess.renew.off = true
	}
}

// renewWriter adds X-Refreshed-JWT-Token when the handler answers 2xx: a
// refused or failed request never hands out a fresh token.
type renewWriter struct {
	http.ResponseWriter
	s      *Server
	claims auth.Claims
	ended  time.Time
	off    bool
	done   bool
}

func (w *renewWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		if !w.off && code >= 200 && code < 300 {
			if renewed, err := w.s.jwts.IssueAfter(w.claims.ID, w.claims.Platform, w.ended); err == nil {
				w.Header().Set(refreshedTokenHeader, renewed)
			}
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *renewWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *renewWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sessionHandler is a data route: it runs only with a valid session.
type sessionHandler func(w http.ResponseWriter, r *http.Request, sess *session)

// withSession authenticates a data route: the JWT from the Authorization
// header (preferred) or the jwtToken query parameter, the user from the
// store, and a client carrying the user's CRM credentials. The whole request
// runs under the adapter timeout.
func (s *Server) withSession(h sessionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query := clientQuery(r)
		token := bearerToken(r)
		if token == "" {
			token = query.Get("jwtToken")
		}
		ri := requestInfo(r.Context())
		claims, err := s.jwts.Verify(token)
		if err != nil {
			// The reason (expired, forged, ...) goes to the log only.
			ri.err = err
			writeText(w, http.StatusBadRequest, textAuthorize)
			return
		}
		p := s.platforms[claims.Platform]
		if p == nil {
			ri.err = fmt.Errorf("session for unknown platform %q", claims.Platform)
			writeText(w, http.StatusBadRequest, textAuthorize)
			return
		}
		ri.platform = claims.Platform

		// The timer starts only if something waits on it: a lookup
		// answered from the caches calls neither the store nor the
		// adapter (lazyDeadline).
		timed := &ri.timed
		timed.init(r.Context(), time.Now().Add(s.opts.adapterTimeout))
		defer timed.release()
		var ctx context.Context = timed

		user, err := s.loadUser(ctx, claims.ID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = fmt.Errorf("%w: no user row", errSessionGone)
			} else {
				err = storeErr(err)
			}
			s.fail(w, r, operation{name: "loading user", record: "User"}, p.adapter.Platform(), err)
			return
		}
		if user.Platform != claims.Platform {
			err := fmt.Errorf("%w: user row is of platform %q, session of %q", errSessionGone, user.Platform, claims.Platform)
			s.fail(w, r, operation{name: "loading user", record: "User"}, p.adapter.Platform(), err)
			return
		}
		if claims.EndedBy(user.SessionsValidFrom) {
			// Logged out since this token was issued (PROTOCOL.md §4).
			err := fmt.Errorf("%w: token issued before the user's logout", errSessionGone)
			s.fail(w, r, operation{name: "loading user", record: "User"}, p.adapter.Platform(), err)
			return
		}
		transport, err := s.userTransport(ctx, p, user)
		if err != nil {
			s.fail(w, r, operation{name: "loading credentials", record: "User"}, p.adapter.Platform(), err)
			return
		}
		// Renewal only now that the user and its credentials checked out,
		// and only on a 2xx answer (PROTOCOL.md §4).
		var renew *renewWriter
		if s.jwts.ShouldRenew(claims) {
			renew = &renewWriter{ResponseWriter: w, s: s, claims: claims, ended: user.SessionsValidFrom}
			w = renew
		}
		if p.refresher != nil {
			// The refresher's first LoadToken of this request reuses the
			// row we just read instead of reading it again.
			ctx = context.WithValue(ctx, preloadKey{}, &preloaded{user: user})
		}
		settings, settingsFP, err := s.effectiveSettings(ctx, p, user.Key, accountKey(r, query))
		if err != nil {
			s.fail(w, r, operation{name: "loading settings", record: "User"}, p.adapter.Platform(), err)
			return
		}
		r = r.WithContext(ctx)
		h(w, r, &session{
			claims:     claims,
			user:       user,
			platform:   p,
			query:      query,
			settings:   settings,
			settingsFP: settingsFP,
			transport:  transport,
			base:       s.opts.httpClient,
			renew:      renew,
		})
	})
}

// loadUser reads a user, from the short-lived cache when it can.
func (s *Server) loadUser(ctx context.Context, key string) (store.User, error) {
	if u, ok := s.users.lookup(key); ok {
		return u, nil
	}
	gen := s.users.generation()
	u, err := s.store.GetUser(ctx, key)
	if err == nil {
		s.users.keepIfUnchanged(u, gen)
	}
	return u, err
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func adapterUser(u store.User) adapter.User {
	return adapter.User{
		ID:       u.CRMUserID,
		Platform: u.Platform,
		Hostname: u.Hostname,
		Timezone: u.Timezone,
		Extra:    u.Extra,
	}
}

// userClient builds the *http.Client an adapter uses for this user: the
// base client's transport wrapped with the user's credentials.
func (s *Server) userClient(ctx context.Context, p *platform, u store.User) (*http.Client, error) {
	rt, err := s.userTransport(ctx, p, u)
	if err != nil {
		return nil, err
	}
	return s.clientOver(rt), nil
}

// userTransport is the transport of userClient: the base client's
// transport wrapped with the user's credentials.
func (s *Server) userTransport(ctx context.Context, p *platform, u store.User) (http.RoundTripper, error) {
	switch p.auth.Type {
	case adapter.AuthAPIKey:
		if len(u.APIKey) > 0 {
			if rt, ok := s.credentials.lookup(p, u); ok {
				return rt, nil
			}
		}
		gen := s.credentials.generation()
		key, err := s.vault.OpenAPIKey(u)
		if err != nil {
			if !errors.Is(err, vault.ErrNotStored) {
				s.log.LogAttrs(ctx, slog.LevelError, "cannot open stored API key; is TOKEN_ENCRYPTION_KEY the one it was sealed with?",
					slog.String("request_id", requestInfo(ctx).id), slog.String("error", err.Error()))
			}
			return nil, fmt.Errorf("%w: %w", errSessionGone, err)
		}
		rt := credential.NewTransport(s.crmTransport, credential.APIKey(key, p.auth.APIKeyScheme))
		s.credentials.keep(p, u, len(key), rt, gen)
		return rt, nil
	default:
		if len(u.AccessToken) == 0 && len(u.RefreshToken) == 0 {
			return nil, fmt.Errorf("%w: no OAuth tokens stored", errSessionGone)
		}
		return credential.NewTransport(s.crmTransport, p.refresher.Credentials(u.Key)), nil
	}
}

// clientWith layers credentials over the configured base client.
func (s *Server) clientWith(creds credential.Credentials) *http.Client {
	return s.clientOver(credential.NewTransport(s.crmTransport, creds))
}

// clientOver is a client of its own (an adapter may change its fields) over
// a credentialed transport, with the configured base client's settings.
func (s *Server) clientOver(rt http.RoundTripper) *http.Client {
	return clientOver(s.opts.httpClient, rt)
}

func clientOver(base *http.Client, rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport:     rt,
		CheckRedirect: base.CheckRedirect,
		Timeout:       base.Timeout,
	}
}

// preloaded hands the user row read by withSession to the first LoadToken
// of the same request. Later loads (the re-read after taking the refresh
// lock) must see the database, so it is used at most once.
type preloaded struct {
	user store.User
	used atomic.Bool
}

type preloadKey struct{}

// tokenStore implements credential.TokenStore over the store, sealing tokens.
type tokenStore struct{ s *Server }

func (t *tokenStore) LoadToken(ctx context.Context, key string) (credential.Token, error) {
	var (
		u   store.User
		err error
	)
	if p, ok := ctx.Value(preloadKey{}).(*preloaded); ok && p.user.Key == key && p.used.CompareAndSwap(false, true) {
		u = p.user
	} else if u, err = t.s.store.GetUser(ctx, key); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return credential.Token{}, fmt.Errorf("%w: no user row", errSessionGone)
		}
		return credential.Token{}, storeErr(err)
	}
	return t.s.openToken(u)
}

// openToken unseals the OAuth token of a user row; a user whose token is
// missing or does not open must log in again.
func (s *Server) openToken(u store.User) (credential.Token, error) {
	tok, err := s.vault.OpenToken(u)
	if err != nil {
		return credential.Token{}, fmt.Errorf("%w: %w", errSessionGone, err)
	}
	return tok, nil
}

func (t *tokenStore) SaveToken(ctx context.Context, key string, tok credential.Token) error {
	toks, err := t.s.vault.Seal(key, vault.Secrets{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken})
	if err != nil {
		return err
	}
	toks.TokenExpiry = tok.Expiry
	defer t.s.users.forget(key)
	return storeErr(t.s.store.UpdateTokens(ctx, key, toks))
}

func (t *tokenStore) LockRefresh(ctx context.Context, key string) (func(), error) {
	unlock, err := t.s.store.Lock(ctx, "refresh:"+key)
	if err != nil && ctx.Err() == nil {
		err = storeErr(err)
	}
	return unlock, err
}
