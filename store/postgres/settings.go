package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmbridge/crmbridge/store"
)

// UserSettings returns the user's own settings, or nil when none are stored.
func (s *Store) UserSettings(ctx context.Context, userKey string) ([]byte, error) {
	return s.settings(ctx, `SELECT settings FROM user_settings WHERE user_key = $1`, "user settings", userKey)
}

// PutUserSettings replaces the user's own settings.
func (s *Store) PutUserSettings(ctx context.Context, userKey string, settings []byte) error {
	return s.putSettings(ctx, `INSERT INTO user_settings (user_key, settings, updated_at) VALUES ($1, $2, now())
		ON CONFLICT (user_key) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
		"put user settings", userKey, settings)
}

// AdminSettings returns the settings of a telephony account, or nil.
func (s *Store) AdminSettings(ctx context.Context, accountKey string) ([]byte, error) {
	return s.settings(ctx, `SELECT settings FROM admin_settings WHERE account_key = $1`, "admin settings", accountKey)
}

// PutAdminSettings replaces the settings of a telephony account.
func (s *Store) PutAdminSettings(ctx context.Context, accountKey string, settings []byte) error {
	return s.putSettings(ctx, `INSERT INTO admin_settings (account_key, settings, updated_at) VALUES ($1, $2, now())
		ON CONFLICT (account_key) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
		"put admin settings", accountKey, settings)
}

func (s *Store) settings(ctx context.Context, q, op, key string) ([]byte, error) {
	if s.closed.Load() {
		return nil, errClosed(op)
	}
	var b []byte
	err := s.pool.QueryRow(ctx, q, key).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

func (s *Store) putSettings(ctx context.Context, q, op, key string, settings []byte) error {
	if s.closed.Load() {
		return errClosed(op)
	}
	if settings == nil {
		settings = []byte{}
	}
	if _, err := s.pool.Exec(ctx, q, key, settings); err != nil {
		return s.fail(op, err)
	}
	return nil
}

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
