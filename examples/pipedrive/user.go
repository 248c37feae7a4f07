package pipedrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
)

// userExtra is what the adapter keeps about a user (adapter.UserInfo.Extra):
// the company's API base URL, from the token response's api_domain, and the
// company id, which scopes cached company data.
type userExtra struct {
	APIDomain string `json:"apiDomain"`
	CompanyID int64  `json:"companyId,omitempty"`
}

type me struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	TimezoneName   string `json:"timezone_name"`
	TimezoneOffset string `json:"timezone_offset"`
	CompanyID      int64  `json:"company_id"`
	CompanyDomain  string `json:"company_domain"`
}

// GetUserInfo reads users/me from the API base that the token response's
// api_domain names, and keeps that base in UserInfo.Extra for later calls.
func (a *Adapter) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	base, err := loginBase(req)
	if err != nil {
		return adapter.UserInfo{}, err
	}
	var u me
	if err := newAPI(req.Client, base).Do(ctx, "GET", "/api/v1/users/me", nil, nil, &u); err != nil {
		return adapter.UserInfo{}, err
	}
	if u.ID == 0 {
		return adapter.UserInfo{}, errors.New("pipedrive: users/me returned no user id")
	}
	extra, err := json.Marshal(userExtra{APIDomain: base, CompanyID: u.CompanyID})
	if err != nil {
		return adapter.UserInfo{}, fmt.Errorf("pipedrive: encoding user data: %w", err)
	}
	hostname := req.Hostname
	if u.CompanyDomain != "" {
		hostname = u.CompanyDomain + ".pipedrive.com"
	}
	return adapter.UserInfo{
		ID:             strconv.FormatInt(u.ID, 10),
		Name:           u.Name,
		Hostname:       hostname,
		Timezone:       u.TimezoneName,
		TimezoneOffset: offsetMinutes(u.TimezoneOffset),
		Extra:          extra,
	}, nil
}

// loginBase is the API base URL at login: the token response's api_domain,
// else https://<hostname the client named>.
func loginBase(req adapter.UserInfoRequest) (string, error) {
	if v, ok := req.TokenExtra["api_domain"]; ok {
		s, _ := v.(string)
		if !isHTTPURL(s) {
			return "", errors.New("pipedrive: token response has an invalid api_domain")
		}
		return strings.TrimRight(s, "/"), nil
	}
	if base, ok := hostBase(req.Hostname); ok {
		return base, nil
	}
	return "", errors.New("pipedrive: token response has no api_domain and no hostname was given")
}

// hostBase turns a bare host name into an https base URL.
func hostBase(host string) (string, bool) {
	if host == "" || strings.ContainsAny(host, "/?#@ ") {
		return "", false
	}
	base := "https://" + host
	return base, isHTTPURL(base)
}

// userAPI returns the API client for a session: the session's client and
// the base URL GetUserInfo stored, or https://<hostname> for users stored
// without one.
func userAPI(s adapter.Session) (api, userExtra, error) {
	var x userExtra
	if len(s.User.Extra) > 0 {
		if err := json.Unmarshal(s.User.Extra, &x); err != nil {
			return api{}, x, fmt.Errorf("pipedrive: decoding stored user data: %w", err)
		}
	}
	if x.APIDomain == "" || !isHTTPURL(x.APIDomain) {
		base, ok := hostBase(s.User.Hostname)
		if !ok {
			return api{}, x, errors.New("pipedrive: no API domain stored for the user")
		}
		x.APIDomain = base
	}
	if s.Client == nil {
		return api{}, x, errors.New("pipedrive: session has no HTTP client")
	}
	return newAPI(s.Client, strings.TrimRight(x.APIDomain, "/")), x, nil
}

// companyKey scopes per-company caches: the company id when known, else the
// API domain (one per company).
func (x userExtra) companyKey() string {
	if x.CompanyID != 0 {
		return "id:" + strconv.FormatInt(x.CompanyID, 10)
	}
	return "domain:" + strings.ToLower(x.APIDomain)
}

// offsetMinutes parses Pipedrive's "+02:00" / "-05:30"; 0 when malformed.
func offsetMinutes(s string) int {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0
	}
	h, err1 := strconv.Atoi(s[1:3])
	m, err2 := strconv.Atoi(s[4:6])
	if err1 != nil || err2 != nil || h > 14 || m > 59 {
		return 0
	}
	if s[0] == '-' {
		return -(h*60 + m)
	}
	return h*60 + m
}

// parseID parses a Pipedrive numeric id given as a string.
func parseID(kind, s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("pipedrive: %s %q: %w", kind, s, adapter.ErrNotFound)
	}
	return id, nil
}

// ValidateAuth asks Pipedrive who the user is: the answer is refused (401,
// adapter.ErrUnauthorized after the SDK's one refresh) once the user has
// uninstalled the app or an admin revoked its access.
func (a *Adapter) ValidateAuth(ctx context.Context, req adapter.ValidateAuthRequest) (adapter.ValidateAuthResult, error) {
	c, _, err := userAPI(req.Session)
	if err != nil {
		return adapter.ValidateAuthResult{}, err
	}
	var u me
	return adapter.ValidateAuthResult{}, c.Do(ctx, "GET", "/api/v1/users/me", nil, nil, &u)
}
