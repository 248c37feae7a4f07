package servertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DSNEnv names the variable holding the DSN of the test database.
const DSNEnv = "CRMBRIDGE_TEST_POSTGRES_DSN"

// DSN is the test database's DSN, "" when it is not set.
func DSN() string { return os.Getenv(DSNEnv) }

// NeedPostgres returns the DSN of the test database, or skips t when
// there is none.
func NeedPostgres(t testing.TB) string {
	t.Helper()
	dsn := DSN()
	if dsn == "" {
		t.Skip(DSNEnv + " not set: skipping the PostgreSQL tests")
	}
	return dsn
}

// NewSchema returns the name of a fresh PostgreSQL schema and drops the
// schema (which must be gone afterwards) when the test ends. Call it before
// opening stores on it: cleanups run last registered first, so the stores
// are closed before the drop. It skips t when the DSN is not set.
func NewSchema(t testing.TB) string {
	t.Helper()
	dsn := NeedPostgres(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "crmbridge_servertest_" + hex.EncodeToString(b)
	t.Cleanup(func() { dropSchema(t, dsn, schema) })
	return schema
}

// schemaFor is schema, or a new one when it is empty.
func schemaFor(t testing.TB, schema string) string {
	t.Helper()
	if schema != "" {
		NeedPostgres(t)
		return schema
	}
	return NewSchema(t)
}

func dropSchema(t testing.TB, dsn, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
	var left bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&left); err != nil || left {
		t.Errorf("schema %s left behind after the drop (%v)", schema, err)
	}
}
