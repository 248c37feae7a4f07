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
	"github.com/crmbridge/crmbridge/store/internal/sqlstore"
)

// slot is the reserve/confirm/release protocol on one reservation table
// (sqlstore.Slot). The call-log and message tables have the same shape and
// differ only in names.
type slot struct {
	s *Store
	sqlstore.Table
	reserve string
	confirm string
	release string
}

// newSlot writes the reserve/confirm/release statements for a table keyed
// by (user_key, t.Key).
//
// Reserve is one INSERT ... ON CONFLICT DO UPDATE, so SQLite's write lock
// makes it atomic: a free slot is inserted with our claim; an existing slot
// gets our claim only when it is pending (log_id IS NULL) and was reserved
// before the lease cutoff (?5). Both CASE arms read the row as it was before
// the update. RETURNING hands back the row either way: the caller won iff
// the claim is its own.
func newSlot(s *Store, t sqlstore.Table) slot {
	table, idCol := t.Name, t.Key
	taken := `(log_id IS NULL AND reserved_at < ?5)`
	return slot{
		s:     s,
		Table: t,
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

// Reserve claims the slot (userKey, id) in one atomic statement.
func (t slot) Reserve(ctx context.Context, userKey, id string, lease time.Duration) (store.Reservation, error) {
	now := t.s.now()
	// Any number other than the current holder's claim will do; 63 random
	// bits make a collision with it practically impossible.
	claim := rand.Int64()
	var got, takenOver int64
	var logID sql.NullString
	row, err := t.s.queryRow(ctx, t.reserve, userKey, id, claim, now.UnixMicro(), now.Add(-lease).UnixMicro())
	if err == nil {
		err = row.Scan(&got, &logID, &takenOver)
	}
	if err != nil {
		return store.Reservation{}, unavailable("reserve "+t.What, err)
	}
	if got == claim && !logID.Valid {
		return store.Reservation{Won: true, TakenOver: takenOver != 0}, nil
	}
	return store.Reservation{LogID: logID.String}, nil
}

// Confirm records logID for the slot.
func (t slot) Confirm(ctx context.Context, userKey, id, logID string) error {
	if logID == "" {
		return fmt.Errorf("store/sqlite: confirm %s: %w", t.What, errEmptyID)
	}
	if _, err := t.s.exec(ctx, t.confirm, userKey, id, logID, t.s.now().UnixMicro()); err != nil {
		return unavailable("confirm "+t.What, err)
	}
	return nil
}

// Release frees the slot if it is pending.
func (t slot) Release(ctx context.Context, userKey, id string) error {
	if _, err := t.s.exec(ctx, t.release, userKey, id); err != nil {
		return unavailable("release "+t.What, err)
	}
	return nil
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
