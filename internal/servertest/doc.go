// Package servertest builds the real server for a test: the one harness of
// every suite that talks HTTP to crmbridge (httpserver's own tests, the
// replicas, adaptertest, the example adapters' end-to-end tests, serve).
//
// [New] starts an [httpserver.Server] with the caller's adapters over a
// store of its own — SQLite in t.TempDir by default, PostgreSQL in a fresh
// schema when [Config.Postgres] is set (the test is skipped when
// CRMBRIDGE_TEST_POSTGRES_DSN is unset) — with a session JWT issuer and a
// sealing key, behind an [httptest.Server]:
//
//	s := servertest.New(t, servertest.Config{Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())}})
//	jwt := s.LoginAPIKey("testcrm", "key-1", "acme.testcrm.local")
//	r := s.Do("GET", "/contact?phoneNumber=+16505551212", nil, servertest.Bearer(jwt)...)
//	if !r.Envelope(t).Successful { ... }
//
// Every answer a [Server] receives is checked against crmbridge's own
// OpenAPI document and, when it is available, against the reference
// contract (internal/contracttest), so no suite can forget the contract
// check.
package servertest
