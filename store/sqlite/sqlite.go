package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/internal/sqlstore"
)

// busyTimeout is how long a connection waits for SQLite's single write lock
// before giving up with SQLITE_BUSY. Writes here take microseconds, so five
// seconds only runs out when something holds the database for far too long.
const busyTimeout = 5 * time.Second

// maxOpenConns bounds the pool of a file database. SQLite serialises writers
// anyway; a small pool makes surplus goroutines queue in database/sql instead
// of spinning in SQLite's busy handler, and keeps per-connection caches few.
const maxOpenConns = 8

// Store is a [store.Store] kept in one SQLite database file. It is safe for
// concurrent use by many goroutines of ONE process: [Store.Lock] is an
// in-process lock, so two processes (or two Stores opened on the same file)
// do not exclude each other. Use store/postgres for several replicas.
//
// Its reservation methods (ReserveCallLog, ConfirmCallLog, ReleaseCallLog,
// ReserveMessage, ConfirmMessage, ReleaseMessage) and settings methods
// (UserSettings, PutUserSettings, AdminSettings, PutAdminSettings,
// PutCachedNote, CachedNote) are those of [store.Store]; a reservation is
// one atomic statement, its lease measured on the store's clock
// ([WithClock]).
type Store struct {
	// sharedSlots, sharedSettings and sharedNotes are the reservation,
	// settings and cached-note methods of store.Store on this store's
	// tables, embedded unexported so that callers see the methods but
	// cannot reach the statements.
	sharedSlots
	sharedSettings
	sharedNotes

	db     *sql.DB
	log    *slog.Logger
	now    func() time.Time
	locks  locks
	stmts  stmts
	closed atomic.Bool
	file   *fileWatch // nil for an in-memory database
}

// ErrFileGone reports that the database file was removed or replaced by
// another file while the store had it open: SQLite would go on writing into
// the unlinked file, and everything written would be lost at the next
// start. Errors wrapping it also wrap [store.ErrUnavailable] (the server
// answers 503); only a restart, on the file that is there now, recovers.
var ErrFileGone = errors.New("store/sqlite: the database file was removed or replaced while open; restart the program")

// fileWatch remembers which file the database is, to notice when the path
// no longer leads to it.
type fileWatch struct {
	path string
	info os.FileInfo
	gone atomic.Bool
}

// checkFile fails with ErrFileGone once the path no longer names the file
// opened (one stat system call, about a microsecond). The first failure is
// logged at ERROR; later ones only fail.
func (s *Store) checkFile() error {
	w := s.file
	if w == nil {
		return nil
	}
	if !w.gone.Load() {
		fi, err := os.Stat(w.path)
		if err == nil && os.SameFile(fi, w.info) {
			return nil
		}
		if w.gone.CompareAndSwap(false, true) {
			reason := "replaced by another file"
			if err != nil {
				reason = err.Error()
			}
			s.log.Error("the SQLite database file was removed or replaced while the server runs; every request now fails until a restart",
				slog.String("file", w.path), slog.String("reason", reason))
		}
	}
	return fmt.Errorf("%w: %s", ErrFileGone, w.path)
}

var _ store.Store = (*Store)(nil)

// Option configures [Open].
type Option func(*options)

type options struct {
	log *slog.Logger
	now func() time.Time
}

// WithLogger sets where the store reports schema migrations. The default
// discards everything. The store never logs credentials or user data.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithClock sets the clock used for CreatedAt, UpdatedAt and reservation
// leases. The default is time.Now. Tests use it to expire a lease without
// sleeping.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// Open opens (creating it if needed) the SQLite database at path and brings
// its schema up to date. path is a file path ("data/crmbridge.db"), a "file:"
// URI ("file:crmbridge.db?mode=rwc"), or ":memory:".
//
// Every pooled connection runs with WAL journaling, synchronous=NORMAL (a
// committed write survives a crash of the process; an OS crash may lose the
// last transactions but never corrupts the file), a busy timeout and foreign
// keys on.
//
// An in-memory database (":memory:", "mode=memory" or "vfs=memdb") exists
// only inside one connection, so the pool is limited to a single connection:
// concurrent calls queue, and the data is gone after [Store.Close]. Use it
// for tests and demos only.
//
// Open fails with an error wrapping [ErrSchemaTooNew] when the database was
// migrated by a newer version of this package.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	dsn, memory, err := buildDSN(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: open: %w", err)
	}
	if memory {
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
	} else {
		db.SetMaxOpenConns(maxOpenConns)
		db.SetMaxIdleConns(maxOpenConns)
	}
	s := &Store{db: db, log: o.log, now: o.now}
	s.sharedSlots = sharedSlots{CallLogs: newSlot(s, sqlstore.CallLogTable), Messages: newSlot(s, sqlstore.MessageTable)}
	s.sharedSettings = sharedSettings{Conn: conn{s}, User: dialect.Doc(sqlstore.UserSettingsTable), Admin: dialect.Doc(sqlstore.AdminSettingsTable)}
	s.sharedNotes = sharedNotes{Conn: conn{s}, SQL: dialect.Notes("LIMIT -1 OFFSET"), Name: "store/sqlite", Time: func(t time.Time) any { return t.UnixMicro() }}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store/sqlite: open: %w: %w", store.ErrUnavailable, err)
	}
	if file, ok := FilePath(path); ok && !memory {
		// The ping created the file if it was missing.
		fi, err := os.Stat(file)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store/sqlite: open: %w: %w", store.ErrUnavailable, err)
		}
		s.file = &fileWatch{path: file, info: fi}
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that the database answers and its file is still the one
// opened.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.checkFile(); err != nil {
		return unavailable("ping", err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		return unavailable("ping", err)
	}
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close closes the database. Every later call fails with an error wrapping
// [store.ErrUnavailable]. Closing twice is harmless.
func (s *Store) Close() error {
	s.closed.Store(true)
	s.closeStmts()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store/sqlite: close: %w", err)
	}
	return nil
}

// unavailable wraps a database failure. Every error the driver returns for
// these statements is a fault of the database (closed, busy for too long,
// I/O, full disk, cancelled context), never of the caller's input.
func unavailable(op string, err error) error {
	return fmt.Errorf("store/sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
}

// micros stores an instant as integer Unix microseconds; the zero time is
// stored as NULL so that "unknown" survives the round trip.
func micros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromMicros is the inverse of micros; times come back in UTC.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// blob stores an empty byte slice as NULL: a sealed credential or a JSON
// document is never empty, so empty and nil both mean "absent" and read
// back as nil.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

var errEmptyID = errors.New("store/sqlite: empty id")

var errStoreClosed = errors.New("store closed")

// Aliases give the embedded shared code unexported field names.
type (
	sharedSlots    = sqlstore.Slots
	sharedSettings = sqlstore.Settings
	sharedNotes    = sqlstore.Notes
)
