package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations[i] brings the schema from version i to version i+1. The version
// is the single row of crmbridge_schema, written in the same transaction as
// the statements. Never edit a published migration; append a new one.
var migrations = [][]string{
	// Version 1: users and the three mapping tables.
	//
	// Credentials and Extra are opaque bytea (sealed by the server; Extra
	// is kept byte for byte, which jsonb would not do). In the reservation
	// tables a NULL log_id marks a pending slot whose lease started at
	// reserved_at. Mappings carry no foreign key to users: DeleteUser
	// removes them in the same statement, and a Confirm that loses a race
	// with DeleteUser still records the CRM record it created.
	{
		`CREATE TABLE users (
			user_key        text        NOT NULL PRIMARY KEY,
			platform        text        NOT NULL,
			crm_user_id     text        NOT NULL,
			hostname        text        NOT NULL,
			timezone        text        NOT NULL,
			timezone_offset integer     NOT NULL,
			access_token    bytea,
			refresh_token   bytea,
			api_key         bytea,
			token_expiry    timestamptz,
			extra           bytea,
			created_at      timestamptz NOT NULL,
			updated_at      timestamptz NOT NULL
		)`,
		`CREATE TABLE call_logs (
			user_key    text        NOT NULL,
			session_id  text        NOT NULL,
			log_id      text,
			reserved_at timestamptz NOT NULL,
			PRIMARY KEY (user_key, session_id)
		)`,
		`CREATE TABLE message_logs (
			user_key    text        NOT NULL,
			message_id  text        NOT NULL,
			log_id      text,
			reserved_at timestamptz NOT NULL,
			PRIMARY KEY (user_key, message_id)
		)`,
		`CREATE TABLE conversation_logs (
			user_key            text        NOT NULL,
			conversation_log_id text        NOT NULL,
			log_id              text        NOT NULL,
			created_at          timestamptz NOT NULL,
			PRIMARY KEY (user_key, conversation_log_id)
		)`,
	},
	// Version 2: the user's own settings, admin settings per telephony
	// account, and notes cached for a call until it is logged. Settings
	// are JSON kept byte for byte (bytea, as Extra).
	{
		`CREATE TABLE user_settings (
			user_key   text        NOT NULL PRIMARY KEY,
			settings   bytea       NOT NULL,
			updated_at timestamptz NOT NULL
		)`,
		`CREATE TABLE admin_settings (
			account_key text        NOT NULL PRIMARY KEY,
			settings    bytea       NOT NULL,
			updated_at  timestamptz NOT NULL
		)`,
		`CREATE TABLE cached_notes (
			user_key   text        NOT NULL,
			session_id text        NOT NULL,
			note       text        NOT NULL,
			expires_at timestamptz NOT NULL,
			PRIMARY KEY (user_key, session_id)
		)`,
		`CREATE INDEX cached_notes_expiry ON cached_notes (expires_at)`,
	},
	// Version 3: sessions_valid_from. Session tokens of the user
	// issued before it are refused (logout ends every session, PROTOCOL.md
	// §4). NULL: no logout yet.
	{
		`ALTER TABLE users ADD COLUMN sessions_valid_from timestamptz`,
	},
}

// schemaVersion is the version this code reads and writes.
var schemaVersion = len(migrations)

// migrate applies the missing migrations in one transaction. The
// transaction first takes an advisory lock derived from the schema name, so
// replicas starting together queue here: the first applies every step, the
// others then find the current version and change nothing. A failure rolls
// everything back, schema creation included.
func (s *Store) migrate(ctx context.Context, createSchema bool) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fail("migrate", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey("migrate", s.schema, "")); err != nil {
		return s.fail("migrate: lock", err)
	}
	if createSchema {
		// Look before creating: CREATE SCHEMA IF NOT EXISTS needs the CREATE
		// privilege on the database even when the schema exists, and a
		// deployment may hand us a schema made by its administrator.
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s.schema).Scan(&exists); err != nil {
			return s.fail("migrate", err)
		}
		if !exists {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
				return s.fail("migrate: create schema", err)
			}
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS crmbridge_schema (
			singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
			version   integer NOT NULL
		)`); err != nil {
		return s.fail("migrate: version table", err)
	}
	version := 0
	err = tx.QueryRow(ctx, `SELECT version FROM crmbridge_schema`).Scan(&version)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return s.fail("migrate: read version", err)
	}
	if version > schemaVersion {
		return fmt.Errorf("%w: schema %q has version %d, this program knows up to %d", ErrSchemaTooNew, s.schema, version, schemaVersion)
	}
	if version == schemaVersion {
		return nil
	}
	for v := version; v < schemaVersion; v++ {
		for _, stmt := range migrations[v] {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return s.fail(fmt.Sprintf("migrate to version %d", v+1), err)
			}
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO crmbridge_schema (version) VALUES ($1)
		ON CONFLICT (singleton) DO UPDATE SET version = excluded.version`, schemaVersion); err != nil {
		return s.fail("migrate: write version", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail("migrate: commit", err)
	}
	s.log.InfoContext(ctx, "postgres schema migrated", "schema", s.schema, "from", version, "to", schemaVersion)
	return nil
}
