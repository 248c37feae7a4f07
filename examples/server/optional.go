package main

import (
	"log/slog"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/hubspot"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/serve"
)

// pipedriveApp is served when PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET
// and PIPEDRIVE_REDIRECT_URL are set.
var pipedriveApp = whenConfigured(serve.OAuthAdapter("Pipedrive", "PIPEDRIVE", func(c serve.OAuthClient, log *slog.Logger) (adapter.Adapter, error) {
	return pipedrive.New(pipedrive.Config{OAuth: auth.Provider{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL}},
		pipedrive.WithLogger(log))
}))

// hubspotApp is served when HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and
// HUBSPOT_REDIRECT_URL are set.
var hubspotApp = whenConfigured(serve.OAuthAdapter("HubSpot", "HUBSPOT", func(c serve.OAuthClient, log *slog.Logger) (adapter.Adapter, error) {
	return hubspot.New(hubspot.Config{OAuth: auth.Provider{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL}},
		hubspot.WithLogger(log))
}))

// whenConfigured lets the server start without the adapter: the example
// serves testcrm with no setup.
func whenConfigured(c serve.Configured) serve.Configured {
	c.Optional = true
	return c
}
