package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/internal/sqlstore"
)

// dialect is PostgreSQL's text of the shared statements: the database clock
// stamps the rows, so replicas with skewed clocks agree, and a replaced
// users row's updated_at never precedes its created_at.
var dialect = sqlstore.Dialect{
	Param:   sqlstore.Numbered("$"),
	Now:     func(int) string { return "now()" },
	Touched: "greatest(excluded.updated_at, users.created_at)",
}

// users are the statements of whole users rows.
var users = dialect.Users()

// GetUser returns the user, or an error wrapping [store.ErrNotFound].
// Absent credentials and Extra come back nil; times come back in UTC.
func (s *Store) GetUser(ctx context.Context, key string) (store.User, error) {
	if s.closed.Load() {
		return store.User{}, errClosed("get user")
	}
	u := store.User{Key: key}
	var expiry, validFrom pgtype.Timestamptz
	var offset int32
	err := s.pool.QueryRow(ctx, users.Select, key).Scan(
		&u.Platform, &u.CRMUserID, &u.Hostname, &u.Timezone, &offset,
		&u.AccessToken, &u.RefreshToken, &u.APIKey, &expiry, &u.Extra, &u.CreatedAt, &u.UpdatedAt, &validFrom)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, fmt.Errorf("store/postgres: get user: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, s.fail("get user", err)
	}
	u.TimezoneOffset = int(offset)
	if expiry.Valid {
		u.TokenExpiry = expiry.Time.UTC()
	}
	if validFrom.Valid {
		u.SessionsValidFrom = validFrom.Time.UTC()
	}
	u.CreatedAt = u.CreatedAt.UTC()
	u.UpdatedAt = u.UpdatedAt.UTC()
	return u, nil
}

// UpsertUser inserts the user or replaces every field of an existing one,
// in one statement. CreatedAt, UpdatedAt and SessionsValidFrom of u are ignored: the database
// clock sets both on insert and only UpdatedAt on replace, so replicas with
// skewed clocks agree. Empty byte slices are stored as absent.
func (s *Store) UpsertUser(ctx context.Context, u store.User) error {
	if s.closed.Load() {
		return errClosed("upsert user")
	}
	if u.TimezoneOffset < -1<<31 || u.TimezoneOffset > 1<<31-1 {
		return fmt.Errorf("store/postgres: upsert user: timezone offset %d out of range", u.TimezoneOffset)
	}
	_, err := s.pool.Exec(ctx, users.Upsert, u.Key, u.Platform, u.CRMUserID, u.Hostname, u.Timezone, int32(u.TimezoneOffset),
		bytea(u.AccessToken), bytea(u.RefreshToken), bytea(u.APIKey), timestamptz(u.TokenExpiry), bytea(u.Extra))
	if err != nil {
		return s.fail("upsert user", err)
	}
	return nil
}

// UpdateTokens replaces the user's four credential fields in one statement.
// It fails with an error wrapping [store.ErrNotFound] when the user does not
// exist.
func (s *Store) UpdateTokens(ctx context.Context, key string, t store.Tokens) error {
	if s.closed.Load() {
		return errClosed("update tokens")
	}
	const q = `UPDATE users SET access_token = $2, refresh_token = $3, api_key = $4, token_expiry = $5,
		updated_at = greatest(now(), created_at)
		WHERE user_key = $1`
	tag, err := s.pool.Exec(ctx, q, key, bytea(t.AccessToken), bytea(t.RefreshToken), bytea(t.APIKey), timestamptz(t.TokenExpiry))
	if err != nil {
		return s.fail("update tokens", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store/postgres: update tokens: %w", store.ErrNotFound)
	}
	return nil
}

// EndSessions moves SessionsValidFrom forward to at, and at least one
// microsecond past its stored value (see [store.Store]), in one
// statement. at comes from the caller's clock: it is compared with the iat
// of session tokens the same servers issued. It fails with an error
// wrapping [store.ErrNotFound] when the user does not exist.
func (s *Store) EndSessions(ctx context.Context, key string, at time.Time) error {
	if s.closed.Load() {
		return errClosed("end sessions")
	}
	const q = `UPDATE users SET sessions_valid_from = greatest(sessions_valid_from + interval '1 microsecond', $2),
		updated_at = greatest(now(), created_at)
		WHERE user_key = $1`
	tag, err := s.pool.Exec(ctx, q, key, at.UTC())
	if err != nil {
		return s.fail("end sessions", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store/postgres: end sessions: %w", store.ErrNotFound)
	}
	return nil
}

// DeleteUser removes the user and all of its call-log, message and
// conversation mappings, pending or confirmed, its settings and cached
// notes, in one statement. Deleting a
// missing user is not an error.
func (s *Store) DeleteUser(ctx context.Context, key string) error {
	if s.closed.Load() {
		return errClosed("delete user")
	}
	// PostgreSQL runs every data-modifying WITH clause exactly once, read
	// or not, and the whole statement is atomic.
	const q = `WITH
		c AS (DELETE FROM call_logs WHERE user_key = $1),
		m AS (DELETE FROM message_logs WHERE user_key = $1),
		v AS (DELETE FROM conversation_logs WHERE user_key = $1),
		us AS (DELETE FROM user_settings WHERE user_key = $1),
		n AS (DELETE FROM cached_notes WHERE user_key = $1)
		DELETE FROM users WHERE user_key = $1`
	if _, err := s.pool.Exec(ctx, q, key); err != nil {
		return s.fail("delete user", err)
	}
	return nil
}
