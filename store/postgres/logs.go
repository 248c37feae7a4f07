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

// slot is the reserve/confirm/release protocol on one reservation table
// (sqlstore.Slot). The call-log and message tables have the same shape and
// differ only in names.
type slot struct {
	s *Store
	sqlstore.Table
	reserve string
	current string
	confirm string
	release string
}

// newSlot writes the statements for a table keyed by (user_key, t.Key).
//
// Reserve is one INSERT ... ON CONFLICT DO UPDATE ... WHERE: PostgreSQL
// inserts the slot, or locks the conflicting row and takes it over only
// when it is pending and its lease started before now() - $3. RETURNING
// yields a row exactly when this statement claimed the slot; otherwise the
// row is read by a second statement, which sees rows committed after the
// first one started. RETURNING says whether the row was taken over
// (updated: its xmax is set) rather than inserted. Leases are measured on the
// database clock, the one clock all replicas share.
func newSlot(s *Store, t sqlstore.Table) slot {
	table, idCol := t.Name, t.Key
	return slot{
		s:     s,
		Table: t,
		reserve: `INSERT INTO ` + table + ` AS t (user_key, ` + idCol + `, log_id, reserved_at)
			VALUES ($1, $2, NULL, now())
			ON CONFLICT (user_key, ` + idCol + `) DO UPDATE SET reserved_at = excluded.reserved_at
			WHERE t.log_id IS NULL AND t.reserved_at < now() - $3::interval
			RETURNING t.xmax <> 0`,
		current: `SELECT log_id FROM ` + table + ` WHERE user_key = $1 AND ` + idCol + ` = $2`,
		// Confirm records the id on a pending slot, and also on a missing
		// one (released, taken over and released, or deleted meanwhile):
		// the CRM record exists, so the mapping must too. A slot that is
		// already confirmed keeps its first id, the one others have seen.
		confirm: `INSERT INTO ` + table + ` AS t (user_key, ` + idCol + `, log_id, reserved_at)
			VALUES ($1, $2, $3, now())
			ON CONFLICT (user_key, ` + idCol + `) DO UPDATE SET log_id = excluded.log_id
			WHERE t.log_id IS NULL`,
		release: `DELETE FROM ` + table + ` WHERE user_key = $1 AND ` + idCol + ` = $2 AND log_id IS NULL`,
	}
}

// maxAttempts bounds the reserve-or-read loops. Another attempt is needed
// only when the row seen in conflict was deleted before it could be read,
// which takes a release or DeleteUser landing between two statements.
const maxAttempts = 10

var errChurn = errors.New("the row kept changing; try again")

// Reserve claims the slot (userKey, id). Concurrent calls from any number
// of processes elect exactly one winner, and a pending slot whose lease has
// run out on the database clock is taken over by exactly one caller. A
// negative lease counts as zero.
func (t slot) Reserve(ctx context.Context, userKey, id string, lease time.Duration) (store.Reservation, error) {
	if t.s.closed.Load() {
		return store.Reservation{}, errClosed("reserve " + t.What)
	}
	lease = max(lease, 0)
	for range maxAttempts {
		var takenOver bool
		err := t.s.pool.QueryRow(ctx, t.reserve, userKey, id, lease).Scan(&takenOver)
		if err == nil {
			return store.Reservation{Won: true, TakenOver: takenOver}, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.Reservation{}, t.s.fail("reserve "+t.What, err)
		}
		var logID pgtype.Text
		err = t.s.pool.QueryRow(ctx, t.current, userKey, id).Scan(&logID)
		if err == nil {
			return store.Reservation{LogID: logID.String}, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.Reservation{}, t.s.fail("reserve "+t.What, err)
		}
	}
	return store.Reservation{}, fmt.Errorf("store/postgres: reserve %s: %w", t.What, errChurn)
}

// Confirm records logID for the slot.
func (t slot) Confirm(ctx context.Context, userKey, id, logID string) error {
	if t.s.closed.Load() {
		return errClosed("confirm " + t.What)
	}
	if logID == "" {
		return fmt.Errorf("store/postgres: confirm %s: %w", t.What, errEmptyID)
	}
	if _, err := t.s.pool.Exec(ctx, t.confirm, userKey, id, logID); err != nil {
		return t.s.fail("confirm "+t.What, err)
	}
	return nil
}

// Release frees the slot if it is pending.
func (t slot) Release(ctx context.Context, userKey, id string) error {
	if t.s.closed.Load() {
		return errClosed("release " + t.What)
	}
	if _, err := t.s.pool.Exec(ctx, t.release, userKey, id); err != nil {
		return t.s.fail("release "+t.What, err)
	}
	return nil
}

// CallLogIDs returns the confirmed CRM ids of the given sessions of the
// user, keyed by session id, in one query whatever the number of ids.
// Pending and unknown sessions are absent. The map is never nil.
func (s *Store) CallLogIDs(ctx context.Context, userKey string, sessionIDs []string) (map[string]string, error) {
	if s.closed.Load() {
		return nil, errClosed("call log ids")
	}
	out := make(map[string]string, len(sessionIDs))
	if len(sessionIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx,
		`SELECT session_id, log_id FROM call_logs
		WHERE user_key = $1 AND session_id = ANY($2) AND log_id IS NOT NULL`,
		userKey, sessionIDs)
	if err != nil {
		return nil, s.fail("call log ids", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sessionID, logID string
		if err := rows.Scan(&sessionID, &logID); err != nil {
			return nil, s.fail("call log ids", err)
		}
		out[sessionID] = logID
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("call log ids", err)
	}
	return out, nil
}

// ConversationLogID returns the CRM record kept for a conversation day of
// the user, or an error wrapping [store.ErrNotFound].
func (s *Store) ConversationLogID(ctx context.Context, userKey, conversationLogID string) (string, error) {
	if s.closed.Load() {
		return "", errClosed("conversation log id")
	}
	var logID string
	err := s.pool.QueryRow(ctx,
		`SELECT log_id FROM conversation_logs WHERE user_key = $1 AND conversation_log_id = $2`,
		userKey, conversationLogID).Scan(&logID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("store/postgres: conversation log id: %w", store.ErrNotFound)
	}
	if err != nil {
		return "", s.fail("conversation log id", err)
	}
	return logID, nil
}

// PutConversationLogID records logID for a conversation day unless one is
// already recorded, and returns the recorded one. The insert leaves an
// existing row untouched (ON CONFLICT DO NOTHING); only then is the row
// read, so the common first write costs one statement.
func (s *Store) PutConversationLogID(ctx context.Context, userKey, conversationLogID, logID string) (string, error) {
	if s.closed.Load() {
		return "", errClosed("put conversation log id")
	}
	if logID == "" {
		return "", fmt.Errorf("store/postgres: put conversation log id: %w", errEmptyID)
	}
	const (
		insert = `INSERT INTO conversation_logs (user_key, conversation_log_id, log_id, created_at)
			VALUES ($1, $2, $3, now())
			ON CONFLICT (user_key, conversation_log_id) DO NOTHING
			RETURNING log_id`
		current = `SELECT log_id FROM conversation_logs WHERE user_key = $1 AND conversation_log_id = $2`
	)
	for range maxAttempts {
		var got string
		err := s.pool.QueryRow(ctx, insert, userKey, conversationLogID, logID).Scan(&got)
		if err == nil {
			return got, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", s.fail("put conversation log id", err)
		}
		err = s.pool.QueryRow(ctx, current, userKey, conversationLogID).Scan(&got)
		if err == nil {
			return got, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", s.fail("put conversation log id", err)
		}
	}
	return "", fmt.Errorf("store/postgres: put conversation log id: %w", errChurn)
}
