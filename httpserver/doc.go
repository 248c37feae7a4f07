// Package httpserver is the crmbridge server: an http.Handler that speaks the
// whole wire protocol of the softphone client (PROTOCOL.md) on top of one or
// more CRM adapters.
//
// It owns everything around the adapter: session JWTs (header or jwtToken
// query, sliding renewal in X-Refreshed-JWT-Token), API-key and OAuth login,
// token refresh and sealed storage, phone parsing and overridingFormat
// candidates, idempotent call and message logging (reserve, call the CRM,
// confirm or release), CORS, body limits, per-request timeouts, panic
// recovery, one structured log line per request, and the single mapping from
// adapter errors to responses. It also keeps each user's settings (merged
// over the adapter's defaults and the admin-managed settings of the user's
// telephony account, whose admins it validates with RingCentral), the notes
// cached during a call, and answers 404 text/plain "Not found" for every
// route it does not serve.
//
// A contact lookup's real matches are reused for a short time
// (WithContactCacheTTL, default 60 s): the client looks the same number up
// several times per call, and exact-match CRMs charge a rate-limited search
// for each. The cache is per user and per effective phone formats, never
// holds a no-match answer or an error, forgets a user's entries when the
// user creates a contact, logs a call to a contact it did not list, or logs
// out, and lives in this process (replicas over PostgreSQL each keep their
// own). ContactCacheStats reports its hits and misses.
//
// Work per request is bounded (PROTOCOL.md §1): phoneNumber at most 64 bytes,
// overridingFormat at most 16 patterns of 64 bytes, at most 100 sessionIds
// and 1,000 messages, bodies of WithBodyLimit; the listening http.Server
// bounds the headers (package serve sets MaxHeaderBytes to 64 KiB). The
// client's query parameters are read by one lenient reader (a stray '%' or
// a ';' is kept as typed), and every decoded body passes one edge
// validation: NUL bytes, invalid UTF-8, non-finite numbers, durations over
// 10 days and times outside the years 2000-2100 are refused with 400
// text/plain naming the field before any store or adapter sees them. 503 is
// answered only when the store cannot be reached.
//
// To run it as a program, use package serve, which builds this handler
// from the environment and flags and adds the listening server's timeouts
// and limits, graceful shutdown, the store and the keys:
//
//	func main() { serve.Main(mycrm.New()) }
//
// To mount it in a server of your own, New takes what serve would have
// built. The JWT secret, the sealing key ring and the hash key must stay the
// same across restarts and replicas (crmbridge keys prints fresh ones):
// without WithHashKey, admin settings are orphaned at every start. Close
// the handler after the HTTP server stops and before the store:
//
//	srv, err := httpserver.New(httpserver.Config{
//		Adapters:    []adapter.Adapter{mycrm.New()},
//		Store:       st,      // sqlite.Open or postgres.Open
//		JWTIssuer:   jwts,    // auth.NewJWTIssuer(secret)
//		SealingKeys: sealing, // auth.ParseSealingKeyRing(...)
//	}, httpserver.WithLogger(log),
//		httpserver.WithHashKey(hashKey)) // HASH_KEY: the same on every start and replica
//	if err != nil {
//		return err
//	}
//	defer srv.Close()
//	mux.Handle("/crm/", http.StripPrefix("/crm", srv))
//
// The handler works under a path prefix (http.StripPrefix) and behind any
// router.
//
// Operations: GET /isAlive (liveness), GET /readyz (readiness: the store
// answers), GET /openapi.json (the document of every route, with exact
// shapes), Prometheus metrics with WithMetrics (see Metrics) and
// OpenTelemetry traces with WithTracerProvider. Both are off by default and
// then cost nothing.
package httpserver
