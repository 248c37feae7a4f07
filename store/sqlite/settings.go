package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// UserSettings returns the user's own settings, or nil when none are stored.
func (s *Store) UserSettings(ctx context.Context, userKey string) ([]byte, error) {
	return s.settings(ctx, `SELECT settings FROM user_settings WHERE user_key = ?`, "user settings", userKey)
}

// PutUserSettings replaces the user's own settings.
func (s *Store) PutUserSettings(ctx context.Context, userKey string, settings []byte) error {
	return s.putSettings(ctx, `INSERT INTO user_settings (user_key, settings, updated_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (user_key) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
		"put user settings", userKey, settings)
}

// AdminSettings returns the settings of a telephony account, or nil.
func (s *Store) AdminSettings(ctx context.Context, accountKey string) ([]byte, error) {
	return s.settings(ctx, `SELECT settings FROM admin_settings WHERE account_key = ?`, "admin settings", accountKey)
}

// PutAdminSettings replaces the settings of a telephony account.
func (s *Store) PutAdminSettings(ctx context.Context, accountKey string, settings []byte) error {
	return s.putSettings(ctx, `INSERT INTO admin_settings (account_key, settings, updated_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (account_key) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
		"put admin settings", accountKey, settings)
}

func (s *Store) settings(ctx context.Context, q, op, key string) ([]byte, error) {
	if s.closed.Load() {
		return nil, unavailable(op, errors.New("store closed"))
	}
	var b []byte
	row, err := s.queryRow(ctx, q, key)
	if err == nil {
		err = row.Scan(&b)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(op, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

func (s *Store) putSettings(ctx context.Context, q, op, key string, settings []byte) error {
	if s.closed.Load() {
		return unavailable(op, errors.New("store closed"))
	}
	if settings == nil {
		settings = []byte{}
	}
	if _, err := s.exec(ctx, q, key, settings, s.now().UnixMicro()); err != nil {
		return unavailable(op, err)
	}
	return nil
}

// PutCachedNote keeps a note until expires, at most maxPerUser per user,
// in one transaction: expired notes (of every user) go first, then the
// user's notes expiring first beyond the limit.
func (s *Store) PutCachedNote(ctx context.Context, userKey, sessionID, note string, now, expires time.Time, maxPerUser int) error {
	if s.closed.Load() {
		return unavailable("put cached note", errors.New("store closed"))
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
		return "", unavailable("cached note", errors.New("store closed"))
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
