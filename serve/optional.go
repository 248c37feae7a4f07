package serve

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
)

// Optional is an adapter the operator turns on by configuration. It is
// enabled when any of its settings is set, and then every one of them
// must be: a half-configured adapter stops the start with a message naming
// the missing variables, rather than failing at a user's login.
type Optional struct {
	// Name names the CRM in -h and messages: "Pipedrive".
	Name string
	// Settings are its configuration values; each gets a flag and an
	// environment variable like serve's own, and -h lists them.
	Settings []Setting
	// New builds the adapter from the settings' values, keyed by
	// Setting.Env, with serve's logger. serve calls it once per Run, only
	// when the adapter is enabled; an error stops the start.
	New func(values map[string]string, log *slog.Logger) (adapter.Adapter, error)
}

// Setting is one configuration value of an Optional adapter.
type Setting struct {
	// Flag is the flag's name without the dash: "pipedrive-client-id".
	Flag string
	// Env is the environment variable: "PIPEDRIVE_CLIENT_ID". The flag
	// overrides it.
	Env string
	// Usage is the line -h shows for it.
	Usage string
	// Secret keeps the value out of -h (which shows "(set)" or "(not
	// set)") and warns when it is given as a flag, which other local
	// users can read in the process list.
	Secret bool
	// URL requires an absolute http(s) URL; anything else stops the start.
	URL bool
}

// OAuthClient is an OAuth 2.0 client registered with a CRM: what
// OAuthAdapter reads from the environment.
type OAuthClient struct {
	ClientID     string // PREFIX_CLIENT_ID
	ClientSecret string // PREFIX_CLIENT_SECRET
	RedirectURL  string // PREFIX_REDIRECT_URL, an absolute http(s) URL
}

// OAuthAdapter is the Optional adapter of a CRM that logs users in with
// OAuth 2.0: it is enabled by envPrefix_CLIENT_ID, envPrefix_CLIENT_SECRET
// and envPrefix_REDIRECT_URL together (flags -prefix-client-id,
// -prefix-client-secret and -prefix-redirect-url, in lower case), and
// newAdapter builds it from them. name names the CRM in -h and messages.
//
//	serve.OAuthAdapter("Pipedrive", "PIPEDRIVE", func(c serve.OAuthClient, log *slog.Logger) (adapter.Adapter, error) {
//		return pipedrive.New(pipedrive.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL}, pipedrive.WithLogger(log))
//	})
func OAuthAdapter(name, envPrefix string, newAdapter func(OAuthClient, *slog.Logger) (adapter.Adapter, error)) Optional {
	flag := strings.ToLower(strings.ReplaceAll(envPrefix, "_", "-"))
	id, secret, redirect := envPrefix+"_CLIENT_ID", envPrefix+"_CLIENT_SECRET", envPrefix+"_REDIRECT_URL"
	return Optional{
		Name: name,
		Settings: []Setting{
			{Flag: flag + "-client-id", Env: id, Usage: "enables the " + name + " adapter"},
			{Flag: flag + "-client-secret", Env: secret, Usage: name + " OAuth client secret", Secret: true},
			{Flag: flag + "-redirect-url", Env: redirect, Usage: name + " OAuth redirect URL, absolute", URL: true},
		},
		New: func(v map[string]string, log *slog.Logger) (adapter.Adapter, error) {
			return newAdapter(OAuthClient{ClientID: v[id], ClientSecret: v[secret], RedirectURL: v[redirect]}, log)
		},
	}
}

// incompleteOptional reports the Optional adapters that have some of their
// settings but not all, before anything starts.
func (c *runConfig) incompleteOptional(optional []Optional) error {
	var errs []error
	for _, o := range optional {
		var set, missing, all []string
		for _, s := range o.Settings {
			all = append(all, s.Env)
			if *c.optional[s.Env] != "" {
				set = append(set, s.Env)
			} else {
				missing = append(missing, s.Env)
			}
		}
		if len(set) > 0 && len(missing) > 0 {
			errs = append(errs, fmt.Errorf("%s needs %s together; %s not set", o.Name, joinAnd(all),
				joinAnd(missing)+plural(len(missing), " is", " are")))
		}
	}
	return errors.Join(errs...)
}

// enabledOptional builds the Optional adapters the configuration enables
// (validate has refused the half-configured ones).
func (c Config) enabledOptional(cfg runConfig, log *slog.Logger) ([]adapter.Adapter, error) {
	var out []adapter.Adapter
	for _, o := range c.Optional {
		values := map[string]string{}
		for _, s := range o.Settings {
			if v := *cfg.optional[s.Env]; v != "" {
				values[s.Env] = v
			}
		}
		if len(values) == 0 {
			continue
		}
		a, err := o.New(values, log)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Name, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// joinAnd lists names as "A", "A and B" or "A, B and C".
func joinAnd(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
