// Package postgres is the [store.Store] for several crmbridge replicas
// behind a load balancer: they share one PostgreSQL database, and every
// guarantee of the store contract holds across processes. It uses
// github.com/jackc/pgx/v5 with connection pools.
//
// The smallest use:
//
//	s, err := postgres.Open(ctx, "postgres://crmbridge@db:5432/crm?sslmode=require",
//		postgres.WithSchema("crmbridge"))
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//
// # Schema
//
// [Open] creates the tables (and with [WithSchema] the schema) and migrates
// them: numbered migrations applied in one transaction that first takes
// pg_advisory_xact_lock, so replicas starting together neither race nor
// half-apply a step. The version is kept in the table crmbridge_schema; a
// database migrated by a newer version of this package is refused with
// [ErrSchemaTooNew]. [WithSchema] sets each connection's search_path to the
// schema alone, which keeps deployments (and test runs) in one database
// apart.
//
// # Exactly once across replicas
//
// Reservations are single INSERT ... ON CONFLICT DO UPDATE ... WHERE
// statements on the (user, id) primary key: the insert claims a free slot,
// and the conflict branch takes over a pending slot only when its lease has
// run out, atomically, under the row lock PostgreSQL takes. No decision is
// made on a row read earlier. Leases and timestamps use the database clock,
// the one clock every replica shares. Conversation ids are an INSERT ... ON
// CONFLICT DO NOTHING, then a read of the winner's row.
//
// # Locks
//
// [Store.Lock] is a session-level advisory lock (pg_advisory_lock) on a
// 64-bit FNV-1a key of the schema and lock name, held by a connection from
// a separate lock pool (see [WithLockConns]) for as long as the lock is
// held; callers of one process queue for a name before taking a
// connection. If a replica dies or its connection breaks, PostgreSQL ends
// the session and so releases the lock. A wait cut short by the caller's
// context is cancelled on the server and leaves the connection clean.
// Session-level locks need a session: behind PgBouncer use session
// pooling, not transaction pooling.
//
// # Errors and types
//
// Missing rows wrap [store.ErrNotFound]. A connection that cannot be made
// or breaks (refused, reset, closed), a server shutting down or
// terminating the session (SQLSTATE class 08, 57P01 to 57P03), a server out
// of resources (class 53) and a closed store wrap [store.ErrUnavailable];
// the server answers 503. The pool replaces dead connections by itself, so
// the store works again as soon as the database does, without reopening.
// A call cut short by its own context wraps the context's error instead.
//
// Times are timestamptz (microsecond precision) and come back in UTC;
// sealed credentials and the adapter's Extra are bytea, kept byte for byte.
package postgres
