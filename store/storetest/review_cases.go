package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// testEveryMethodAfterClose: after Close, every method of store.Store
// fails with an error wrapping store.ErrUnavailable (the server answers
// 503) and never store.ErrNotFound (the server would end the session or
// report a missing record), as the suite's doc promises. PingClose checks
// a sample; this checks each method, since stores route them through
// different code (shared slot and settings code, transactions, the lock
// pool).
func testEveryMethodAfterClose(t *testing.T, newStore func(t *testing.T) store.Store) {
	s := newUserStore(t, newStore, userA)
	ctx := t.Context()
	must(t, "PutUserSettings", s.PutUserSettings(ctx, userA, []byte(`{"a":1}`)))
	must(t, "Close", s.Close())
	now := time.Now()
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"GetUser", func(ctx context.Context) error { _, err := s.GetUser(ctx, userA); return err }},
		{"UpsertUser", func(ctx context.Context) error { return s.UpsertUser(ctx, sampleUser(userA)) }},
		{"UpdateTokens", func(ctx context.Context) error { return s.UpdateTokens(ctx, userA, store.Tokens{}) }},
		{"EndSessions", func(ctx context.Context) error { return s.EndSessions(ctx, userA, now) }},
		{"DeleteUser", func(ctx context.Context) error { return s.DeleteUser(ctx, userA) }},
		{"ReserveCallLog", func(ctx context.Context) error {
			_, err := s.ReserveCallLog(ctx, userA, "s-1", longLease)
			return err
		}},
		{"ConfirmCallLog", func(ctx context.Context) error { return s.ConfirmCallLog(ctx, userA, "s-1", "crm-1") }},
		{"ReleaseCallLog", func(ctx context.Context) error { return s.ReleaseCallLog(ctx, userA, "s-1") }},
		{"CallLogIDs", func(ctx context.Context) error { _, err := s.CallLogIDs(ctx, userA, []string{"s-1"}); return err }},
		{"ReserveMessage", func(ctx context.Context) error {
			_, err := s.ReserveMessage(ctx, userA, "m-1", longLease)
			return err
		}},
		{"ConfirmMessage", func(ctx context.Context) error { return s.ConfirmMessage(ctx, userA, "m-1", "crm-1") }},
		{"ReleaseMessage", func(ctx context.Context) error { return s.ReleaseMessage(ctx, userA, "m-1") }},
		{"ConversationLogID", func(ctx context.Context) error {
			_, err := s.ConversationLogID(ctx, userA, fixtureConversation)
			return err
		}},
		{"PutConversationLogID", func(ctx context.Context) error {
			_, err := s.PutConversationLogID(ctx, userA, fixtureConversation, "crm-1")
			return err
		}},
		{"UserSettings", func(ctx context.Context) error { _, err := s.UserSettings(ctx, userA); return err }},
		{"PutUserSettings", func(ctx context.Context) error { return s.PutUserSettings(ctx, userA, []byte(`{}`)) }},
		{"AdminSettings", func(ctx context.Context) error { _, err := s.AdminSettings(ctx, "acct"); return err }},
		{"PutAdminSettings", func(ctx context.Context) error { return s.PutAdminSettings(ctx, "acct", []byte(`{}`)) }},
		{"PutCachedNote", func(ctx context.Context) error {
			return s.PutCachedNote(ctx, userA, "s-1", "note", now, now.Add(time.Hour), 10)
		}},
		{"CachedNote", func(ctx context.Context) error { _, err := s.CachedNote(ctx, userA, "s-1", now); return err }},
		{"Lock", func(ctx context.Context) error {
			unlock, err := s.Lock(ctx, lockName)
			if err == nil {
				unlock()
			}
			return err
		}},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
	for _, c := range calls {
		err := c.call(ctx)
		wantErr(t, c.name+" after Close", err, store.ErrUnavailable)
		if errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after Close wraps ErrNotFound: %v", c.name, err)
		}
	}
}
