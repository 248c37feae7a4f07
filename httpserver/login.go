package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/internal/vault"
	"github.com/crmbridge/crmbridge/store"
)

// loginResponse answers a successful login.
type loginResponse struct {
	JWTToken      string         `json:"jwtToken"`
	Name          string         `json:"name"`
	ReturnMessage *returnMessage `json:"returnMessage"`
}

// loginFailed answers a refused login: HTTP 400 with a returnMessage the
// client can show (it shows a fixed text on any non-2xx anyway).
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, crm string, err error) {
	ri := requestInfo(r.Context())
	ri.err = err
	if storeDown(r, err) {
		s.fail(w, r, operation{name: "saving user", record: "User"}, crm, err)
		return
	}
	text := "Could not connect to " + crm + ". Please check your credentials and try again."
	var ue *adapter.UserError
	if errors.As(err, &ue) && ue.Message != "" {
		text = ue.Message
	}
	writeJSON(w, http.StatusBadRequest, failure(msgWarning(text)))
}

// platformFromState reads "platform=P" from a state value, which the client
// sends unencoded ("state=platform=P" or "platform=P&...").
func platformFromState(state string) string {
	if state == "" {
		return ""
	}
	return readQuery(state).Get("platform")
}

// loginPlatform is platformNamed for a login route: it also refuses, with
// the client's 400, a platform whose adapter logs in another way than
// want (what names want in the answer).
func (s *Server) loginPlatform(w http.ResponseWriter, r *http.Request, name string, want adapter.AuthType, what string) *platform {
	p := s.platformNamed(w, r, name, "Missing platform name")
	if p != nil && p.auth.Type != want {
		writeText(w, http.StatusBadRequest, "Platform "+name+" does not use "+what)
		return nil
	}
	return p
}

// apiKeyLogin is POST /apiKeyLogin: validate the key by fetching the CRM
// user, store the sealed key, answer a session JWT.
func (s *Server) apiKeyLogin(w http.ResponseWriter, r *http.Request) {
	q := clientQuery(r)
	var req apiKeyLoginRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	name := req.Platform
	if name == "" {
		name = platformFromState(q.Get("state"))
	}
	p := s.loginPlatform(w, r, name, adapter.AuthAPIKey, "API keys")
	if p == nil {
		return
	}
	key := strings.TrimSpace(req.APIKey)
	if key == "" {
		writeText(w, http.StatusBadRequest, "Missing api key")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.adapterTimeout)
	defer cancel()
	client := s.clientWith(credential.APIKey(key, p.auth.APIKeyScheme))
	info, err := s.getUserInfo(ctx, p, adapter.UserInfoRequest{
		Client:   client,
		Hostname: req.Hostname,
		APIKey:   key,
		Form:     req.AdditionalInfo,
	})
	if err != nil {
		s.loginFailed(w, r, name, err)
		return
	}
	jwt, err := s.saveLogin(ctx, p, info, req.Hostname, credentials{apiKey: key})
	if err != nil {
		s.loginFailed(w, r, name, err)
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{JWTToken: jwt, Name: info.Name, ReturnMessage: loginMessage(info, name)})
}

// oauthCallback is GET /oauth-callback. The client does not encode
// callbackUri, so the CRM's code and state may arrive as top-level
// parameters next to it; both places are searched.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	q := clientQuery(r)
	cb := q.Get("callbackUri")
	if cb == "" {
		writeText(w, http.StatusBadRequest, "Missing callbackUri")
		return
	}
	// The callback URI's own query, read as leniently as the top level
	// (url.Parse would refuse a stray '%').
	_, cbRaw, _ := strings.Cut(cb, "?")
	cbRaw, _, _ = strings.Cut(cbRaw, "#")
	cbq := readQuery(cbRaw)
	name := platformFromState(q.Get("state"))
	if name == "" {
		name = platformFromState(cbq.Get("state"))
	}
	if name == "" {
		name = q.Get("platform")
	}
	p := s.loginPlatform(w, r, name, adapter.AuthOAuth, "OAuth")
	if p == nil {
		return
	}
	code := cbq.Get("code")
	if code == "" {
		code = q.Get("code")
	}
	if code == "" {
		denied := cbq.Get("error")
		if denied == "" {
			denied = q.Get("error")
		}
		msg := "Missing authorization code"
		if denied != "" {
			msg = "Authorization was not granted by " + name
		}
		writeJSON(w, http.StatusBadRequest, failure(msgWarning(msg)))
		return
	}
	hostname := q.Get("hostname")

	ctx, cancel := context.WithTimeout(r.Context(), s.opts.adapterTimeout)
	defer cancel()
	tok, err := credential.Exchange(ctx, *p.auth.OAuth, s.opts.httpClient, code)
	if err != nil {
		s.loginFailed(w, r, name, fmt.Errorf("exchanging authorization code: %w", err))
		return
	}
	client := s.clientWith(credential.APIKey(tok.AccessToken, auth.BearerScheme))
	info, err := s.getUserInfo(ctx, p, adapter.UserInfoRequest{Client: client, Hostname: hostname, TokenExtra: tok.Extra})
	if err != nil {
		s.loginFailed(w, r, name, err)
		return
	}
	jwt, err := s.saveLogin(ctx, p, info, hostname, credentials{access: tok.AccessToken, refresh: tok.RefreshToken, expiry: tok.Expiry})
	if err != nil {
		s.loginFailed(w, r, name, err)
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{JWTToken: jwt, Name: info.Name, ReturnMessage: loginMessage(info, name)})
}

func (s *Server) getUserInfo(ctx context.Context, p *platform, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	info, err := p.adapter.GetUserInfo(ctx, req)
	if err != nil {
		return adapter.UserInfo{}, fmt.Errorf("fetching CRM user: %w", err)
	}
	if info.ID == "" {
		return adapter.UserInfo{}, errors.New("adapter returned a CRM user without an id")
	}
	return info, nil
}

func loginMessage(info adapter.UserInfo, crm string) *returnMessage {
	if info.Message != "" {
		return msgSuccess(info.Message)
	}
	return msgSuccess("Connected to " + crm)
}

type credentials struct {
	access, refresh, apiKey string
	expiry                  time.Time
}

// saveLogin upserts the user with sealed credentials and issues its JWT.
func (s *Server) saveLogin(ctx context.Context, p *platform, info adapter.UserInfo, hostname string, c credentials) (string, error) {
	name := p.adapter.Platform()
	key := info.ID + "-" + name
	toks, err := s.vault.Seal(key, vault.Secrets{AccessToken: c.access, RefreshToken: c.refresh, APIKey: c.apiKey})
	if err != nil {
		return "", err
	}
	if info.Hostname != "" {
		hostname = info.Hostname
	}
	u := store.User{
		Key:            key,
		Platform:       name,
		CRMUserID:      info.ID,
		Hostname:       hostname,
		Timezone:       info.Timezone,
		TimezoneOffset: info.TimezoneOffset,
		AccessToken:    toks.AccessToken,
		RefreshToken:   toks.RefreshToken,
		APIKey:         toks.APIKey,
		TokenExpiry:    c.expiry,
		Extra:          info.Extra,
	}
	defer s.users.forget(key)
	defer s.credentials.forget(key)
	if err := s.store.UpsertUser(ctx, u); err != nil {
		return "", storeErr(err)
	}
	// The row keeps the time of the user's last logout; the new token
	// carries its generation, so the next logout ends it (auth.Claims.EndedBy).
	saved, err := s.store.GetUser(ctx, key)
	if err != nil {
		return "", storeErr(err)
	}
	return s.jwts.IssueAfter(key, name, saved.SessionsValidFrom)
}

// unAuthorize is POST /unAuthorize: the adapter revokes what it can; the
// stored credentials are erased whatever it answers. Log mappings stay, so
// logging again after reconnecting still finds earlier logs.
func (s *Server) unAuthorize(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	if u := sess.platform.unauthorizer; u != nil {
		if _, err := u.Unauthorize(ctx, adapter.UnauthorizeRequest{Session: sess.crmSession()}); err != nil && !unsupported(err) {
			requestInfo(ctx).err = err
		}
	}
	// A refresh in flight must not store a new token pair after the erase
	// (that would log the user back in): revoke and erase under the
	// refresh lock. Not around the adapter call, which may itself need a
	// refresh.
	unlock, err := s.store.Lock(ctx, "refresh:"+sess.user.Key)
	if err != nil {
		if ctx.Err() == nil {
			err = storeErr(err)
		}
		s.fail(w, r, opUnauthorize, sess.claims.Platform, err)
		return
	}
	defer unlock()
	if err := s.revokeOAuth(ctx, sess); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "revoking the CRM token failed; erasing it anyway",
			slog.String("request_id", requestInfo(ctx).id), slog.String("platform", sess.claims.Platform), slog.String("error", logSafe(err)))
	}
	defer s.users.forget(sess.user.Key)
	defer s.credentials.forget(sess.user.Key)
	// Every session of the user ends here, this one included, also on the
	// other replicas and after a new login (PROTOCOL.md §4).
	sess.noRenewal()
	if err := s.store.EndSessions(ctx, sess.user.Key, s.opts.now()); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, opUnauthorize, sess.claims.Platform, storeErr(err))
		return
	}
	s.matches.invalidate(sess.user.Key)
	if err := s.store.UpdateTokens(ctx, sess.user.Key, store.Tokens{}); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, opUnauthorize, sess.claims.Platform, storeErr(err))
		return
	}
	writeJSON(w, http.StatusOK, envelope{Successful: true, ReturnMessage: msgSuccess("Logged out of " + sess.claims.Platform)})
}

// revokeOAuth revokes the user's OAuth grant at the provider's revocation
// endpoint, when it has one: the refresh token (which ends the access
// tokens issued with it) or, lacking one, the access token.
func (s *Server) revokeOAuth(ctx context.Context, sess *session) error {
	p := sess.platform
	if p.auth.OAuth == nil || p.auth.OAuth.RevokeURL == "" {
		return nil
	}
	// Read the row itself, under the lock: the session's copy may be a
	// cached one from before a refresh.
	u, err := s.store.GetUser(ctx, sess.user.Key)
	if err != nil {
		return storeErr(err)
	}
	tok, err := s.openToken(u)
	if err != nil {
		return err
	}
	if tok.RefreshToken != "" {
		return credential.Revoke(ctx, *p.auth.OAuth, s.opts.httpClient, tok.RefreshToken, "refresh_token")
	}
	return credential.Revoke(ctx, *p.auth.OAuth, s.opts.httpClient, tok.AccessToken, "access_token")
}

// authValidation is GET /authValidation: refresh if needed, then ask the
// adapter, when it can tell, whether the credentials still work.
func (s *Server) authValidation(w http.ResponseWriter, r *http.Request, sess *session) {
	p := sess.platform
	if p.refresher != nil {
		if _, err := p.refresher.Token(r.Context(), sess.user.Key); err != nil {
			s.fail(w, r, opAuthValidation, sess.claims.Platform, err)
			return
		}
	}
	if p.validator != nil {
		if _, err := p.validator.ValidateAuth(r.Context(), adapter.ValidateAuthRequest{Session: sess.crmSession()}); err != nil && !unsupported(err) {
			s.fail(w, r, opAuthValidation, sess.claims.Platform, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, envelope{Successful: true, ReturnMessage: msgSuccess("Authorization is valid")})
}

// hostname is GET /hostname: the user's CRM host as plain text.
func (s *Server) hostname(w http.ResponseWriter, r *http.Request, sess *session) {
	writeText(w, http.StatusOK, sess.user.Hostname)
}
