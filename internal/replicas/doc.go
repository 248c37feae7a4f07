// Package replicas holds the tests that run crmbridge as several replicas
// behind a load balancer: two httpserver handlers, each with its own
// store/postgres pool, over one PostgreSQL database and schema, with
// requests handed to them in turn. They check the cross-process guarantees
// of PROTOCOL.md §3–§4: N concurrent identical POST /callLog create one CRM
// activity, an expired OAuth token is refreshed once for all replicas, and
// a conversation day posted to both logs each message once.
//
// The package has no code of its own, only tests. They need PostgreSQL and
// skip unless CRMBRIDGE_TEST_POSTGRES_DSN is set, for example:
//
//	CRMBRIDGE_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//		go test -race ./internal/replicas/
//
// Each test works in a schema of its own, dropped when it ends.
package replicas
