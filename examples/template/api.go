package template

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
)

// Platform is the adapter's platform name: lower case, no spaces.
const Platform = "templatecrm"

// ErrConfig reports an unusable Config; New wraps it with the reason.
var ErrConfig = errors.New("templatecrm: invalid config")

// Config says where the CRM's API is.
type Config struct {
	// BaseURL is the API's absolute http(s) URL, e.g.
	// "https://api.templatecrm.example". Required.
	BaseURL string
}

// Adapter connects the crmbridge server to TemplateCRM. It implements
// adapter.Adapter, adapter.ContactSearcher, adapter.Manifester and
// adapter.AuthValidator, and is safe for concurrent use.
type Adapter struct {
	base string
}

var (
	_ adapter.Adapter         = (*Adapter)(nil)
	_ adapter.ContactCreator  = (*Adapter)(nil)
	_ adapter.CallLogReader   = (*Adapter)(nil)
	_ adapter.CallLogUpdater  = (*Adapter)(nil)
	_ adapter.MessageLogger   = (*Adapter)(nil)
	_ adapter.ContactSearcher = (*Adapter)(nil)
	_ adapter.Manifester      = (*Adapter)(nil)
	_ adapter.AuthValidator   = (*Adapter)(nil)
)

// New returns an adapter for the API cfg names.
func New(cfg Config) (*Adapter, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: BaseURL %q is not an absolute http(s) URL", ErrConfig, cfg.BaseURL)
	}
	return &Adapter{base: strings.TrimRight(cfg.BaseURL, "/")}, nil
}

// Platform returns "templatecrm".
func (a *Adapter) Platform() string { return Platform }

// Auth says users paste an API key, sent as a Bearer token.
func (a *Adapter) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{Type: adapter.AuthAPIKey, APIKeyScheme: auth.BearerScheme}
}

// apiError is the body of TemplateCRM's error answers.
type apiError struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// do sends one request with the user's client (which carries the key) and
// decodes a 2xx answer's JSON into out, when out is not nil. Other answers
// become the adapter errors the server maps to the client's messages.
// Errors name the method and path, never the query: it may hold a phone
// number.
func (a *Adapter) do(ctx context.Context, hc *http.Client, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("templatecrm %s %s: encoding the request: %w", method, routeOf(path), err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return fmt.Errorf("templatecrm %s %s: %w", method, routeOf(path), err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // its text repeats the URL, query and all
		}
		return fmt.Errorf("templatecrm %s %s: %w", method, routeOf(path), err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("templatecrm %s %s: reading the answer: %w", method, routeOf(path), err)
	}
	if err := statusError(res, raw); err != nil {
		return fmt.Errorf("templatecrm %s %s: %w", method, routeOf(path), err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("templatecrm %s %s: decoding the answer: %w", method, routeOf(path), err)
	}
	return nil
}

// statusError maps a non-2xx answer to an adapter error with
// adapter.ResponseError, showing TemplateCRM's own message; nil for 2xx.
func statusError(res *http.Response, raw []byte) error {
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return nil
	}
	var e apiError
	_ = json.Unmarshal(raw, &e) // a body that is not JSON leaves the message empty
	return adapter.ResponseError(res, e.Error.Message)
}

func routeOf(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}
