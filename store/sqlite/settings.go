package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// PutCachedNote keeps a note until expires, at most maxPerUser per user,
// in one transaction: expired notes (of every user) go first, then the
// user's notes expiring first beyond the limit.
func (s *Store) PutCachedNote(ctx context.Context, userKey, sessionID, note string, now, expires time.Time, maxPerUser int) error {
	if s.closed.Load() {
		return unavailable("put cached note", errStoreClosed)
	}
	if maxPerUser < 1 {
		return fmt.Errorf("store/sqlite: put cached note: maxPerUser %d < 1", maxPerUser)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable("put cached note", err)
	}
	defer tx.Rollback()
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`DELETE FROM cached_notes WHERE expires_at <= ?`, []any{now.UnixMicro()}},
		{`INSERT INTO cached_notes (user_key, session_id, note, expires_at) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (user_key, session_id) DO UPDATE SET note = excluded.note, expires_at = excluded.expires_at`,
			[]any{userKey, sessionID, note, expires.UnixMicro()}},
		{`DELETE FROM cached_notes WHERE user_key = ?1 AND session_id IN (
			SELECT session_id FROM cached_notes WHERE user_key = ?1
			ORDER BY expires_at DESC, session_id LIMIT -1 OFFSET ?2)`, []any{userKey, maxPerUser}},
	} {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return unavailable("put cached note", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return unavailable("put cached note", err)
	}
	return nil
}

// CachedNote returns the unexpired note of (userKey, sessionID).
func (s *Store) CachedNote(ctx context.Context, userKey, sessionID string, now time.Time) (string, error) {
	if s.closed.Load() {
		return "", unavailable("cached note", errStoreClosed)
	}
	var note string
	row, err := s.queryRow(ctx, `SELECT note FROM cached_notes WHERE user_key = ? AND session_id = ? AND expires_at > ?`,
		userKey, sessionID, now.UnixMicro())
	if err == nil {
		err = row.Scan(&note)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store/sqlite: cached note: %w", store.ErrNotFound)
	}
	if err != nil {
		return "", unavailable("cached note", err)
	}
	return note, nil
}
