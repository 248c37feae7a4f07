package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/internal/sqlstore"
)

// Store is a [store.Store] kept in a PostgreSQL database. Any number of
// Stores, in any number of processes, may share one database (and schema):
// reservations, conversation ids and [Store.Lock] exclude each other
// through the database. A Store is safe for concurrent use.
//
// Its reservation methods (ReserveCallLog, ConfirmCallLog, ReleaseCallLog,
// ReserveMessage, ConfirmMessage, ReleaseMessage) and settings methods
// (UserSettings, PutUserSettings, AdminSettings, PutAdminSettings,
// PutCachedNote, CachedNote) are those of [store.Store]. Concurrent
// reservations of one slot from any number of processes elect exactly one
// winner; a pending slot whose lease has run out on the database clock is
// taken over by exactly one caller; a negative lease counts as zero.
type Store struct {
	// sharedSlots, sharedSettings and sharedNotes are the reservation,
	// settings and cached-note methods of store.Store on this store's
	// tables, embedded unexported so that callers see the methods but
	// cannot reach the statements.
	sharedSlots
	sharedSettings
	sharedNotes

	pool   *pgxpool.Pool // every statement except Lock
	locks  *pgxpool.Pool // connections that hold advisory locks
	log    *slog.Logger
	schema string // the schema the tables live in, resolved at Open
	local  localLocks
	held   heldLocks
	closed atomic.Bool
	// closing is cancelled by Close to end lock waits, which would
	// otherwise keep their connections, and so Close, until granted.
	closing     context.Context
	stopClosing context.CancelFunc
}

var _ store.Store = (*Store)(nil)

// Option configures [Open].
type Option func(*options)

type options struct {
	schema    string
	log       *slog.Logger
	lockConns int32
}

// defaultLockConns bounds the connections that hold or wait for advisory
// locks. Waiters of one name queue inside the process first, so this is the
// number of distinct names locked at once, not the number of waiters.
const defaultLockConns = 8

// WithSchema keeps every table in the named schema, created at Open if
// missing, by setting each connection's search_path to that schema alone.
// Without it the tables go into the first schema of the connection's own
// search_path (normally "public"). Locks are scoped to the schema, so two
// deployments in two schemas of one database never wait for each other.
func WithSchema(name string) Option {
	return func(o *options) { o.schema = name }
}

// WithLogger sets where the store reports schema migrations and lock
// connections it had to discard. The default discards everything. The store
// never logs credentials, user data or the DSN.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithLockConns bounds the connections [Store.Lock] holds at once (default
// 8). They form a pool of their own, apart from the one that serves every
// other method, so that a lock holder can always get a connection for its
// work however many callers wait for locks. Values below 1 are ignored.
func WithLockConns(n int) Option {
	return func(o *options) {
		if n >= 1 {
			o.lockConns = int32(min(n, 1<<20))
		}
	}
}

// ErrSchemaTooNew reports that the database was migrated by a newer version
// of this package than the running one. Upgrade the program, or restore a
// backup taken before the upgrade; downgrading a schema is not supported.
var ErrSchemaTooNew = errors.New("store/postgres: database schema is newer than this program")

// maxIdentifier is PostgreSQL's longest identifier in bytes; longer names
// would be truncated silently, and two long names could meet.
const maxIdentifier = 63

// Open connects to PostgreSQL and brings the schema up to date. dsn is a
// standard connection string, URL ("postgres://user@host:5432/db?sslmode=disable")
// or keyword/value ("host=... dbname=..."); pool settings such as
// pool_max_conns are honoured by the main pool.
//
// Any number of processes may call Open on the same database at once: the
// migration runs in one transaction under an advisory lock, so exactly one
// of them applies each step and the others find it done. Open fails with an
// error wrapping [ErrSchemaTooNew] when the schema is newer than this code,
// and with one wrapping [store.ErrUnavailable] when the database cannot be
// reached.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{log: slog.New(slog.DiscardHandler), lockConns: defaultLockConns}
	for _, opt := range opts {
		opt(&o)
	}
	if len(o.schema) > maxIdentifier {
		return nil, fmt.Errorf("store/postgres: schema name is longer than %d bytes", maxIdentifier)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error redacts the password.
		return nil, fmt.Errorf("store/postgres: open: %w", err)
	}
	if o.schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	lockCfg := cfg.Copy()
	lockCfg.MaxConns = o.lockConns
	lockCfg.MinConns = 0
	lockCfg.MinIdleConns = 0
	// A waiter whose context ends must leave its connection clean: the
	// server is asked to cancel the wait (the answer proves no lock was
	// granted) instead of the socket being cut, which would leave the
	// backend queued for the lock until it is granted.
	lockCfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: lockCancelGrace}
	}

	s := &Store{log: o.log}
	s.sharedSlots = sharedSlots{CallLogs: newSlot(s, sqlstore.CallLogTable), Messages: newSlot(s, sqlstore.MessageTable)}
	s.sharedSettings = sharedSettings{Conn: conn{s}, User: dialect.Doc(sqlstore.UserSettingsTable), Admin: dialect.Doc(sqlstore.AdminSettingsTable)}
	s.sharedNotes = sharedNotes{Conn: conn{s}, SQL: dialect.Notes("OFFSET"), Name: "store/postgres", Time: func(t time.Time) any { return t }}
	s.closing, s.stopClosing = context.WithCancel(context.Background())
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		s.stopClosing()
		return nil, fmt.Errorf("store/postgres: open: %w", err)
	}
	if s.locks, err = pgxpool.NewWithConfig(ctx, lockCfg); err != nil {
		s.stopClosing()
		s.pool.Close()
		return nil, fmt.Errorf("store/postgres: open: %w", err)
	}
	if err := s.open(ctx, o.schema); err != nil {
		s.stopClosing()
		s.pool.Close()
		s.locks.Close()
		return nil, err
	}
	return s, nil
}

// open resolves the schema and migrates it.
func (s *Store) open(ctx context.Context, schema string) error {
	if schema == "" {
		var current *string
		if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
			return s.fail("open", err)
		}
		if current == nil {
			return errors.New("store/postgres: open: no schema of the search_path exists; create one or use WithSchema")
		}
		schema = *current
		s.schema = schema
		return s.migrate(ctx, false)
	}
	s.schema = schema
	return s.migrate(ctx, true)
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed("ping")
	}
	if err := s.pool.Ping(ctx); err != nil {
		return s.fail("ping", err)
	}
	return nil
}

// Close closes both pools. It ends lock waits, releases the locks still
// held (by closing their connections; a later unlock does nothing) and
// waits for other calls in progress to finish. Every later call fails with
// an error wrapping [store.ErrUnavailable]. Closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.stopClosing()
	s.releaseHeld()
	s.pool.Close()
	s.locks.Close()
	return nil
}

func errClosed(op string) error {
	return fmt.Errorf("store/postgres: %s: %w: store is closed", op, store.ErrUnavailable)
}

// fail wraps a driver error for op, adding [store.ErrUnavailable] when the
// database, not the caller, is at fault.
func (s *Store) fail(op string, err error) error {
	if s.closed.Load() || unavailable(err) {
		return fmt.Errorf("store/postgres: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("store/postgres: %s: %w", op, err)
}

// unavailable reports whether err means the database cannot be reached or
// has stopped serving this connection:
//
//   - the connection could not be made (refused, DNS, TLS, authentication);
//   - the connection broke (reset, closed, EOF, a network error);
//   - the server ended the session: SQLSTATE class 08 (connection
//     exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
//     57P03 cannot_connect_now, or class 53 (out of connections, memory
//     or disk).
//
// An ended context is the caller's doing and is not unavailability, even
// when the driver reports it as a network timeout.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch c := pgErr.Code; {
		case len(c) == 5 && (c[:2] == "08" || c[:2] == "53"):
			return true
		case c == "57P01", c == "57P02", c == "57P03":
			return true
		}
		// Any other server error is about the statement. A connect error
		// wrapping it (bad password, unknown database) is checked below.
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) ||
		errors.As(err, &netErr) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// lockCancelGrace is how long a lock connection waits for the server to
// honour a cancel request before the socket is cut.
const lockCancelGrace = 5 * time.Second

// timestamptz converts an instant for a nullable timestamptz column: the
// zero time is NULL, so that "unknown" survives the round trip.
func timestamptz(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// bytea stores an empty byte slice as NULL: a sealed credential or a JSON
// document is never empty, so empty and nil both mean "absent" and read
// back as nil.
func bytea(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

var errEmptyID = errors.New("store/postgres: empty id")

// conn runs the shared statements (sqlstore.Conn) on the pool; they read
// the database clock.
type conn struct{ s *Store }

func (c conn) QueryRow(ctx context.Context, op, q string, args []any, dest ...any) (bool, error) {
	if c.s.closed.Load() {
		return false, errClosed(op)
	}
	err := c.s.pool.QueryRow(ctx, q, args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, c.s.fail(op, err)
	}
	return true, nil
}

func (c conn) Exec(ctx context.Context, op, q string, args ...any) error {
	if c.s.closed.Load() {
		return errClosed(op)
	}
	if _, err := c.s.pool.Exec(ctx, q, args...); err != nil {
		return c.s.fail(op, err)
	}
	return nil
}

func (c conn) Stamp() []any { return nil }

func (c conn) Refuse(op string) error {
	if c.s.closed.Load() {
		return errClosed(op)
	}
	return nil
}

func (c conn) Begin(ctx context.Context, op string) (sqlstore.Tx, error) {
	tx, err := c.s.pool.Begin(ctx)
	if err != nil {
		return nil, c.s.fail(op, err)
	}
	return pgTx{s: c.s, op: op, tx: tx, ctx: context.WithoutCancel(ctx)}, nil
}

// pgTx is a transaction of the shared statements (sqlstore.Tx); it rolls
// back even when the caller's context is done.
type pgTx struct {
	s   *Store
	op  string
	tx  pgx.Tx
	ctx context.Context
}

func (t pgTx) Exec(ctx context.Context, q string, args ...any) error {
	if _, err := t.tx.Exec(ctx, q, args...); err != nil {
		return t.s.fail(t.op, err)
	}
	return nil
}

func (t pgTx) Commit() error {
	if err := t.tx.Commit(t.ctx); err != nil {
		return t.s.fail(t.op, err)
	}
	return nil
}

func (t pgTx) Rollback() { t.tx.Rollback(t.ctx) }

// Aliases give the embedded shared code unexported field names.
type (
	sharedSlots    = sqlstore.Slots
	sharedSettings = sqlstore.Settings
	sharedNotes    = sqlstore.Notes
)
