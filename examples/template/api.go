package template

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// Adapter connects the crmbridge server to TemplateCRM. Besides the five
// methods of adapter.Adapter it implements adapter.ContactCreator,
// CallLogReader, CallLogUpdater, MessageLogger, ContactSearcher,
// AuthValidator, Manifester and LogFormatter (TestCapabilities pins the
// list; drop what your CRM cannot do). It is safe for concurrent use.
type Adapter struct {
	base string
}

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
// decodes a 2xx answer's JSON into out, when out is not nil.
// adapter.JSONClient does the work: it bounds the answer, turns other
// answers into the adapter errors the server maps to the client's messages
// (answerError), and names the method and path in errors, never the query:
// it may hold a phone number.
func (a *Adapter) do(ctx context.Context, hc *http.Client, method, path string, query url.Values, in, out any) error {
	c := adapter.JSONClient{Client: hc, BaseURL: a.base, Name: "templatecrm", MaxBody: 1 << 20, Error: answerError}
	return c.Do(ctx, method, path, query, in, out)
}

// answerError maps a non-2xx answer to an adapter error with
// adapter.ResponseError, showing TemplateCRM's own message.
func answerError(res *http.Response, raw []byte) error {
	var e apiError
	_ = json.Unmarshal(raw, &e) // a body that is not JSON leaves the message empty
	return adapter.ResponseError(res, e.Error.Message)
}
