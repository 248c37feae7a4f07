package serve

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
)

// Configured is an adapter built from settings the operator gives, such as
// its CRM's API URL or OAuth client: serve reads them like its own (a flag
// and an environment variable each, checked at start, listed by -h) and
// builds the adapter from them.
//
// Every setting is required: a missing one stops the start with a message
// naming it, rather than failing at a user's login. With Optional, the
// adapter is served only when some of its settings are set, and then all
// of them must be.
type Configured struct {
	// Name names the CRM in -h and messages: "Pipedrive".
	Name string
	// Settings are its configuration values; each gets a flag and an
	// environment variable like serve's own, and -h lists them.
	Settings []Setting
	// New builds the adapter from the settings' values, keyed by
	// Setting.Env, with serve's logger. serve calls it once per Run, only
	// when the adapter is enabled; an error stops the start.
	New func(values map[string]string, log *slog.Logger) (adapter.Adapter, error)
	// Optional lets the server start without the adapter when none of
	// its settings is set, as the example server does with Pipedrive.
	Optional bool
}

// Setting is one configuration value of a Configured adapter.
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

// OAuthAdapter is the Configured adapter of a CRM that logs users in with
// OAuth 2.0 through a client the deployment registers: its settings are
// envPrefix_CLIENT_ID, envPrefix_CLIENT_SECRET and envPrefix_REDIRECT_URL
// (flags -prefix-client-id, -prefix-client-secret and -prefix-redirect-url,
// in lower case), and newAdapter builds it from them. name names the CRM in
// -h and messages. Set Optional on the result to serve it only when
// configured.
//
//	serve.OAuthAdapter("Pipedrive", "PIPEDRIVE", func(c serve.OAuthClient, log *slog.Logger) (adapter.Adapter, error) {
//		return pipedrive.New(pipedrive.Config{OAuth: auth.Provider{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL}}, pipedrive.WithLogger(log))
//	})
func OAuthAdapter(name, envPrefix string, newAdapter func(OAuthClient, *slog.Logger) (adapter.Adapter, error)) Configured {
	flag := strings.ToLower(strings.ReplaceAll(envPrefix, "_", "-"))
	id, secret, redirect := envPrefix+"_CLIENT_ID", envPrefix+"_CLIENT_SECRET", envPrefix+"_REDIRECT_URL"
	return Configured{
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

// missingSettings reports the Configured adapters that lack settings,
// before anything starts: a required one with any setting unset, an
// Optional one with some set and some not.
func (c *runConfig) missingSettings(configured []Configured) error {
	var errs []error
	for _, a := range configured {
		var set, missing, all []string
		for _, s := range a.Settings {
			all = append(all, s.Env)
			if *c.configured[s.Env] != "" {
				set = append(set, s.Env)
			} else {
				missing = append(missing, s.Env)
			}
		}
		if len(missing) == 0 || (a.Optional && len(set) == 0) {
			continue
		}
		need := "needs " + joinAnd(all)
		if a.Optional {
			need += " together"
		}
		if len(set) == 0 {
			errs = append(errs, fmt.Errorf("%s %s; none of them is set", a.Name, need))
			continue
		}
		errs = append(errs, fmt.Errorf("%s %s; %s not set", a.Name, need, joinAnd(missing)+plural(len(missing), " is", " are")))
	}
	return errors.Join(errs...)
}

// buildConfigured builds the Configured adapters the configuration
// enables (missingSettings has refused the incomplete ones).
func (c Config) buildConfigured(cfg runConfig, log *slog.Logger) ([]adapter.Adapter, error) {
	var out []adapter.Adapter
	for _, a := range c.Configured {
		values := map[string]string{}
		for _, s := range a.Settings {
			if v := *cfg.configured[s.Env]; v != "" {
				values[s.Env] = v
			}
		}
		if len(values) == 0 && a.Optional {
			continue
		}
		built, err := a.New(values, log)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
		out = append(out, built)
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
