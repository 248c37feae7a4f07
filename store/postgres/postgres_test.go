package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/crmbridge/crmbridge/internal/concurrently"
	"github.com/crmbridge/crmbridge/store"
)

// schemaVersionOf reads the version row of schema.
func schemaVersionOf(t *testing.T, admin *pgx.Conn, schema string) (version, rows int) {
	t.Helper()
	q := `SELECT max(version), count(*) FROM ` + pgx.Identifier{schema, "crmbridge_schema"}.Sanitize()
	if err := admin.QueryRow(bounded(t), q).Scan(&version, &rows); err != nil {
		t.Fatalf("reading the schema version: %v", err)
	}
	return version, rows
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)

	t.Run("ConcurrentOpensOnEmptySchema", func(t *testing.T) {
		schema := newSchema(t)
		const n = 4
		stores := make([]*Store, n)
		errs := concurrently.Run(n, func(i int) error {
			s, err := Open(bounded(t), dsn, WithSchema(schema))
			stores[i] = s
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open %d: %v", i, err)
				continue
			}
			t.Cleanup(func() { stores[i].Close() })
		}
		if t.Failed() {
			return
		}
		version, rows := schemaVersionOf(t, adminConn(t), schema)
		if version != schemaVersion || rows != 1 {
			t.Errorf("crmbridge_schema holds version %d in %d rows, want %d in 1", version, rows, schemaVersion)
		}
		// Every store works on the one set of tables.
		ctx := bounded(t)
		if err := stores[0].UpsertUser(ctx, store.User{Key: "1-p", Platform: "p", CRMUserID: "1"}); err != nil {
			t.Fatal(err)
		}
		for i, s := range stores {
			if _, err := s.GetUser(ctx, "1-p"); err != nil {
				t.Errorf("store %d: GetUser: %v", i, err)
			}
		}
	})

	t.Run("ReopenIsIdempotent", func(t *testing.T) {
		schema := newSchema(t)
		ctx := bounded(t)
		s := openStore(t, dsn, schema)
		if err := s.UpsertUser(ctx, store.User{Key: "1-p", Platform: "p", CRMUserID: "1"}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		for range 2 {
			s = openStore(t, dsn, schema)
			if _, err := s.GetUser(ctx, "1-p"); err != nil {
				t.Fatalf("GetUser after reopen: %v", err)
			}
			s.Close()
		}
		version, rows := schemaVersionOf(t, adminConn(t), schema)
		if version != schemaVersion || rows != 1 {
			t.Errorf("crmbridge_schema holds version %d in %d rows, want %d in 1", version, rows, schemaVersion)
		}
	})

	t.Run("NewerSchemaIsRefused", func(t *testing.T) {
		schema := newSchema(t)
		openStore(t, dsn, schema).Close()
		admin := adminConn(t)
		ctx := bounded(t)
		if _, err := admin.Exec(ctx, `UPDATE `+pgx.Identifier{schema, "crmbridge_schema"}.Sanitize()+` SET version = version + 1`); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, dsn, WithSchema(schema))
		if err == nil {
			s.Close()
			t.Fatal("Open of a schema newer than the code succeeded")
		}
		if !errors.Is(err, ErrSchemaTooNew) || errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Open error = %v, want one wrapping ErrSchemaTooNew only", err)
		}
		version, _ := schemaVersionOf(t, admin, schema)
		if version != schemaVersion+1 {
			t.Errorf("version after the refused Open = %d, want it untouched (%d)", version, schemaVersion+1)
		}
	})

	t.Run("OddSchemaName", func(t *testing.T) {
		schema := newSchema(t) + ` "Odd" name;`
		dropSchemaLater(t, schema)
		s := openStore(t, dsn, schema)
		ctx := bounded(t)
		if err := s.UpsertUser(ctx, store.User{Key: "1-p", Platform: "p", CRMUserID: "1"}); err != nil {
			t.Fatal(err)
		}
		var n int
		q := `SELECT count(*) FROM ` + pgx.Identifier{schema, "users"}.Sanitize()
		if err := adminConn(t).QueryRow(ctx, q).Scan(&n); err != nil || n != 1 {
			t.Errorf("users in the schema: %d, %v; want 1, nil", n, err)
		}
	})

	t.Run("SchemaNameTooLong", func(t *testing.T) {
		s, err := Open(bounded(t), dsn, WithSchema(strings.Repeat("x", 64)))
		if err == nil {
			s.Close()
			t.Fatal("Open with a 64-byte schema name succeeded")
		}
	})

	t.Run("DefaultSchemaIsTheSearchPath", func(t *testing.T) {
		schema := newSchema(t)
		pathDSN := withParam(t, dsn, "search_path", pgx.Identifier{schema}.Sanitize())
		if s, err := Open(bounded(t), pathDSN); err == nil {
			s.Close()
			t.Fatal("Open succeeded although no schema of the search_path exists")
		}
		admin := adminConn(t)
		if _, err := admin.Exec(bounded(t), `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
			t.Fatal(err)
		}
		s, err := Open(bounded(t), pathDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.schema != schema {
			t.Errorf("store schema = %q, want %q", s.schema, schema)
		}
		if version, _ := schemaVersionOf(t, admin, schema); version != schemaVersion {
			t.Errorf("version = %d, want %d", version, schemaVersion)
		}
	})
}

// dropSchemaLater drops schema when the test ends.
func dropSchemaLater(t *testing.T, schema string) {
	dsn := testDSN(t)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		var left bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&left); err != nil || left {
			t.Errorf("schema %s left behind after the drop (%v)", schema, err)
		}
	})
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: the connection is refused at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s, err := Open(t.Context(), "postgres://postgres@"+addr+"/test?sslmode=disable&connect_timeout=5")
	if err == nil {
		s.Close()
		t.Fatal("Open of an unreachable server succeeded")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open error = %v, want one wrapping store.ErrUnavailable", err)
	}

	s, err = Open(t.Context(), "postgres://postgres@127.0.0.1:5432/test?sslmode=bogus")
	if err == nil {
		s.Close()
		t.Fatal("Open with an invalid DSN succeeded")
	}
	if errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open with an invalid DSN: error %v wraps ErrUnavailable, want a configuration error", err)
	}
}

func TestUnavailableClassification(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"AdminShutdown", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true},
		{"CrashShutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"CannotConnectNow", &pgconn.PgError{Code: "57P03"}, true},
		{"ConnectionFailure", &pgconn.PgError{Code: "08006"}, true},
		{"ConnectionException", &pgconn.PgError{Code: "08000"}, true},
		{"TooManyConnections", &pgconn.PgError{Code: "53300"}, true},
		{"WrappedPgError", fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"QueryCanceled", &pgconn.PgError{Code: "57014"}, false},
		{"UniqueViolation", &pgconn.PgError{Code: "23505"}, false},
		{"UndefinedTable", &pgconn.PgError{Code: "42P01"}, false},
		{"ConnectionRefused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"ConnectionReset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"BrokenPipe", fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"EOF", fmt.Errorf("receive message: %w", io.EOF), true},
		{"UnexpectedEOF", io.ErrUnexpectedEOF, true},
		{"ConnClosed", fmt.Errorf("exec: %w", pgconn.ErrConnClosed), true},
		{"NetClosed", net.ErrClosed, true},
		{"Canceled", fmt.Errorf("wait: %w", context.Canceled), false},
		{"DeadlineExceeded", context.DeadlineExceeded, false},
		{"NoRows", pgx.ErrNoRows, false},
		{"Other", errors.New("boom"), false},
		{"Nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unavailable(tc.err); got != tc.want {
				t.Errorf("unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestLockKey(t *testing.T) {
	t.Parallel()
	// The key is shared by replicas built from different versions of this
	// package during a rolling upgrade: it must never change.
	if got, want := lockKey("lock", "public", "refresh:1-testCRM"), int64(-276210228522341871); got != want {
		t.Errorf("lockKey changed: got %d, want %d; replicas of two versions would not exclude each other", got, want)
	}
	// It is FNV-1a, as hash/fnv computes it, over each part preceded by
	// its length in base-256 digits, lowest first.
	h := fnv.New64a()
	for _, part := range []string{"crmbridge", "lock", "public", strings.Repeat("n", 300)} {
		n := len(part)
		h.Write([]byte{byte(n)})
		for n >>= 8; n > 0; n >>= 8 {
			h.Write([]byte{byte(n)})
		}
		h.Write([]byte(part))
	}
	if got, want := lockKey("lock", "public", strings.Repeat("n", 300)), int64(h.Sum64()); got != want {
		t.Errorf("lockKey = %d, hash/fnv gives %d", got, want)
	}
	keys := map[int64]string{}
	for _, parts := range [][3]string{
		{"lock", "public", "refresh:1-testCRM"},
		{"lock", "public", "refresh:2-testCRM"},
		{"lock", "other", "refresh:1-testCRM"},
		{"migrate", "public", "refresh:1-testCRM"},
		{"lock", "ab", "c"},
		{"lock", "a", "bc"},
		{"lock", "", "abc"},
		{"lock", "abc", ""},
		{"lock", "", ""},
		{"migrate", "public", ""},
	} {
		k := lockKey(parts[0], parts[1], parts[2])
		if prev, dup := keys[k]; dup {
			t.Errorf("lockKey%q = lockKey%s", parts, prev)
		}
		keys[k] = fmt.Sprintf("%q", parts)
	}
	if diff := cmp.Diff(lockKey("lock", "s", "n"), lockKey("lock", "s", "n")); diff != "" {
		t.Errorf("lockKey is not deterministic: %s", diff)
	}
}
