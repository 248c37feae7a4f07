package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// slotTable holds the statements of one reservation table. The call-log and
// message tables have the same shape and differ only in names.
type slotTable struct {
	what    string // for error messages
	reserve string
	confirm string
	release string
}

// newSlotTable writes the reserve/confirm/release statements for a table
// keyed by (user_key, idCol).
//
// Reserve is one INSERT ... ON CONFLICT DO UPDATE, so SQLite's write lock
// makes it atomic: a free slot is inserted with our claim; an existing slot
// gets our claim only when it is pending (log_id IS NULL) and was reserved
// before the lease cutoff (?5). Both CASE arms read the row as it was before
// the update. RETURNING hands back the row either way: the caller won iff
// the claim is its own.
func newSlotTable(table, idCol, what string) slotTable {
	taken := `(log_id IS NULL AND reserved_at < ?5)`
	return slotTable{
		what: what,
		reserve: `INSERT INTO ` + table + ` (user_key, ` + idCol + `, log_id, claim, reserved_at)
			VALUES (?1, ?2, NULL, ?3, ?4)
			ON CONFLICT (user_key, ` + idCol + `) DO UPDATE SET
				claim = CASE WHEN ` + taken + ` THEN excluded.claim ELSE claim END,
				reserved_at = CASE WHEN ` + taken + ` THEN excluded.reserved_at ELSE reserved_at END,
				taken_over = CASE WHEN ` + taken + ` THEN 1 ELSE taken_over END
			RETURNING claim, log_id, taken_over`,
		// Confirm records the id on a pending slot, and also on a missing
		// one (released, taken over and released, or deleted meanwhile):
		// the CRM record exists, so the mapping must too. A slot that is
		// already confirmed keeps its first id, the one others have seen.
		confirm: `INSERT INTO ` + table + ` (user_key, ` + idCol + `, log_id, claim, reserved_at)
			VALUES (?1, ?2, ?3, 0, ?4)
			ON CONFLICT (user_key, ` + idCol + `) DO UPDATE SET log_id = excluded.log_id
			WHERE log_id IS NULL`,
		release: `DELETE FROM ` + table + ` WHERE user_key = ? AND ` + idCol + ` = ? AND log_id IS NULL`,
	}
}

var (
	callLogs = newSlotTable("call_logs", "session_id", "call log")
	messages = newSlotTable("message_logs", "message_id", "message")
)

func (s *Store) reserve(ctx context.Context, t *slotTable, userKey, id string, lease time.Duration) (store.Reservation, error) {
	now := s.now()
	// Any number other than the current holder's claim will do; 63 random
	// bits make a collision with it practically impossible.
	claim := rand.Int64()
	var got, takenOver int64
	var logID sql.NullString
	row, err := s.queryRow(ctx, t.reserve, userKey, id, claim, now.UnixMicro(), now.Add(-lease).UnixMicro())
	if err == nil {
		err = row.Scan(&got, &logID, &takenOver)
	}
	if err != nil {
		return store.Reservation{}, unavailable("reserve "+t.what, err)
	}
	if got == claim && !logID.Valid {
		return store.Reservation{Won: true, TakenOver: takenOver != 0}, nil
	}
	return store.Reservation{LogID: logID.String}, nil
}

func (s *Store) confirm(ctx context.Context, t *slotTable, userKey, id, logID string) error {
	if logID == "" {
		return fmt.Errorf("store/sqlite: confirm %s: %w", t.what, errEmptyID)
	}
	if _, err := s.exec(ctx, t.confirm, userKey, id, logID, s.now().UnixMicro()); err != nil {
		return unavailable("confirm "+t.what, err)
	}
	return nil
}

func (s *Store) release(ctx context.Context, t *slotTable, userKey, id string) error {
	if _, err := s.exec(ctx, t.release, userKey, id); err != nil {
		return unavailable("release "+t.what, err)
	}
	return nil
}

// ReserveCallLog claims the call-log slot (userKey, sessionID) in one atomic
// statement; see [store.Store.ReserveCallLog].
func (s *Store) ReserveCallLog(ctx context.Context, userKey, sessionID string, lease time.Duration) (store.Reservation, error) {
	return s.reserve(ctx, &callLogs, userKey, sessionID, lease)
}

// ConfirmCallLog records logID for the slot. A slot that is already
// confirmed keeps its first id; a slot that is no longer reserved (released
// or deleted meanwhile) is recorded as confirmed all the same, because the
// CRM record exists. An empty logID is an error.
func (s *Store) ConfirmCallLog(ctx context.Context, userKey, sessionID, logID string) error {
	return s.confirm(ctx, &callLogs, userKey, sessionID, logID)
}

// ReleaseCallLog frees the slot if it is pending; it does nothing to a
// confirmed or missing slot.
func (s *Store) ReleaseCallLog(ctx context.Context, userKey, sessionID string) error {
	return s.release(ctx, &callLogs, userKey, sessionID)
}

// ReserveMessage claims the message slot (userKey, messageID); it behaves
// as [Store.ReserveCallLog].
func (s *Store) ReserveMessage(ctx context.Context, userKey, messageID string, lease time.Duration) (store.Reservation, error) {
	return s.reserve(ctx, &messages, userKey, messageID, lease)
}

// ConfirmMessage records the CRM record the message went into; it behaves
// as [Store.ConfirmCallLog].
func (s *Store) ConfirmMessage(ctx context.Context, userKey, messageID, logID string) error {
	return s.confirm(ctx, &messages, userKey, messageID, logID)
}

// ReleaseMessage frees the slot if it is pending; it behaves as
// [Store.ReleaseCallLog].
func (s *Store) ReleaseMessage(ctx context.Context, userKey, messageID string) error {
	return s.release(ctx, &messages, userKey, messageID)
}

// idBuckets are the list lengths CallLogIDs queries with. A request's ids
// are padded (by repeating the last one) up to the next bucket, so a handful
// of prepared statements serve every length. The largest bucket bounds the
// bound parameters of one query, far below SQLite's limit of 32766.
var idBuckets = []int{1, 5, 20, 100, 500}

// callLogIDsQueries[i] selects the confirmed logs among idBuckets[i] ids.
var callLogIDsQueries = func() []string {
	qs := make([]string, len(idBuckets))
	for i, n := range idBuckets {
		qs[i] = `SELECT session_id, log_id FROM call_logs
			WHERE user_key = ? AND log_id IS NOT NULL AND session_id IN (?` + strings.Repeat(",?", n-1) + `)`
	}
	return qs
}()

// CallLogIDs returns the confirmed CRM ids of the given sessions of the
// user, keyed by session id. Pending and unknown sessions are absent. The
// map is never nil.
func (s *Store) CallLogIDs(ctx context.Context, userKey string, sessionIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(sessionIDs))
	largest := idBuckets[len(idBuckets)-1]
	for len(sessionIDs) > 0 {
		n := min(len(sessionIDs), largest)
		if err := s.callLogIDs(ctx, userKey, sessionIDs[:n], out); err != nil {
			return nil, err
		}
		sessionIDs = sessionIDs[n:]
	}
	return out, nil
}

// callLogIDs looks up at most the largest bucket of ids.
func (s *Store) callLogIDs(ctx context.Context, userKey string, ids []string, out map[string]string) error {
	b := 0
	for idBuckets[b] < len(ids) {
		b++
	}
	args := make([]any, 1+idBuckets[b])
	args[0] = userKey
	for i := range idBuckets[b] {
		args[1+i] = ids[min(i, len(ids)-1)]
	}
	st, err := s.stmt(ctx, callLogIDsQueries[b])
	if err != nil {
		return unavailable("call log ids", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return unavailable("call log ids", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sessionID, logID string
		if err := rows.Scan(&sessionID, &logID); err != nil {
			return unavailable("call log ids", err)
		}
		out[sessionID] = logID
	}
	if err := rows.Err(); err != nil {
		return unavailable("call log ids", err)
	}
	return nil
}

// ConversationLogID returns the CRM record kept for a conversation day of
// the user, or an error wrapping [store.ErrNotFound].
func (s *Store) ConversationLogID(ctx context.Context, userKey, conversationLogID string) (string, error) {
	var logID string
	row, err := s.queryRow(ctx,
		`SELECT log_id FROM conversation_logs WHERE user_key = ? AND conversation_log_id = ?`,
		userKey, conversationLogID)
	if err == nil {
		err = row.Scan(&logID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store/sqlite: conversation log id: %w", store.ErrNotFound)
	}
	if err != nil {
		return "", unavailable("conversation log id", err)
	}
	return logID, nil
}

// PutConversationLogID records logID for a conversation day unless one is
// already recorded, and returns the recorded one. It is one statement: the
// conflict branch rewrites the row with its own value, which makes
// RETURNING yield the existing id.
func (s *Store) PutConversationLogID(ctx context.Context, userKey, conversationLogID, logID string) (string, error) {
	if logID == "" {
		return "", fmt.Errorf("store/sqlite: put conversation log id: %w", errEmptyID)
	}
	const q = `INSERT INTO conversation_logs (user_key, conversation_log_id, log_id, created_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (user_key, conversation_log_id) DO UPDATE SET log_id = log_id
		RETURNING log_id`
	var got string
	row, err := s.queryRow(ctx, q, userKey, conversationLogID, logID, s.now().UnixMicro())
	if err == nil {
		err = row.Scan(&got)
	}
	if err != nil {
		return "", unavailable("put conversation log id", err)
	}
	return got, nil
}
