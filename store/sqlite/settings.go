package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

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
