// Package sqlite is the embedded [store.Store]: one SQLite database file,
// no server to run, pure Go (modernc.org/sqlite, no cgo). It is the default
// store of a single crmbridge server process; use store/postgres when
// several replicas share a database.
//
// The smallest use:
//
//	s, err := sqlite.Open(ctx, "crmbridge.db")
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//
// [Open] creates the file if needed and migrates its schema; a database
// written by a newer version of this package is refused with
// [ErrSchemaTooNew]. Connections use WAL journaling (readers never wait for
// the writer), synchronous=NORMAL and a busy timeout, so many goroutines can
// write at once without SQLITE_BUSY errors.
//
// Reservations are single INSERT ... ON CONFLICT statements: SQLite's write
// lock makes each one atomic, so 50 concurrent Reserve calls for one call
// session elect exactly one winner.
//
// Single process: [Store.Lock] is an in-process lock. Open one Store per
// database file and share it; a second process, or a second Store on the
// same file, would not be excluded by it.
//
// Times are stored as integer Unix microseconds and read back in UTC.
// Failures of the database wrap [store.ErrUnavailable]; missing rows wrap
// [store.ErrNotFound].
package sqlite
