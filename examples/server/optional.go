package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/hubspot"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/postgres"
)

// openPostgres opens the PostgreSQL store, for several replicas sharing one
// database.
func openPostgres(ctx context.Context, dsn string, log *slog.Logger) (store.Store, error) {
	return postgres.Open(ctx, dsn, postgres.WithLogger(log))
}

// optionalAdapters returns the adapters enabled by configuration: Pipedrive
// and HubSpot, each when its OAuth client is configured.
func optionalAdapters(cfg config, log *slog.Logger) ([]adapter.Adapter, error) {
	var out []adapter.Adapter
	if pd := cfg.Pipedrive; pd.ClientID != "" || pd.ClientSecret != "" || pd.RedirectURL != "" {
		if pd.ClientID == "" || pd.ClientSecret == "" || pd.RedirectURL == "" {
			return nil, errors.New("Pipedrive needs PIPEDRIVE_CLIENT_ID, PIPEDRIVE_CLIENT_SECRET and PIPEDRIVE_REDIRECT_URL together")
		}
		a, err := pipedrive.New(pipedrive.Config{
			ClientID:     pd.ClientID,
			ClientSecret: pd.ClientSecret,
			RedirectURL:  pd.RedirectURL,
		}, pipedrive.WithLogger(log))
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if hs := cfg.HubSpot; hs.ClientID != "" || hs.ClientSecret != "" || hs.RedirectURL != "" {
		if hs.ClientID == "" || hs.ClientSecret == "" || hs.RedirectURL == "" {
			return nil, errors.New("HubSpot needs HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and HUBSPOT_REDIRECT_URL together")
		}
		a, err := hubspot.New(hubspot.Config{
			ClientID:     hs.ClientID,
			ClientSecret: hs.ClientSecret,
			RedirectURL:  hs.RedirectURL,
		}, hubspot.WithLogger(log))
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
