package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmbridge/crmbridge/store"
)

// PutCachedNote keeps a note until expires, at most maxPerUser per user,
// in one statement: expired notes (of every user) go, the note is written,
// and the user's notes expiring first beyond the limit go.
func (s *Store) PutCachedNote(ctx context.Context, userKey, sessionID, note string, now, expires time.Time, maxPerUser int) error {
	if s.closed.Load() {
		return errClosed("put cached note")
	}
	if maxPerUser < 1 {
		return fmt.Errorf("store/postgres: put cached note: maxPerUser %d < 1", maxPerUser)
	}
	// Data-modifying CTEs see the table as it was before the statement, so
	// the trim runs as a second statement in the same transaction.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fail("put cached note", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`DELETE FROM cached_notes WHERE expires_at <= $1`, []any{now}},
		{`INSERT INTO cached_notes (user_key, session_id, note, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_key, session_id) DO UPDATE SET note = excluded.note, expires_at = excluded.expires_at`,
			[]any{userKey, sessionID, note, expires}},
		{`DELETE FROM cached_notes WHERE user_key = $1 AND session_id IN (
			SELECT session_id FROM cached_notes WHERE user_key = $1
			ORDER BY expires_at DESC, session_id OFFSET $2)`, []any{userKey, maxPerUser}},
	} {
		if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
			return s.fail("put cached note", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail("put cached note", err)
	}
	return nil
}

// CachedNote returns the unexpired note of (userKey, sessionID).
func (s *Store) CachedNote(ctx context.Context, userKey, sessionID string, now time.Time) (string, error) {
	if s.closed.Load() {
		return "", errClosed("cached note")
	}
	var note string
	err := s.pool.QueryRow(ctx, `SELECT note FROM cached_notes WHERE user_key = $1 AND session_id = $2 AND expires_at > $3`,
		userKey, sessionID, now).Scan(&note)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store/postgres: cached note: %w", store.ErrNotFound)
	}
	if err != nil {
		return "", s.fail("cached note", err)
	}
	return note, nil
}
