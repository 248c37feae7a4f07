package httpserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/store"
)

// Bounds of the settings routes (a logged-in user must not be able to grow
// the store or the server's work without limit).
const (
	// maxSettings is the most setting ids a user's stored settings, an
	// admin's settings, or one POST may hold.
	maxSettings = 200
	// maxSettingIDLen bounds one setting id, in bytes.
	maxSettingIDLen = 128
	// maxSettingsBytes bounds the stored JSON of a user's or an account's
	// settings.
	maxSettingsBytes = 256 << 10
	// maxAccountKeyLen bounds rcAccountId / rc-account-id (a hash is 64).
	maxAccountKeyLen = 128
)

// hashID is h(x) of PROTOCOL.md §3: lowercase hex SHA-256 of x + ":" +
// HASH_KEY. The hashes identify telephony accounts and extensions without
// storing their ids.
func (s *Server) hashID(x string) string {
	sum := sha256.Sum256([]byte(x + ":" + s.opts.hashKey))
	return hex.EncodeToString(sum[:])
}

// accountKey is the user's telephony account key (a hash from
// /userInfoHash) as the client sends it: the rc-account-id header or the
// rcAccountId query parameter. "" when absent or implausibly long.
func accountKey(r *http.Request, q queryValues) string {
	// The canonical form: Get would allocate one for "rc-account-id".
	k := strings.TrimSpace(r.Header.Get("Rc-Account-Id"))
	if k == "" {
		k = strings.TrimSpace(q.Get("rcAccountId"))
	}
	if len(k) > maxAccountKeyLen {
		return ""
	}
	return k
}

// normalizeSettings turns what a client or an admin sent into settings:
// every entry a JSON object, a bare value v becoming {"value": v} (admins
// may send {"autoLogCalls": true}). An entry that carries nothing (null,
// a bare "", {"value": null}) is left out, so a partial or empty request
// never erases a stored value; removing one is what settingKeysToRemove
// is for. Entries beyond the bounds are an error.
func normalizeSettings(in map[string]json.RawMessage) (adapter.Settings, error) {
	if len(in) > maxSettings {
		return nil, fmt.Errorf("at most %d settings", maxSettings)
	}
	out := make(adapter.Settings, len(in))
	for id, raw := range in {
		if id == "" || len(id) > maxSettingIDLen {
			return nil, fmt.Errorf("setting ids are 1 to %d bytes", maxSettingIDLen)
		}
		raw = bytes.TrimSpace(raw)
		if carriesNothing(raw) {
			continue
		}
		if raw[0] != '{' {
			raw, _ = json.Marshal(map[string]json.RawMessage{"value": raw})
		}
		out[id] = raw
	}
	return out, nil
}

// carriesNothing reports whether a settings entry holds no value at all:
// empty, null, a bare "", or an object whose only member is a null value.
func carriesNothing(raw json.RawMessage) bool {
	switch string(raw) {
	case "", "null", `""`:
		return true
	}
	if raw[0] != '{' {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	v, ok := m["value"]
	return len(m) == 0 || len(m) == 1 && ok && string(bytes.TrimSpace(v)) == "null"
}

// sanitizeDefaults makes an adapter's defaults safe to serve: an entry that
// is not valid JSON is dropped (it would break every settings answer), a
// bare value becomes {"value": v}.
func sanitizeDefaults(in adapter.Settings) adapter.Settings {
	out := make(adapter.Settings, len(in))
	for id, raw := range in {
		if id == "" || !json.Valid(raw) {
			continue
		}
		out[id] = raw
	}
	if n, err := normalizeSettings(out); err == nil {
		return n
	}
	return out
}

// decodeSettings reads stored settings; a document that is not a JSON
// object reads as none (it cannot have been written by this server).
func decodeSettings(b []byte) adapter.Settings {
	if len(b) == 0 {
		return adapter.Settings{}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return adapter.Settings{}
	}
	out, err := normalizeSettings(m)
	if err != nil {
		return adapter.Settings{}
	}
	return out
}

// fields splits a setting object into its fields.
func fields(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		m = map[string]json.RawMessage{}
	}
	return m
}

// overlay returns the setting lower with the fields of upper on top: a
// user's {"value"} keeps the default's "options" and "defaultValue".
func overlay(lower, upper json.RawMessage) json.RawMessage {
	if lower == nil {
		return upper
	}
	m := fields(lower)
	maps.Copy(m, fields(upper))
	b, _ := json.Marshal(m)
	return b
}

// locked reports an admin setting the user cannot override:
// "customizable": false (or the legacy "isCustomizable": false).
func locked(raw json.RawMessage) bool {
	f := fields(raw)
	for _, k := range []string{"customizable", "isCustomizable"} {
		if v, ok := f[k]; ok && string(bytes.TrimSpace(v)) == "false" {
			return true
		}
	}
	return false
}

// mergeSettings is the effective settings (PROTOCOL.md §3), lowest first:
// the adapter's defaults, the admin-managed settings of the user's
// account, the user's own values except where the admin locked the
// setting.
func mergeSettings(defaults, admin, user adapter.Settings) adapter.Settings {
	out := make(adapter.Settings, len(defaults)+len(admin)+len(user))
	for id, raw := range defaults {
		out[id] = raw
	}
	for id, raw := range admin {
		out[id] = overlay(out[id], raw)
	}
	for id, raw := range user {
		if a, ok := admin[id]; ok && locked(a) {
			continue
		}
		out[id] = overlay(out[id], raw)
	}
	return out
}

// adminDoc is what an admin stored for a telephony account: the
// adminSettings object of POST /admin/settings, kept whole so fields this
// server does not know survive.
type adminDoc map[string]json.RawMessage

func (d adminDoc) userSettings() adapter.Settings {
	var m map[string]json.RawMessage
	if json.Unmarshal(d["userSettings"], &m) != nil {
		return adapter.Settings{}
	}
	out, err := normalizeSettings(m)
	if err != nil {
		return adapter.Settings{}
	}
	return out
}

func (s *Server) loadAdminDoc(ctx context.Context, account string) (adminDoc, error) {
	if account == "" {
		return adminDoc{}, nil
	}
	b, err := s.store.AdminSettings(ctx, account)
	if err != nil {
		return nil, storeErr(err)
	}
	var d adminDoc
	if len(b) == 0 || json.Unmarshal(b, &d) != nil || d == nil {
		d = adminDoc{}
	}
	return d, nil
}

// settingsOf reads the layers of a user's effective settings.
func (s *Server) settingsOf(ctx context.Context, p *platform, userKey, account string) (defaults, admin, user adapter.Settings, err error) {
	defaults = adapter.Settings{}
	if p.defaulter != nil {
		defaults = sanitizeDefaults(p.defaulter.DefaultSettings())
	}
	doc, err := s.loadAdminDoc(ctx, account)
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := s.store.UserSettings(ctx, userKey)
	if err != nil {
		return nil, nil, nil, storeErr(err)
	}
	return defaults, doc.userSettings(), decodeSettings(b), nil
}

// settingsCache keeps effective settings per (platform, user, account)
// for the user cache's TTL, so the hot path (GET /contact) reads no
// settings from the store most of the time. This server's own writes
// evict what they change at once; another replica's writes, and an
// admin's, are seen within the TTL.
type settingsCache struct {
	ttl time.Duration
	boundedMap[cachedSettings]
}

type cachedSettings struct {
	settings    adapter.Settings // never handed out: callers get a clone
	fingerprint uint64           // settingsFingerprint(settings)
	until       time.Time
}

// fingerprintSeed keys settingsFingerprint for this process: the
// fingerprints only ever meet in this process's contact-match cache.
var fingerprintSeed = maphash.MakeSeed()

// settingsFingerprint is a 64-bit hash of the effective settings m, the
// same for equal settings whatever the map's order: the contact-match
// cache keys answers by it, so an answer the adapter found under one set
// of settings (one telephony account's admin settings, or before a
// change) is never reused under another.
func settingsFingerprint(m adapter.Settings) uint64 {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var h maphash.Hash
	h.SetSeed(fingerprintSeed)
	for _, id := range ids {
		h.WriteString(id)
		h.WriteByte(0)
		_ = binary.Write(&h, binary.BigEndian, uint64(len(m[id])))
		h.Write(m[id])
	}
	return h.Sum64()
}

func settingsCacheKey(platform, userKey, account string) string {
	return platform + "\x00" + userKey + "\x00" + account
}

// effectiveSettings is what the adapter sees in Session.Settings, as the
// settings cache holds it: the caller reads it and never writes it. An
// adapter gets a copy of its own (session.crmSession), made only when the
// request reaches an adapter.
func (s *Server) effectiveSettings(ctx context.Context, p *platform, userKey, account string) (adapter.Settings, uint64, error) {
	now := s.opts.now()
	if s.settings.ttl > 0 {
		// A hit builds its key on the stack (settingsCacheKey's bytes).
		var kb [128]byte
		k := append(append(append(append(append(kb[:0], p.adapter.Platform()...), 0), userKey...), 0), account...)
		if c, ok := s.settings.getBytes(k); ok && now.Before(c.until) {
			return c.settings, c.fingerprint, nil
		}
	}
	key := settingsCacheKey(p.adapter.Platform(), userKey, account)
	d, a, u, err := s.settingsOf(ctx, p, userKey, account)
	if err != nil {
		return nil, 0, err
	}
	merged := mergeSettings(d, a, u)
	fp := settingsFingerprint(merged)
	if s.settings.ttl > 0 {
		s.settings.put(key, cachedSettings{settings: merged, fingerprint: fp, until: now.Add(s.settings.ttl)})
	}
	return merged, fp, nil
}

// effectiveOverridingFormat is the overridingFormat a contact lookup uses:
// the request's when it has one, else the user's effective phone-format
// settings in order, joined by commas (PROTOCOL.md §3: "When a request's
// overridingFormat is empty, the user's effective
// overridingPhoneNumberFormat* values apply").
func effectiveOverridingFormat(requested string, settings adapter.Settings) string {
	if strings.TrimSpace(requested) != "" {
		return requested
	}
	var formats []string
	for _, id := range []string{adapter.SettingPhoneFormat, adapter.SettingPhoneFormat2, adapter.SettingPhoneFormat3} {
		if f := strings.TrimSpace(settings.String(id)); f != "" {
			formats = append(formats, f)
		}
	}
	return strings.Join(formats, ",")
}

// getUserSettings is GET /user/settings: the effective settings, {} when
// none.
func (s *Server) getUserSettings(w http.ResponseWriter, r *http.Request, sess *session) {
	writeJSON(w, http.StatusOK, sess.settings)
}

type userSettingsRequest struct {
	UserSettings        map[string]json.RawMessage `json:"userSettings"`
	SettingKeysToRemove []string                   `json:"settingKeysToRemove"`
}

type userSettingsResponse struct {
	UserSettings adapter.Settings `json:"userSettings"`
}

// postUserSettings is POST /user/settings: the user's values are merged
// into what is stored (ids not sent keep their values: a partial POST
// never erases), ids in settingKeysToRemove are removed, settings the
// admin locked are ignored, and the answer echoes the effective settings,
// which the client adopts as its local copy.
func (s *Server) postUserSettings(w http.ResponseWriter, r *http.Request, sess *session) {
	var req userSettingsRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	in, err := normalizeSettings(req.UserSettings)
	if err == nil && len(req.SettingKeysToRemove) > maxSettings {
		err = fmt.Errorf("at most %d settingKeysToRemove", maxSettings)
	}
	if err != nil {
		badRequest(w, "userSettings: "+err.Error())
		return
	}
	ctx := r.Context()
	account := accountKey(r, sess.query)
	// Serialize a user's read-merge-write, also across replicas.
	unlock, err := s.store.Lock(ctx, "settings:"+sess.user.Key)
	if err != nil {
		if ctx.Err() == nil {
			err = storeErr(err)
		}
		s.fail(w, r, opSettings, sess.claims.Platform, err)
		return
	}
	defer unlock()
	defaults, admin, stored, err := s.settingsOf(ctx, sess.platform, sess.user.Key, account)
	if err != nil {
		s.fail(w, r, opSettings, sess.claims.Platform, err)
		return
	}
	changed := false
	for _, id := range req.SettingKeysToRemove {
		if _, ok := stored[id]; ok {
			delete(stored, id)
			changed = true
		}
	}
	for id, raw := range in {
		if a, ok := admin[id]; ok && locked(a) {
			continue
		}
		stored[id] = overlay(stored[id], raw)
		changed = true
	}
	if changed {
		b, _ := json.Marshal(stored)
		if len(stored) > maxSettings || len(b) > maxSettingsBytes {
			badRequest(w, fmt.Sprintf("userSettings: at most %d settings of %d bytes in all", maxSettings, maxSettingsBytes))
			return
		}
		if err := s.store.PutUserSettings(ctx, sess.user.Key, b); err != nil {
			s.fail(w, r, opSettings, sess.claims.Platform, storeErr(err))
			return
		}
		s.settings.remove(settingsCacheKey(sess.claims.Platform, sess.user.Key, account))
		// The adapter may find contacts differently with other settings
		// (its own custom settings): the user's cached matches go too.
		s.matches.invalidate(sess.user.Key)
	}
	writeJSON(w, http.StatusOK, userSettingsResponse{UserSettings: mergeSettings(defaults, admin, stored)})
}

// preloadSettings is GET /user/preloadSettings: nothing is preloaded before
// login; the settings arrive with GET /user/settings.
func (s *Server) preloadSettings(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct{}{})
}

// userInfoHash is GET /userInfoHash: the server-keyed hashes the client
// sends back as rc-extension-id and rc-account-id.
func (s *Server) userInfoHash(w http.ResponseWriter, r *http.Request) {
	q := clientQuery(r)
	ext, acct := q.Get("extensionId"), q.Get("accountId")
	if len(ext) > maxAccountKeyLen || len(acct) > maxAccountKeyLen {
		badRequest(w, fmt.Sprintf("extensionId and accountId are at most %d bytes", maxAccountKeyLen))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"extensionId": s.hashID(ext), "accountId": s.hashID(acct)})
}

// Bounds of the note cache.
const (
	noteCacheTTL      = time.Hour
	maxCachedNotes    = 50       // per user
	maxCachedNoteSize = 64 << 10 // bytes
)

type cacheNoteRequest struct {
	SessionID flexString `json:"sessionId"`
	Note      string     `json:"note"`
}

// cacheNote is POST /callLog/cacheNote: the note the user types during a
// call, kept for an hour for the POST /callLog that arrives without one.
func (s *Server) cacheNote(w http.ResponseWriter, r *http.Request, sess *session) {
	var req cacheNoteRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	switch {
	case req.SessionID == "":
		badRequest(w, "sessionId is required")
		return
	case len(req.SessionID) > maxSettingIDLen:
		badRequest(w, fmt.Sprintf("sessionId is at most %d bytes", maxSettingIDLen))
		return
	case len(req.Note) > maxCachedNoteSize:
		badRequest(w, fmt.Sprintf("note is at most %d bytes", maxCachedNoteSize))
		return
	}
	now := s.opts.now()
	if err := s.store.PutCachedNote(r.Context(), sess.user.Key, string(req.SessionID), req.Note, now, now.Add(noteCacheTTL), maxCachedNotes); err != nil {
		s.fail(w, r, opCacheNote, sess.claims.Platform, storeErr(err))
		return
	}
	writeJSON(w, http.StatusOK, envelope{Successful: true})
}

// cachedNote is the note cached for a call being logged without one, or
// "" when there is none (a store failure only costs the cached note).
func (s *Server) cachedNote(ctx context.Context, userKey, sessionID string) string {
	note, err := s.store.CachedNote(ctx, userKey, sessionID, s.opts.now())
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			requestInfo(ctx).err = err
		}
		return ""
	}
	return note
}

type licenseResponse struct {
	IsLicenseValid           bool   `json:"isLicenseValid"`
	LicenseStatus            string `json:"licenseStatus"`
	LicenseStatusDescription string `json:"licenseStatusDescription"`
}

// licenseStatus is GET /licenseStatus: always 200 (PROTOCOL.md §3).
func (s *Server) licenseStatus(w http.ResponseWriter, r *http.Request, sess *session) {
	if sess.platform.license == nil {
		writeJSON(w, http.StatusOK, licenseResponse{IsLicenseValid: true, LicenseStatus: "Basic"})
		return
	}
	st, err := sess.platform.license.LicenseStatus(r.Context(), adapter.LicenseStatusRequest{Session: sess.crmSession()})
	if unsupported(err) {
		writeJSON(w, http.StatusOK, licenseResponse{IsLicenseValid: true, LicenseStatus: "Basic"})
		return
	}
	if err != nil {
		requestInfo(r.Context()).err = err
		writeJSON(w, http.StatusOK, licenseResponse{LicenseStatus: "Unknown", LicenseStatusDescription: "The license could not be checked. Please try again later."})
		return
	}
	writeJSON(w, http.StatusOK, licenseResponse{IsLicenseValid: st.Valid, LicenseStatus: st.Status, LicenseStatusDescription: st.Description})
}

// releaseNotes is GET /releaseNotes.
func (s *Server) releaseNotes(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.opts.releaseNotes)
}

// serverVersionInfo is GET /serverVersionInfo.
func (s *Server) serverVersionInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.opts.version})
}
