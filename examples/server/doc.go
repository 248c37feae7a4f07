// Command server is the crmbridge example server: the testcrm sample adapter
// (and Pipedrive and HubSpot, when configured) behind the full wire protocol,
// on SQLite by default.
//
//	go run ./examples/server
//
// It listens on 127.0.0.1:6066 and keeps its data in ./crmbridge-data.
// Everything else is package serve's: the flags (-h) and environment
// variables (APP_HOST, PORT, APP_SERVER_SECRET_KEY, DATABASE_URL,
// TOKEN_ENCRYPTION_KEY, HASH_KEY, ...), the keys generated on a laptop
// and required on PostgreSQL, timeouts and graceful shutdown, /metrics
// (METRICS_ADDR) and tracing (OTEL_*). Fresh keys come from
// "go run ./cmd/crmbridge keys".
package main
