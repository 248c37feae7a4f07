package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmbridge/crmbridge/store"
)

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
