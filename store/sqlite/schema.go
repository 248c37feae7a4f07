package sqlite

import (
	"context"
	"errors"
	"fmt"
)

// ErrSchemaTooNew reports that the database was migrated by a newer version
// of this package than the running one. Upgrade the program, or restore a
// backup taken before the upgrade; downgrading a schema is not supported.
var ErrSchemaTooNew = errors.New("store/sqlite: database schema is newer than this program")

// migrations[i] brings the schema from version i to version i+1. The version
// lives in PRAGMA user_version, which SQLite changes inside the same
// transaction as the statements. Never edit a published migration; append a
// new one.
var migrations = [][]string{
	// Version 1: users, the three mapping tables.
	//
	// Times are integer Unix microseconds (UTC). In the reservation tables a
	// NULL log_id marks a pending slot; claim is a random number written by
	// the Reserve call that holds the slot, so that caller can tell from the
	// row alone whether it won. Mappings carry no foreign key to users:
	// DeleteUser removes them explicitly in the same transaction.
	{
		`CREATE TABLE users (
			user_key        TEXT    NOT NULL PRIMARY KEY,
			platform        TEXT    NOT NULL,
			crm_user_id     TEXT    NOT NULL,
			hostname        TEXT    NOT NULL,
			timezone        TEXT    NOT NULL,
			timezone_offset INTEGER NOT NULL,
			access_token    BLOB,
			refresh_token   BLOB,
			api_key         BLOB,
			token_expiry    INTEGER,
			extra           BLOB,
			created_at      INTEGER NOT NULL,
			updated_at      INTEGER NOT NULL
		) STRICT, WITHOUT ROWID`,
		`CREATE TABLE call_logs (
			user_key    TEXT    NOT NULL,
			session_id  TEXT    NOT NULL,
			log_id      TEXT,
			claim       INTEGER NOT NULL,
			reserved_at INTEGER NOT NULL,
			PRIMARY KEY (user_key, session_id)
		) STRICT, WITHOUT ROWID`,
		`CREATE TABLE message_logs (
			user_key    TEXT    NOT NULL,
			message_id  TEXT    NOT NULL,
			log_id      TEXT,
			claim       INTEGER NOT NULL,
			reserved_at INTEGER NOT NULL,
			PRIMARY KEY (user_key, message_id)
		) STRICT, WITHOUT ROWID`,
		`CREATE TABLE conversation_logs (
			user_key            TEXT    NOT NULL,
			conversation_log_id TEXT    NOT NULL,
			log_id              TEXT    NOT NULL,
			created_at          INTEGER NOT NULL,
			PRIMARY KEY (user_key, conversation_log_id)
		) STRICT, WITHOUT ROWID`,
	},
	// Version 2: the user's own settings, admin settings per telephony
	// account, and notes cached for a call until it is logged. Settings
	// are JSON kept byte for byte; expires_at is Unix microseconds.
	{
		`CREATE TABLE user_settings (
			user_key   TEXT    NOT NULL PRIMARY KEY,
			settings   BLOB    NOT NULL,
			updated_at INTEGER NOT NULL
		) STRICT, WITHOUT ROWID`,
		`CREATE TABLE admin_settings (
			account_key TEXT    NOT NULL PRIMARY KEY,
			settings    BLOB    NOT NULL,
			updated_at  INTEGER NOT NULL
		) STRICT, WITHOUT ROWID`,
		`CREATE TABLE cached_notes (
			user_key   TEXT    NOT NULL,
			session_id TEXT    NOT NULL,
			note       TEXT    NOT NULL,
			expires_at INTEGER NOT NULL,
			PRIMARY KEY (user_key, session_id)
		) STRICT, WITHOUT ROWID`,
		`CREATE INDEX cached_notes_expiry ON cached_notes (expires_at)`,
	},
	// Version 3: sessions_valid_from, integer Unix
	// microseconds or NULL. Session tokens of the user issued before it are
	// refused (logout ends every session, PROTOCOL.md §4).
	{
		`ALTER TABLE users ADD COLUMN sessions_valid_from INTEGER`,
		// taken_over is 1 when the pending slot's current claim took it
		// over from a holder whose lease ran out (store.Reservation.TakenOver).
		`ALTER TABLE call_logs ADD COLUMN taken_over INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE message_logs ADD COLUMN taken_over INTEGER NOT NULL DEFAULT 0`,
	},
}

// schemaVersion is the version this code reads and writes.
var schemaVersion = len(migrations)

// migrate applies the missing migrations in one immediate transaction, so
// two processes starting together cannot both apply the same step, and a
// failure leaves the previous version intact.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable("migrate", err)
	}
	defer tx.Rollback()

	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return unavailable("migrate", err)
	}
	if version > schemaVersion {
		return fmt.Errorf("%w: database has version %d, this program knows up to %d", ErrSchemaTooNew, version, schemaVersion)
	}
	if version == schemaVersion {
		return nil
	}
	for v := version; v < schemaVersion; v++ {
		for _, stmt := range migrations[v] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("store/sqlite: migrate to version %d: %w", v+1, err)
			}
		}
	}
	// PRAGMA takes no bound parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return unavailable("migrate", err)
	}
	if err := tx.Commit(); err != nil {
		return unavailable("migrate", err)
	}
	s.log.InfoContext(ctx, "sqlite schema migrated", "from", version, "to", schemaVersion)
	return nil
}
