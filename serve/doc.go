// Package serve is crmbridge's main in a box: it turns adapters into a
// production server process configured the way the reference server is,
// through environment variables and flags. A third party's whole main is
//
//	func main() { serve.Main(mycrm.New()) }
//
// serve is the one package of the SDK that reads the environment; every
// other package takes its configuration as arguments. It builds the
// httpserver handler, and everything around it:
//
//   - Configuration: the variables below, each overridden by its flag;
//     every value is checked once, before anything starts, with a message
//     naming the variable (or flag) and what it accepts. -h lists them with
//     their current values; secrets show only "(set)" or "(not set)", and
//     a secret given as a flag draws a warning (flags show in the process
//     list).
//   - Keys: on SQLite, missing keys are generated once into
//     crmbridge-keys.json (mode 0600) beside the database file, so a laptop
//     needs no setup, with a warning that production must set them. On
//     PostgreSQL (several replicas sharing one database) the server refuses
//     to start until all three are set. "go run
//     github.com/crmbridge/crmbridge/cmd/crmbridge keys" prints fresh ones.
//   - Store: DATABASE_URL selects it: a file path, sqlite:PATH or
//     sqlite:file:PATH?... for the embedded SQLite (the file created with
//     mode 0600, its directory 0700), postgres:// or postgresql:// for
//     PostgreSQL.
//   - Listening: an http.Server with every limit set (MaxHeaderBytes
//     64 KiB, PROTOCOL.md §1's bound, answered 431 beyond it;
//     ReadHeaderTimeout 10 s, ReadTimeout and WriteTimeout 60 s,
//     IdleTimeout 120 s); the handler bounds bodies and each request's
//     work.
//   - Shutdown: on SIGINT or SIGTERM the server stops accepting
//     connections, lets in-flight requests finish (at most 30 s), closes
//     the handler (which retries the call-log confirmations the store could
//     not take yet) and then the store.
//   - Logging: log/slog text lines on stderr at LOG_LEVEL, buffered and
//     written out at least every 100 ms; never a token, key or JWT.
//   - Runtime: unless GOGC is set, the collector runs at GOGC=200 (the live
//     heap is small; bench/load.sh measured ~15% more requests per second),
//     and unless GOMEMLIMIT is set, with a soft memory limit of 40 MiB, which
//     keeps the process within PROTOCOL.md §1's 64 MB when hostile lookups
//     fill the bounded caches (bench/hostile).
//
// The variables keep the reference server's names, so existing deployment
// files work:
//
//	APP_HOST               -host                address to listen on (127.0.0.1)
//	PORT                   -port                port, 0-65535; 0 picks a free one (6066)
//	APP_SERVER_SECRET_KEY  -secret-key          signs session JWTs; at least 32 bytes
//	TOKEN_ENCRYPTION_KEY   -token-key           key ring sealing CRM tokens and API keys at rest
//	HASH_KEY               -hash-key            keys the telephony account hashes; keep it stable
//	DATABASE_URL           -database-url        store (crmbridge-data/crmbridge.db)
//	SERVER_URL, APP_SERVER -server-url          public absolute URL served in the manifest
//	RINGCENTRAL_SERVER     -ringcentral-server  platform that validates admins
//	LOG_LEVEL              -log-level           debug, info, warn or error (info)
//	PLAYGROUND             -playground          serve the try-it page under /playground (false)
//	METRICS_ADDR           -metrics-addr        where /metrics is served: "" the main address, host:port, or off
//
// Prometheus metrics (httpserver.WithMetrics) are served at /metrics on the
// main address unless METRICS_ADDR moves them to a listener of their own or
// turns them off. Tracing follows the standard OpenTelemetry variables: off
// unless OTEL_TRACES_EXPORTER or an OTEL_EXPORTER_OTLP_*ENDPOINT asks for
// it; spans go to an OTLP collector over HTTP/protobuf ("none" makes spans
// without exporting them); OTEL_SDK_DISABLED=true turns it off; the service
// name defaults to "crmbridge". Spans still batched are flushed at
// shutdown, for at most 5 s.
//
// The playground is a page that logs in, looks callers up and logs calls
// through the server it runs on, without the softphone: for development
// only.
//
// An adapter that needs configuration of its own (its CRM's API URL, an
// OAuth client) is Configured: its settings join the table above, checked
// and listed the same way, and serve builds it from them (OAuthAdapter
// makes the usual three of an OAuth client). An Optional one is served
// only when configured. Config.Run is Main without the process: tests give it
// arguments, an environment and writers, and learn the address from
// Process.Listening.
//
// Main exits with status 0 after a clean shutdown or -h, 2 for a mistake on
// the command line (ErrUsage) and 1 for anything else, printed first.
package serve
