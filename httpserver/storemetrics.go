package httpserver

import (
	"context"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// measuredStore times every store call the server makes (WithMetrics).
// Methods it does not override (ones added to store.Store later) pass
// through unmeasured rather than break.
type measuredStore struct {
	store.Store
	m *Metrics
}

func (s measuredStore) done(op string, start time.Time, err error) {
	s.m.observeStore(op, err, time.Since(start))
}

func (s measuredStore) GetUser(ctx context.Context, key string) (store.User, error) {
	start := time.Now()
	u, err := s.Store.GetUser(ctx, key)
	s.done("get_user", start, err)
	return u, err
}

func (s measuredStore) UpsertUser(ctx context.Context, u store.User) error {
	start := time.Now()
	err := s.Store.UpsertUser(ctx, u)
	s.done("upsert_user", start, err)
	return err
}

func (s measuredStore) UpdateTokens(ctx context.Context, key string, t store.Tokens) error {
	start := time.Now()
	err := s.Store.UpdateTokens(ctx, key, t)
	s.done("update_tokens", start, err)
	return err
}

func (s measuredStore) DeleteUser(ctx context.Context, key string) error {
	start := time.Now()
	err := s.Store.DeleteUser(ctx, key)
	s.done("delete_user", start, err)
	return err
}

func (s measuredStore) ReserveCallLog(ctx context.Context, userKey, sessionID string, lease time.Duration) (store.Reservation, error) {
	start := time.Now()
	r, err := s.Store.ReserveCallLog(ctx, userKey, sessionID, lease)
	s.done("reserve_call_log", start, err)
	return r, err
}

func (s measuredStore) ConfirmCallLog(ctx context.Context, userKey, sessionID, logID string) error {
	start := time.Now()
	err := s.Store.ConfirmCallLog(ctx, userKey, sessionID, logID)
	s.done("confirm_call_log", start, err)
	return err
}

func (s measuredStore) ReleaseCallLog(ctx context.Context, userKey, sessionID string) error {
	start := time.Now()
	err := s.Store.ReleaseCallLog(ctx, userKey, sessionID)
	s.done("release_call_log", start, err)
	return err
}

func (s measuredStore) CallLogIDs(ctx context.Context, userKey string, sessionIDs []string) (map[string]string, error) {
	start := time.Now()
	ids, err := s.Store.CallLogIDs(ctx, userKey, sessionIDs)
	s.done("call_log_ids", start, err)
	return ids, err
}

func (s measuredStore) ReserveMessage(ctx context.Context, userKey, messageID string, lease time.Duration) (store.Reservation, error) {
	start := time.Now()
	r, err := s.Store.ReserveMessage(ctx, userKey, messageID, lease)
	s.done("reserve_message", start, err)
	return r, err
}

func (s measuredStore) ConfirmMessage(ctx context.Context, userKey, messageID, logID string) error {
	start := time.Now()
	err := s.Store.ConfirmMessage(ctx, userKey, messageID, logID)
	s.done("confirm_message", start, err)
	return err
}

func (s measuredStore) ReleaseMessage(ctx context.Context, userKey, messageID string) error {
	start := time.Now()
	err := s.Store.ReleaseMessage(ctx, userKey, messageID)
	s.done("release_message", start, err)
	return err
}

func (s measuredStore) ConversationLogID(ctx context.Context, userKey, conversationLogID string) (string, error) {
	start := time.Now()
	id, err := s.Store.ConversationLogID(ctx, userKey, conversationLogID)
	s.done("conversation_log_id", start, err)
	return id, err
}

func (s measuredStore) PutConversationLogID(ctx context.Context, userKey, conversationLogID, logID string) (string, error) {
	start := time.Now()
	id, err := s.Store.PutConversationLogID(ctx, userKey, conversationLogID, logID)
	s.done("put_conversation_log_id", start, err)
	return id, err
}

// Lock measures how long taking the lock took (waiting included).
func (s measuredStore) Lock(ctx context.Context, name string) (func(), error) {
	start := time.Now()
	unlock, err := s.Store.Lock(ctx, name)
	s.done("lock", start, err)
	return unlock, err
}

func (s measuredStore) Ping(ctx context.Context) error {
	start := time.Now()
	err := s.Store.Ping(ctx)
	s.done("ping", start, err)
	return err
}

func (s measuredStore) UserSettings(ctx context.Context, userKey string) ([]byte, error) {
	start := time.Now()
	b, err := s.Store.UserSettings(ctx, userKey)
	s.done("user_settings", start, err)
	return b, err
}

func (s measuredStore) PutUserSettings(ctx context.Context, userKey string, settings []byte) error {
	start := time.Now()
	err := s.Store.PutUserSettings(ctx, userKey, settings)
	s.done("put_user_settings", start, err)
	return err
}

func (s measuredStore) AdminSettings(ctx context.Context, accountKey string) ([]byte, error) {
	start := time.Now()
	b, err := s.Store.AdminSettings(ctx, accountKey)
	s.done("admin_settings", start, err)
	return b, err
}

func (s measuredStore) PutAdminSettings(ctx context.Context, accountKey string, settings []byte) error {
	start := time.Now()
	err := s.Store.PutAdminSettings(ctx, accountKey, settings)
	s.done("put_admin_settings", start, err)
	return err
}

func (s measuredStore) PutCachedNote(ctx context.Context, userKey, sessionID, note string, now, expires time.Time, maxPerUser int) error {
	start := time.Now()
	err := s.Store.PutCachedNote(ctx, userKey, sessionID, note, now, expires, maxPerUser)
	s.done("put_cached_note", start, err)
	return err
}

func (s measuredStore) CachedNote(ctx context.Context, userKey, sessionID string, now time.Time) (string, error) {
	start := time.Now()
	note, err := s.Store.CachedNote(ctx, userKey, sessionID, now)
	s.done("cached_note", start, err)
	return note, err
}

func (s measuredStore) EndSessions(ctx context.Context, key string, at time.Time) error {
	start := time.Now()
	err := s.Store.EndSessions(ctx, key, at)
	s.done("end_sessions", start, err)
	return err
}
