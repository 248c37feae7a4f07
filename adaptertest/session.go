package adaptertest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// checkManifest checks GET /implementedInterfaces against the adapter's
// optional interfaces and the adapter's platform block of GET /crmManifest.
func (s *suite) checkManifest(tb suiteTB) {
	tb.Helper()
	a, _, ok := s.send(tb, "GET", "/implementedInterfaces?platform="+url.QueryEscape(s.platform), nil, false)
	if ok {
		// Values are booleans, except "logFormat" (a media type).
		var caps map[string]any
		if a.status != http.StatusOK || a.decode(&caps) != nil {
			tb.Errorf("%v; want a JSON object of capabilities", a)
		} else {
			for name, has := range s.rec.caps.ImplementedInterfaces() {
				if got, ok := caps[name]; !ok || got != has {
					tb.Errorf("GET /implementedInterfaces says %s=%t (present: %t), but the adapter's interfaces say %t", name, got, ok, has)
				}
			}
		}
	}

	if m := s.rec.caps.Manifester; m != nil {
		checkManifestBlock(tb, m.Manifest(), s.platform, s.cfg)
	}
	a, _, ok = s.send(tb, "GET", "/crmManifest?platformName="+url.QueryEscape(s.platform), nil, false)
	if !ok {
		return
	}
	var m struct {
		Platforms map[string]json.RawMessage `json:"platforms"`
	}
	if a.status != http.StatusOK || a.decode(&m) != nil {
		tb.Errorf("%v; want the manifest", a)
		return
	}
	if block := m.Platforms[s.platform]; !bytes.HasPrefix(bytes.TrimSpace(block), []byte("{")) {
		tb.Errorf("GET /crmManifest has no %q object under platforms: %.300s", s.platform, a.body)
	}
}

// checkManifestBlock checks what Manifest returns: a JSON object naming the
// platform, with the adapter's auth type, holding no secret.
func checkManifestBlock(tb suiteTB, raw json.RawMessage, platform string, cfg Config) {
	tb.Helper()
	if !json.Valid(raw) {
		tb.Errorf("Manifest returned invalid JSON (the server then answers GET /crmManifest with an error): %.200s", raw)
		return
	}
	var block struct {
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
		Auth        struct {
			Type string `json:"type"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(raw, &block); err != nil {
		tb.Errorf("Manifest returned JSON that is not an object with name, displayName and auth: %v", err)
		return
	}
	authCfg := cfg.Adapter.Auth()
	if block.Name != platform {
		tb.Errorf("Manifest's name is %q; want the platform name %q", block.Name, platform)
	}
	if block.DisplayName == "" {
		tb.Errorf("Manifest has no displayName: the client shows it to the user")
	}
	if block.Auth.Type != string(authCfg.Type) {
		tb.Errorf("Manifest's auth.type is %q, but Auth().Type is %q", block.Auth.Type, authCfg.Type)
	}
	if o := authCfg.OAuth; o != nil && o.ClientSecret != "" && bytes.Contains(raw, []byte(o.ClientSecret)) {
		tb.Errorf("Manifest contains the OAuth client secret: the manifest is public")
	}
	if k := strings.TrimSpace(cfg.APIKey); k != "" && bytes.Contains(raw, []byte(k)) {
		tb.Errorf("Manifest contains the API key: the manifest is public")
	}
}

// login logs in (POST /apiKeyLogin or GET /oauth-callback) and checks what
// GetUserInfo returned.
func (s *suite) login(tb suiteTB) {
	tb.Helper()
	var (
		a     answer
		calls []call
		ok    bool
	)
	authCfg := s.cfg.Adapter.Auth()
	if authCfg.Type == adapter.AuthAPIKey {
		a, calls, ok = s.send(tb, "POST", "/apiKeyLogin", map[string]any{
			"platform":       s.platform,
			"apiKey":         s.cfg.APIKey,
			"hostname":       s.cfg.Hostname,
			"additionalInfo": s.cfg.LoginForm,
		}, false)
	} else {
		code, err := s.cfg.AuthorizationCode(s.ctx)
		if err != nil || code == "" {
			tb.Errorf("Config.AuthorizationCode returned no code (error: %v)", err)
			return
		}
		cb := authCfg.OAuth.RedirectURL
		if strings.Contains(cb, "?") {
			cb += "&code=" + url.QueryEscape(code)
		} else {
			cb += "?code=" + url.QueryEscape(code)
		}
		a, calls, ok = s.send(tb, "GET", "/oauth-callback?callbackUri="+url.QueryEscape(cb)+
			"&state="+url.QueryEscape("platform="+s.platform)+"&hostname="+url.QueryEscape(s.cfg.Hostname), nil, false)
	}
	if !ok {
		return
	}
	reportFailedCalls(tb, calls)
	uc, called := only[adapter.UserInfoRequest, adapter.UserInfo](tb, calls, mUserInfo, "at login")
	if !called {
		if authCfg.Type == adapter.AuthOAuth {
			tb.Errorf("the server could not exchange the authorization code at %s: %v", authCfg.OAuth.TokenURL, a)
		}
		return
	}
	info := uc.res
	if uc.err == nil && uc.panicked == nil {
		if info.ID == "" {
			tb.Errorf("GetUserInfo returned no user id (UserInfo.ID): the server refuses a login without one")
		}
		if info.Name == "" {
			tb.Logf("GetUserInfo returned no user name (UserInfo.Name): the client greets the user with it")
		}
		if info.Timezone != "" {
			if _, err := time.LoadLocation(info.Timezone); err != nil {
				tb.Errorf("GetUserInfo returned timezone %q, which is not an IANA zone name such as \"Europe/Berlin\"", info.Timezone)
			}
		}
		if len(info.Extra) > 0 && !json.Valid(info.Extra) {
			tb.Errorf("GetUserInfo returned UserInfo.Extra that is not valid JSON: %.200s", info.Extra)
		}
	}
	var la loginAnswer
	if a.status != http.StatusOK || a.decode(&la) != nil || la.JWTToken == "" {
		tb.Errorf("%v; want HTTP 200 with a jwtToken", a)
		return
	}
	s.c.jwt, s.userID = la.JWTToken, info.ID

	want := info.Hostname
	if want == "" {
		want = s.cfg.Hostname
	}
	if h, _, ok := s.send(tb, "GET", "/hostname", nil, true); ok && (h.status != http.StatusOK || string(h.body) != want) {
		tb.Errorf("%v; want the user's hostname %q (UserInfo.Hostname, else the login's)", h, want)
	}
}

// search checks GET /custom/contact/search: SearchContacts finds the
// existing contact by name; without the capability the server says so.
func (s *suite) search(tb suiteTB) {
	tb.Helper()
	if s.cfg.SearchName == "" && !s.existingRan {
		s.findExisting(tb) // learn the name to search for
	}
	name := s.cfg.SearchName
	if name == "" {
		name = s.existingName
	}
	if name == "" {
		name = "a"
	}
	a, calls, ok := s.send(tb, "GET", "/custom/contact/search?name="+url.QueryEscape(name), nil, true)
	if !ok {
		return
	}
	var ca contactsAnswer
	if err := a.decode(&ca); err != nil {
		tb.Errorf("%v", err)
		return
	}
	if s.cfg.SearchName == "" && s.existingName == "" {
		tb.Errorf("cannot check SearchContacts: no name to search for, as FindContacts returned no name for contact %q; fix that or set Config.SearchName", s.cfg.ExistingContactID)
		return
	}
	sc, called := oneCall[adapter.SearchContactsRequest, adapter.FindContactsResult](tb, a, calls, mSearch, "for GET /custom/contact/search")
	if !called {
		return
	}
	checkContacts(tb, mSearch, sc.res.Contacts)
	if _, found := hasContact(sc.res.Contacts, s.cfg.ExistingContactID); !found {
		tb.Errorf("SearchContacts did not find contact %q by the name %q; it returned %s", s.cfg.ExistingContactID, name, contactIDs(sc.res.Contacts))
	}
	if !ca.ok() {
		tb.Errorf("%v; want successful:true", a)
	}
}

// authValidation checks GET /authValidation right after login: the session
// works, and ValidateAuth, when the adapter has it, agrees.
func (s *suite) authValidation(tb suiteTB) {
	tb.Helper()
	a, calls, ok := s.send(tb, "GET", "/authValidation", nil, true)
	if !ok {
		return
	}
	reportFailedCalls(tb, calls)
	if s.rec.caps.AuthValidator == nil {
		tb.Logf("the adapter is not an adapter.AuthValidator (optional): the server answered from the stored credentials alone")
	} else {
		only[adapter.ValidateAuthRequest, adapter.ValidateAuthResult](tb, calls, mValidate, "for GET /authValidation")
	}
	var e envelope
	if a.decode(&e) != nil || !e.ok() {
		tb.Errorf("%v; want successful:true for a user who just logged in", a)
	}
}

// unAuthorize logs out: POST /unAuthorize succeeds, Unauthorize is called
// for the user, and the session no longer reaches the CRM.
func (s *suite) unAuthorize(tb suiteTB) {
	tb.Helper()
	a, calls, ok := s.send(tb, "POST", "/unAuthorize", nil, true)
	if !ok {
		return
	}
	var uc typedCall[adapter.UnauthorizeRequest, adapter.UnauthorizeResult]
	called := false
	if s.rec.caps.Unauthorizer == nil {
		tb.Logf("the adapter is not an adapter.Unauthorizer (optional): the server only erased the stored credentials")
		noCall(tb, calls, mUnauthorize, "although the adapter is not an Unauthorizer")
	} else {
		uc, called = only[adapter.UnauthorizeRequest, adapter.UnauthorizeResult](tb, calls, mUnauthorize, "for POST /unAuthorize")
	}
	switch {
	case !called:
	case uc.panicked != nil:
		tb.Errorf("%s", failureOf(call{method: mUnauthorize, panicked: uc.panicked}))
	case uc.err != nil:
		// The server erases the credentials whatever Unauthorize says, so
		// an error is not a broken contract; it is worth knowing, though.
		tb.Logf("Unauthorize returned an error (the server erased the stored credentials anyway): %v", uc.err)
	}
	if called && uc.req.User.ID != s.userID {
		tb.Errorf("the server called Unauthorize for user %q; want %q", uc.req.User.ID, s.userID)
	}
	var e envelope
	if a.decode(&e) != nil || !e.ok() {
		tb.Errorf("%v; want successful:true", a)
	}
	after, _, ok := s.send(tb, "GET", "/contact?phoneNumber="+s.cfg.ExistingPhone, nil, true)
	if ok && !isRevoked(after) {
		tb.Errorf("after POST /unAuthorize, %v; want HTTP 401 CRM_SESSION_REVOKED", after)
	}
}
