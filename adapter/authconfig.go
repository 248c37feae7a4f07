package adapter

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Validate reports everything that makes c unusable to the server, in one
// error, or nil. For [AuthOAuth]: OAuth is set; its ClientID,
// ClientSecret, RedirectURL, AuthURL and TokenURL are not empty; its URLs
// (RevokeURL when set) are absolute http(s) URLs. For
// [AuthAPIKey]: APIKeyScheme is set. Any other Type is refused. An
// adapter's constructor calls it on its own Auth() to refuse a bad
// configuration early, wrapping the error in its own:
//
//	if err := a.Auth().Validate(); err != nil {
//		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
//	}
func (c AuthConfig) Validate() error {
	var problems []string
	switch c.Type {
	case AuthAPIKey:
		if c.APIKeyScheme == nil {
			problems = append(problems, "APIKeyScheme is nil")
		}
	case AuthOAuth:
		p := c.OAuth
		if p == nil {
			problems = append(problems, "OAuth is nil")
			break
		}
		for _, f := range []struct{ name, v string }{
			{"ClientID", p.ClientID}, {"ClientSecret", p.ClientSecret}, {"RedirectURL", p.RedirectURL},
			{"AuthURL", p.AuthURL}, {"TokenURL", p.TokenURL}, {"RevokeURL", p.RevokeURL},
		} {
			switch {
			case strings.TrimSpace(f.v) == "" && f.name != "RevokeURL":
				problems = append(problems, f.name+" is empty")
			case f.v != "" && strings.HasSuffix(f.name, "URL") && !isHTTPURL(f.v):
				problems = append(problems, f.name+" is not an absolute http(s) URL")
			}
		}
	default:
		problems = append(problems, fmt.Sprintf("Type %q is neither AuthOAuth nor AuthAPIKey", c.Type))
	}
	if problems != nil {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
