package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dsnEnv names the variable holding the DSN of the test database. Tests
// that need PostgreSQL skip when it is unset; .ci/run sets it.
const dsnEnv = "CRMBRIDGE_TEST_POSTGRES_DSN"

// testDSN returns the DSN of the test database or skips the test.
func testDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		tb.Skip(dsnEnv + " not set: skipping PostgreSQL tests")
	}
	return dsn
}

// withParam adds a connection parameter to a URL DSN.
func withParam(tb testing.TB, dsn, key, value string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("%s must be a postgres:// URL to add %s", dsnEnv, key)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// randomName returns prefix followed by 16 random hex digits.
func randomName(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newSchema returns a fresh schema name and drops that schema when the
// test ends. Register it before opening stores on it: cleanups run last
// registered first, so the stores are closed before the drop.
func newSchema(tb testing.TB) string {
	tb.Helper()
	dsn := testDSN(tb)
	schema := randomName("crmbridge_test_")
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
		var left bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&left); err != nil || left {
			tb.Errorf("schema %s left behind after the drop (%v)", schema, err)
		}
	})
	return schema
}

// openStore opens a store on schema with dsn and closes it when the test
// ends.
func openStore(tb testing.TB, dsn, schema string, opts ...Option) *Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn, append([]Option{WithSchema(schema)}, opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// adminConn is a plain connection for inspecting and sabotaging the
// database behind the store's back.
func adminConn(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN(tb))
	if err != nil {
		tb.Fatalf("admin connection: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// bounded returns a context that turns a hang into a failure, far above
// anything a working store needs.
func bounded(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}
