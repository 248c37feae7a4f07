package httpserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// defaultRingCentralServer is where admin tokens are validated unless
// WithRingCentralServer says otherwise.
const defaultRingCentralServer = "https://platform.ringcentral.com"

// Admin validation (PROTOCOL.md §3).
const (
	// textAdminRefused is the 403 body: the client reads any non-2xx as
	// "not an admin".
	textAdminRefused = "Admin validation failed"
	// adminCacheTTL is the longest a validation result is reused.
	adminCacheTTL = 5 * time.Minute
	// maxRCTokenLen bounds the RingCentral token a request may carry.
	maxRCTokenLen = 8 << 10
	// maxRCAnswer bounds the RingCentral answer read, in bytes.
	maxRCAnswer = 1 << 20
	// maxExtensions bounds POST /admin/userMapping's rcExtensionList.
	maxExtensions = 5000
	// maxCRMUsers bounds the CRM users a mapping considers.
	maxCRMUsers = 10000
)

// errNotAdmin means RingCentral refused the token or said the caller is no
// admin: a definite answer, cached like a positive one.
var errNotAdmin = errors.New("not a RingCentral admin")

// rcIdentity is what RingCentral said about a token.
type rcIdentity struct {
	admin       bool
	accountID   string
	extensionID string
	until       time.Time
}

// adminCache keeps validation results by a hash of the token (never the
// token itself) for at most adminCacheTTL.
type adminCache struct{ boundedMap[rcIdentity] }

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// rcToken is the admin's RingCentral token: header X-RC-Access-Token, or
// query rcAccessToken (unencoded by the client: a "+" arrives as a space,
// and a token has no spaces).
func rcToken(r *http.Request) string {
	t := strings.TrimSpace(r.Header.Get("X-RC-Access-Token"))
	if t == "" {
		t = strings.ReplaceAll(strings.TrimSpace(clientQuery(r).Get("rcAccessToken")), " ", "+")
	}
	return t
}

// validateAdmin asks RingCentral who the token belongs to. A refused token
// or a non-admin is errNotAdmin (cached); RingCentral unreachable or
// answering nonsense is another error (not cached).
func (s *Server) validateAdmin(ctx context.Context, token string) (rcIdentity, error) {
	if token == "" || len(token) > maxRCTokenLen {
		return rcIdentity{}, fmt.Errorf("%w: no usable token", errNotAdmin)
	}
	key := tokenHash(token)
	now := s.opts.now()
	if id, ok := s.admins.get(key); ok && now.Before(id.until) {
		if !id.admin {
			return id, fmt.Errorf("%w (cached)", errNotAdmin)
		}
		return id, nil
	}
	id, err := s.askRingCentral(ctx, token)
	if err != nil && !errors.Is(err, errNotAdmin) {
		return rcIdentity{}, err
	}
	id.until = now.Add(adminCacheTTL)
	s.admins.put(key, id)
	return id, err
}

func (s *Server) askRingCentral(ctx context.Context, token string) (rcIdentity, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", s.opts.rcServer+"/restapi/v1.0/account/~/extension/~", nil)
	if err != nil {
		return rcIdentity{}, fmt.Errorf("asking RingCentral: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	res, err := s.opts.httpClient.Do(req)
	if err != nil {
		// The URL holds no secret; the token is in a header.
		return rcIdentity{}, fmt.Errorf("asking RingCentral: %w", err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return rcIdentity{}, fmt.Errorf("%w: RingCentral answered %d", errNotAdmin, res.StatusCode)
	case res.StatusCode != http.StatusOK:
		return rcIdentity{}, fmt.Errorf("asking RingCentral: status %d", res.StatusCode)
	}
	var ext struct {
		ID          json.Number              `json:"id"`
		Account     struct{ ID json.Number } `json:"account"`
		Permissions struct {
			Admin struct{ Enabled bool } `json:"admin"`
		} `json:"permissions"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxRCAnswer)).Decode(&ext); err != nil {
		return rcIdentity{}, fmt.Errorf("asking RingCentral: unreadable answer: %w", err)
	}
	if ext.Account.ID == "" {
		return rcIdentity{}, errors.New("asking RingCentral: no account id in the answer")
	}
	id := rcIdentity{admin: ext.Permissions.Admin.Enabled, accountID: ext.Account.ID.String(), extensionID: ext.ID.String()}
	if !id.admin {
		return id, fmt.Errorf("%w: admin permission not enabled", errNotAdmin)
	}
	return id, nil
}

// adminHandler is an admin route: a session, and RingCentral's word that
// the caller administers the account.
type adminHandler func(w http.ResponseWriter, r *http.Request, sess *session, rc rcIdentity)

// refuseAdmin answers 403 text/plain: never a 5xx the client would toast,
// also when RingCentral is down (the reason goes to the log).
func (s *Server) refuseAdmin(w http.ResponseWriter, r *http.Request, err error) {
	ri := requestInfo(r.Context())
	ri.err = err
	if !errors.Is(err, errNotAdmin) {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "admin validation could not reach RingCentral",
			slog.String("request_id", ri.id), slog.String("error", logSafe(err)))
	}
	writeText(w, http.StatusForbidden, textAdminRefused)
}

func (s *Server) withAdmin(h adminHandler) sessionHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *session) {
		rc, err := s.validateAdmin(r.Context(), rcToken(r))
		if err != nil {
			s.refuseAdmin(w, r, err)
			return
		}
		h(w, r, sess, rc)
	}
}

// adminView is the answer of GET /admin/settings: the stored document with
// its three known fields always present.
func adminView(d adminDoc) adminDoc {
	out := make(adminDoc, len(d)+3)
	for k, v := range d {
		out[k] = v
	}
	if !isJSONObject(out["userSettings"]) {
		out["userSettings"] = json.RawMessage(`{}`)
	}
	if v, ok := out["customAdapter"]; !ok || len(v) == 0 {
		out["customAdapter"] = json.RawMessage(`null`)
	}
	var arr []json.RawMessage
	if json.Unmarshal(out["userMappings"], &arr) != nil || arr == nil {
		out["userMappings"] = json.RawMessage(`[]`)
	}
	return out
}

// getAdminSettings is GET /admin/settings: the settings of the admin's
// account, keyed by the hash of RingCentral's account id.
func (s *Server) getAdminSettings(w http.ResponseWriter, r *http.Request, sess *session, rc rcIdentity) {
	d, err := s.loadAdminDoc(r.Context(), s.hashID(rc.accountID))
	if err != nil {
		s.fail(w, r, opAdmin, sess.claims.Platform, err)
		return
	}
	writeJSON(w, http.StatusOK, adminView(d))
}

type adminSettingsRequest struct {
	AdminSettings adminDoc `json:"adminSettings"`
}

// postAdminSettings is POST /admin/settings: RingCentral's admin token is
// the credential (the reference contract needs no session here). Keys of
// adminSettings not sent keep their stored values: a partial POST never
// erases. Answers 200 text/plain "Admin settings updated".
func (s *Server) postAdminSettings(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.adapterTimeout)
	defer cancel()
	r = r.WithContext(ctx)
	rc, err := s.validateAdmin(ctx, rcToken(r))
	if err != nil {
		s.refuseAdmin(w, r, err)
		return
	}
	var req adminSettingsRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.AdminSettings == nil {
		badRequest(w, "adminSettings is required")
		return
	}
	if raw, ok := req.AdminSettings["userSettings"]; ok {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			badRequest(w, "adminSettings.userSettings must be an object")
			return
		}
		if _, err := normalizeSettings(m); err != nil {
			badRequest(w, "adminSettings.userSettings: "+err.Error())
			return
		}
	}
	account := s.hashID(rc.accountID)
	unlock, err := s.store.Lock(ctx, "admin:"+account)
	if err != nil {
		if ctx.Err() == nil {
			err = storeErr(err)
		}
		s.fail(w, r, opAdminSave, "", err)
		return
	}
	defer unlock()
	d, err := s.loadAdminDoc(ctx, account)
	if err != nil {
		s.fail(w, r, opAdminSave, "", err)
		return
	}
	for k, v := range req.AdminSettings {
		d[k] = v
	}
	b, _ := json.Marshal(d)
	if len(b) > maxSettingsBytes {
		badRequest(w, fmt.Sprintf("adminSettings is at most %d bytes", maxSettingsBytes))
		return
	}
	if err := s.store.PutAdminSettings(ctx, account, b); err != nil {
		s.fail(w, r, opAdminSave, "", storeErr(err))
		return
	}
	writeText(w, http.StatusOK, "Admin settings updated")
}

type rcExtension struct {
	ID              flexString `json:"id"`
	Name            string     `json:"name"`
	Email           string     `json:"email"`
	ExtensionNumber flexString `json:"extensionNumber"`
}

type userMappingRequest struct {
	RCExtensionList []rcExtension `json:"rcExtensionList"`
}

type mappedCRMUser struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

type mappedRCUser struct {
	ExtensionID     string `json:"extensionId"`
	Name            string `json:"name"`
	ExtensionNumber string `json:"extensionNumber"`
	Email           string `json:"email"`
}

type userMapping struct {
	CRMUser mappedCRMUser `json:"crmUser"`
	RCUser  mappedRCUser  `json:"rcUser"`
}

// storedMapping is one entry of the admin's userMappings: a CRM user and
// the extension ids (one or several) it stands for.
type storedMapping struct {
	CRMUserID     flexString      `json:"crmUserId"`
	RCExtensionID json.RawMessage `json:"rcExtensionId"`
}

func (m storedMapping) extensionIDs() []string {
	var one flexString
	if json.Unmarshal(m.RCExtensionID, &one) == nil && one != "" {
		return []string{string(one)}
	}
	var many []flexString
	_ = json.Unmarshal(m.RCExtensionID, &many)
	out := make([]string, 0, len(many))
	for _, id := range many {
		out = append(out, string(id))
	}
	return out
}

// userMapping is POST /admin/userMapping: one entry per extension, its CRM
// user matched by email (case-insensitive), then the admin's stored
// userMappings override. Without a UserLister the CRM users are unknown:
// [] .
func (s *Server) userMapping(w http.ResponseWriter, r *http.Request, sess *session, rc rcIdentity) {
	var req userMappingRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if len(req.RCExtensionList) > maxExtensions {
		badRequest(w, fmt.Sprintf("At most %d extensions per request", maxExtensions))
		return
	}
	if sess.platform.lister == nil {
		writeJSON(w, http.StatusOK, []userMapping{})
		return
	}
	listed, err := sess.platform.lister.ListUsers(r.Context(), adapter.ListUsersRequest{Session: sess.crmSession()})
	if unsupported(err) {
		writeJSON(w, http.StatusOK, []userMapping{})
		return
	}
	if err != nil {
		s.fail(w, r, opUserMapping, sess.claims.Platform, err)
		return
	}
	users := listed.Users[:min(len(listed.Users), maxCRMUsers)]
	byEmail := make(map[string]adapter.CRMUser, len(users))
	byID := make(map[string]adapter.CRMUser, len(users))
	for _, u := range users {
		if e := strings.ToLower(strings.TrimSpace(u.Email)); e != "" {
			if _, dup := byEmail[e]; !dup {
				byEmail[e] = u
			}
		}
		byID[u.ID] = u
	}
	d, err := s.loadAdminDoc(r.Context(), s.hashID(rc.accountID))
	if err != nil {
		s.fail(w, r, opUserMapping, sess.claims.Platform, err)
		return
	}
	var stored []storedMapping
	_ = json.Unmarshal(d["userMappings"], &stored)
	override := map[string]string{} // extension id → CRM user id
	for _, m := range stored[:min(len(stored), maxExtensions)] {
		for _, ext := range m.extensionIDs() {
			override[ext] = string(m.CRMUserID)
		}
	}
	out := make([]userMapping, 0, len(req.RCExtensionList))
	for _, ext := range req.RCExtensionList {
		m := userMapping{RCUser: mappedRCUser{ExtensionID: string(ext.ID), Name: ext.Name, ExtensionNumber: string(ext.ExtensionNumber), Email: ext.Email}}
		if u, ok := byEmail[strings.ToLower(strings.TrimSpace(ext.Email))]; ok && ext.Email != "" {
			m.CRMUser = mappedCRMUser{ID: u.ID, Name: u.Name, Email: u.Email}
		}
		if id, ok := override[string(ext.ID)]; ok {
			u, known := byID[id]
			if !known {
				u = adapter.CRMUser{ID: id}
			}
			m.CRMUser = mappedCRMUser{ID: u.ID, Name: u.Name, Email: u.Email}
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}
