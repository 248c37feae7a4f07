package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// NotesSQL are the statements of the cached_notes table.
type NotesSQL struct {
	// Select reads the note of user (1) and call session (2) expiring
	// after (3).
	Select string
	// Expire deletes the notes (of every user) expiring at or before bind
	// parameter 1.
	Expire string
	// Upsert stores note (3) of user (1) and call session (2) until
	// expires (4), replacing an earlier one.
	Upsert string
	// Trim deletes the notes of user (1) beyond the first limit (2) by
	// expiry, latest first.
	Trim string
}

// Notes writes the cached_notes statements. offsetAll is the clause that
// skips bind parameter 2 rows and returns all the rest: "OFFSET" for
// PostgreSQL, "LIMIT -1 OFFSET" for SQLite, which has no OFFSET without
// LIMIT.
func (d Dialect) Notes(offsetAll string) NotesSQL {
	return NotesSQL{
		Select: `SELECT note FROM cached_notes WHERE user_key = ` + d.Param(1) + ` AND session_id = ` + d.Param(2) + ` AND expires_at > ` + d.Param(3),
		Expire: `DELETE FROM cached_notes WHERE expires_at <= ` + d.Param(1),
		Upsert: `INSERT INTO cached_notes (user_key, session_id, note, expires_at) VALUES (` + d.Param(1) + `, ` + d.Param(2) + `, ` + d.Param(3) + `, ` + d.Param(4) + `)
			ON CONFLICT (user_key, session_id) DO UPDATE SET note = excluded.note, expires_at = excluded.expires_at`,
		Trim: `DELETE FROM cached_notes WHERE user_key = ` + d.Param(1) + ` AND session_id IN (
			SELECT session_id FROM cached_notes WHERE user_key = ` + d.Param(1) + `
			ORDER BY expires_at DESC, session_id ` + offsetAll + ` ` + d.Param(2) + `)`,
	}
}

// TxConn is a [Conn] that also runs statements in one transaction.
type TxConn interface {
	Conn
	// Refuse returns the error of op on a closed store, or nil.
	Refuse(op string) error
	// Begin starts a transaction whose failures it wraps with op.
	Begin(ctx context.Context, op string) (Tx, error)
}

// Tx is one transaction of a [TxConn]; its errors are wrapped like the
// Conn's.
type Tx interface {
	// Exec runs the statement q.
	Exec(ctx context.Context, q string, args ...any) error
	// Commit commits the transaction.
	Commit() error
	// Rollback ends the transaction if Commit has not; it is safe to call
	// after Commit.
	Rollback()
}

// Notes gives a store PutCachedNote and CachedNote of [store.Store].
type Notes struct {
	Conn TxConn
	SQL  NotesSQL
	// Name begins the store's own errors: "store/sqlite".
	Name string
	// Time is how the database binds an instant: SQLite stores Unix
	// microseconds, PostgreSQL the time itself.
	Time func(time.Time) any
}

// PutCachedNote keeps a note until expires, at most maxPerUser per user,
// in one transaction: expired notes (of every user) go, the note is
// written, and the user's notes expiring first beyond the limit go. The
// trim is a statement of its own because PostgreSQL's data-modifying CTEs
// see the table as it was before the statement.
func (n Notes) PutCachedNote(ctx context.Context, userKey, sessionID, note string, now, expires time.Time, maxPerUser int) error {
	const op = "put cached note"
	if err := n.Conn.Refuse(op); err != nil {
		return err
	}
	if maxPerUser < 1 {
		return fmt.Errorf("%s: %s: maxPerUser %d < 1", n.Name, op, maxPerUser)
	}
	tx, err := n.Conn.Begin(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, st := range []struct {
		q    string
		args []any
	}{
		{n.SQL.Expire, []any{n.Time(now)}},
		{n.SQL.Upsert, []any{userKey, sessionID, note, n.Time(expires)}},
		{n.SQL.Trim, []any{userKey, maxPerUser}},
	} {
		if err := tx.Exec(ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// CachedNote returns the unexpired note of (userKey, sessionID), or an
// error wrapping [store.ErrNotFound].
func (n Notes) CachedNote(ctx context.Context, userKey, sessionID string, now time.Time) (string, error) {
	const op = "cached note"
	if err := n.Conn.Refuse(op); err != nil {
		return "", err
	}
	var note string
	found, err := n.Conn.QueryRow(ctx, op, n.SQL.Select, []any{userKey, sessionID, n.Time(now)}, &note)
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("%s: %s: %w", n.Name, op, store.ErrNotFound)
	}
	return note, nil
}
