package fakepipedrive

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
)

// handleAuthorize approves the request at once on behalf of the company's
// first user (lowest id) and redirects back with a code, as a user clicking
// "Allow and install" would.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.clientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if s.redirectURL != "" && redirect != s.redirectURL {
		http.Error(w, "redirect_uri does not match", http.StatusBadRequest)
		return
	}
	target, err := url.Parse(redirect)
	if err != nil || !target.IsAbs() {
		http.Error(w, "invalid redirect_uri", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	ids := make([]int, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	if len(ids) == 0 {
		http.Error(w, "the fake has no user to log in", http.StatusConflict)
		return
	}
	code := s.Authorize(slices.Min(ids))
	tq := target.Query()
	tq.Set("code", code)
	if st := q.Get("state"); st != "" {
		tq.Set("state", st)
	}
	target.RawQuery = tq.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// clientAuthenticated checks HTTP Basic client credentials, which RFC 6749
// §2.3.1 has the client form-encode before Basic encoding.
func (s *Server) clientAuthenticated(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return false
	}
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	return err1 == nil && err2 == nil &&
		subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) == 1
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]any{"error": code, "error_description": description})
}

// handleToken exchanges codes and refresh tokens. Client credentials must
// come by HTTP Basic authentication, as Pipedrive requires.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.stats.tokenRequests.Add(1)
	if !s.clientAuthenticated(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var g *grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		userID, ok := s.codes[code]
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used authorization code")
			return
		}
		delete(s.codes, code) // single use, even when the rest fails
		if s.redirectURL != "" && r.PostForm.Get("redirect_uri") != s.redirectURL {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match")
			return
		}
		g = &grant{userID: userID}
		s.stats.codeExchanges.Add(1)
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		old, ok := s.refresh[rt]
		if !ok || old.revoked {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid refresh token")
			return
		}
		delete(s.refresh, rt) // rotation: the used refresh token is dead
		g = old
		s.stats.refreshes.Add(1)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	}
	access, refresh := s.issueLocked(g)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  access,
		"token_type":    "Bearer",
		"expires_in":    int(s.tokenLifetime.Seconds()),
		"refresh_token": refresh,
		"scope":         "base,deals:full,activities:full,contacts:full",
		"api_domain":    s.srv.URL,
	})
}

// RevokeGrants ends every grant of the user, as the user uninstalling the
// app in Pipedrive would: its refresh tokens answer invalid_grant and its
// access tokens 401 from then on. It returns how many grants it ended. It
// does not count in Stats.Revocations, which counts revoke requests.
func (s *Server) RevokeGrants(userID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ended := map[*grant]bool{}
	end := func(g *grant) {
		if g.userID == userID && !g.revoked {
			g.revoked = true
			ended[g] = true
		}
	}
	for rt, g := range s.refresh {
		end(g)
		if g.userID == userID {
			delete(s.refresh, rt)
		}
	}
	for _, at := range s.access {
		end(at.grant)
	}
	return len(ended)
}

// handleRevoke implements RFC 7009 for refresh and access tokens: revoking
// either ends the whole grant. The client authenticates by HTTP Basic; the
// token comes in the "token" form field (token_type_hint is not needed).
// Unknown tokens answer 200 as the RFC says.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if !s.clientAuthenticated(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "token is required")
		return
	}
	tok := r.PostForm.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	var g *grant
	if rg, ok := s.refresh[tok]; ok {
		g = rg
	} else if at, ok := s.access[tok]; ok {
		g = at.grant
	}
	if g != nil {
		g.revoked = true
		for rt, rg := range s.refresh {
			if rg == g {
				delete(s.refresh, rt)
			}
		}
		s.stats.revocations.Add(1)
	}
	w.WriteHeader(http.StatusOK)
}
