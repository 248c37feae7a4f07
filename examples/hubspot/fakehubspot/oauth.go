package fakehubspot

import (
	"crypto/subtle"
	"net/http"
	"net/url"
)

// handleAuthorize installs the app at once for the account's first owner
// and redirects back with a code, as a user approving the install would.
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
	if len(s.owners) == 0 {
		s.mu.Unlock()
		http.Error(w, "the fake has no user to log in", http.StatusConflict)
		return
	}
	userID := s.owners[0].UserID
	s.mu.Unlock()
	tq := target.Query()
	tq.Set("code", s.Authorize(userID))
	if st := q.Get("state"); st != "" {
		tq.Set("state", st)
	}
	target.RawQuery = tq.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]any{"error": code, "error_description": description, "status": "error", "message": description})
}

// clientInBody checks the client credentials of a form: HubSpot's
// date-versioned OAuth endpoints take them only in the body, so HTTP Basic
// credentials are refused.
func (s *Server) clientInBody(w http.ResponseWriter, r *http.Request) bool {
	if _, _, basic := r.BasicAuth(); basic {
		oauthError(w, http.StatusBadRequest, "invalid_request", "client credentials must be sent in the request body")
		return false
	}
	if r.URL.RawQuery != "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "parameters must be sent in the request body, not the query")
		return false
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return false
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.clientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return false
	}
	return true
}

// handleToken exchanges codes and refresh tokens (rotated on use).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.stats.tokenRequests.Add(1)
	if !s.clientInBody(w, r) {
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
		delete(s.codes, code)
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
		delete(s.refresh, rt)
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
		"refresh_token": refresh,
		"token_type":    "bearer",
		"expires_in":    int(s.tokenLifetime.Seconds()),
		"hub_id":        HubID,
		"user_id":       g.userID,
		"scopes":        []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.owners.read"},
	})
}

// handleRevoke revokes a refresh token: it can no longer be exchanged, and
// the access tokens of its grant stop working too. Unknown tokens answer
// 200, as RFC 7009 asks.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if !s.clientInBody(w, r) {
		return
	}
	token := r.PostForm.Get("token")
	s.mu.Lock()
	if g, ok := s.refresh[token]; ok && !g.revoked {
		g.revoked = true
		delete(s.refresh, token)
		s.stats.revocations.Add(1)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// Revoked reports whether the user has no working grant left.
func (s *Server) Revoked(userID int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.refresh {
		if g.userID == userID && !g.revoked {
			return false
		}
	}
	return true
}
