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

// testConfirm: what ConfirmCallLog and ConfirmMessage do beyond the happy
// path, as both stores document it. Each keeps a CRM record from being
// lost or written twice:
//   - a confirmed slot keeps its first id: the holder whose lease ran out
//     and was taken over confirms late, and must not replace the record the
//     new holder recorded (the client would update the wrong one);
//   - a slot that is no longer reserved (released, or its user's mappings
//     deleted meanwhile) is recorded as confirmed all the same: the CRM
//     record exists, and a retry must find it instead of creating another;
//   - an empty id is an error and records nothing.
func testConfirm(t *testing.T, newStore func(t *testing.T) store.Store, o slotOps) {
	run(t, "KeepsFirstID", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		ctx := t.Context()
		time.Sleep(expireSleep)
		o.wantReserve(t, s, userA, "id-1", tinyLease, store.Reservation{Won: true, TakenOver: true})
		must(t, "Confirm by the new holder", o.confirm(s, ctx, userA, "id-1", "crm-new"))
		must(t, "Confirm by the old holder", o.confirm(s, ctx, userA, "id-1", "crm-old"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-new"))
	})
	run(t, "AfterRelease", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		ctx := t.Context()
		must(t, "Release", o.release(s, ctx, userA, "id-1"))
		must(t, "Confirm after Release", o.confirm(s, ctx, userA, "id-1", "crm-1"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-1"))
	})
	run(t, "NeverReserved", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		must(t, "Confirm of a slot never reserved", o.confirm(s, t.Context(), userA, "id-1", "crm-1"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-1"))
	})
	run(t, "EmptyID", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		if err := o.confirm(s, t.Context(), userA, "id-1", ""); err == nil {
			t.Errorf("Confirm with an empty id: no error")
		}
		o.wantReserve(t, s, userA, "id-1", longLease, pending)
	})
}
