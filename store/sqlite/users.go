package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/internal/sqlstore"
)

// dialect is SQLite's text of the shared statements: numbered "?"
// parameters, and the Go clock's time bound as a parameter (the store's
// clock, WithClock).
var dialect = sqlstore.Dialect{Param: sqlstore.Numbered("?"), Now: sqlstore.Numbered("?"), Touched: "excluded.updated_at"}

// users are the statements of whole users rows.
var users = dialect.Users()

// GetUser returns the user, or an error wrapping [store.ErrNotFound].
// Absent credentials and Extra come back nil; times come back in UTC.
func (s *Store) GetUser(ctx context.Context, key string) (store.User, error) {
	u := store.User{Key: key}
	var expiry, created, updated, validFrom sql.NullInt64
	row, err := s.queryRow(ctx, users.Select, key)
	if err == nil {
		err = row.Scan(&u.Platform, &u.CRMUserID, &u.Hostname, &u.Timezone, &u.TimezoneOffset,
			&u.AccessToken, &u.RefreshToken, &u.APIKey, &expiry, &u.Extra, &created, &updated, &validFrom)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, fmt.Errorf("store/sqlite: get user: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, unavailable("get user", err)
	}
	u.TokenExpiry = fromMicros(expiry)
	u.CreatedAt = fromMicros(created)
	u.UpdatedAt = fromMicros(updated)
	u.SessionsValidFrom = fromMicros(validFrom)
	return u, nil
}

// UpsertUser inserts the user or replaces every field of an existing one.
// CreatedAt, UpdatedAt and SessionsValidFrom of u are ignored: the store sets both on insert
// and only UpdatedAt on replace. Empty byte slices are stored as absent.
func (s *Store) UpsertUser(ctx context.Context, u store.User) error {
	_, err := s.exec(ctx, users.Upsert, u.Key, u.Platform, u.CRMUserID, u.Hostname, u.Timezone, u.TimezoneOffset,
		blob(u.AccessToken), blob(u.RefreshToken), blob(u.APIKey), micros(u.TokenExpiry), blob(u.Extra),
		s.now().UnixMicro())
	if err != nil {
		return unavailable("upsert user", err)
	}
	return nil
}

// UpdateTokens replaces the user's four credential fields in one statement.
// It fails with an error wrapping [store.ErrNotFound] when the user does not
// exist.
func (s *Store) UpdateTokens(ctx context.Context, key string, t store.Tokens) error {
	const q = `UPDATE users SET access_token = ?, refresh_token = ?, api_key = ?, token_expiry = ?, updated_at = ?
		WHERE user_key = ?`
	res, err := s.exec(ctx, q, blob(t.AccessToken), blob(t.RefreshToken), blob(t.APIKey),
		micros(t.TokenExpiry), s.now().UnixMicro(), key)
	if err != nil {
		return unavailable("update tokens", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return unavailable("update tokens", err)
	}
	if n == 0 {
		return fmt.Errorf("store/sqlite: update tokens: %w", store.ErrNotFound)
	}
	return nil
}

// EndSessions moves SessionsValidFrom forward to at, and at least one
// microsecond past its stored value (see [store.Store]). It fails
// with an error wrapping [store.ErrNotFound] when the user does not exist.
func (s *Store) EndSessions(ctx context.Context, key string, at time.Time) error {
	const q = `UPDATE users SET sessions_valid_from = max(coalesce(sessions_valid_from + 1, ?1), ?1), updated_at = ?2
		WHERE user_key = ?3`
	res, err := s.exec(ctx, q, at.UnixMicro(), s.now().UnixMicro(), key)
	if err != nil {
		return unavailable("end sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return unavailable("end sessions", err)
	}
	if n == 0 {
		return fmt.Errorf("store/sqlite: end sessions: %w", store.ErrNotFound)
	}
	return nil
}

// DeleteUser removes the user and all of its call-log, message and
// conversation mappings, pending or confirmed, its settings and cached
// notes, in one transaction. Deleting
// a missing user is not an error.
func (s *Store) DeleteUser(ctx context.Context, key string) error {
	if err := s.checkFile(); err != nil {
		return unavailable("delete user", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable("delete user", err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM call_logs WHERE user_key = ?`,
		`DELETE FROM message_logs WHERE user_key = ?`,
		`DELETE FROM conversation_logs WHERE user_key = ?`,
		`DELETE FROM user_settings WHERE user_key = ?`,
		`DELETE FROM cached_notes WHERE user_key = ?`,
		`DELETE FROM users WHERE user_key = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, key); err != nil {
			return unavailable("delete user", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return unavailable("delete user", err)
	}
	return nil
}
