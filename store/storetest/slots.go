package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/store"
)

// slotOps names one of the two reservation protocols, so one set of tests
// covers both.
type slotOps struct {
	reserve func(s store.Store, ctx context.Context, userKey, id string, lease time.Duration) (store.Reservation, error)
	confirm func(s store.Store, ctx context.Context, userKey, id, logID string) error
	release func(s store.Store, ctx context.Context, userKey, id string) error
}

var (
	callLogOps = slotOps{
		reserve: store.Store.ReserveCallLog,
		confirm: store.Store.ConfirmCallLog,
		release: store.Store.ReleaseCallLog,
	}
	messageOps = slotOps{
		reserve: store.Store.ReserveMessage,
		confirm: store.Store.ConfirmMessage,
		release: store.Store.ReleaseMessage,
	}
)

var (
	won     = store.Reservation{Won: true}
	pending = store.Reservation{}
)

func confirmed(logID string) store.Reservation { return store.Reservation{LogID: logID} }

// wantReserve reserves (userKey, id) and compares the outcome.
func (o slotOps) wantReserve(t *testing.T, s store.Store, userKey, id string, lease time.Duration, want store.Reservation) {
	t.Helper()
	got, err := o.reserve(s, t.Context(), userKey, id, lease)
	if err != nil {
		t.Fatalf("Reserve(%q, %q): %v", userKey, id, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Reserve(%q, %q, %v) (-want +got):\n%s", userKey, id, lease, diff)
	}
}

// newReserved returns a fresh store holding userA, who has just reserved
// the slot "id-1" (won, pending).
func (o slotOps) newReserved(t *testing.T, newStore func(t *testing.T) store.Store) store.Store {
	t.Helper()
	s := newUserStore(t, newStore, userA)
	o.wantReserve(t, s, userA, "id-1", longLease, won)
	return s
}

// newUserStore returns a fresh store holding sampleUser(k) for each of keys.
func newUserStore(t *testing.T, newStore func(t *testing.T) store.Store, keys ...string) store.Store {
	t.Helper()
	s := newStore(t)
	for _, k := range keys {
		must(t, "UpsertUser", s.UpsertUser(t.Context(), sampleUser(k)))
	}
	return s
}

const userA, userB = "1-testCRM", "2-testCRM"

func testSlots(t *testing.T, newStore func(t *testing.T) store.Store, o slotOps) {
	run(t, "ReserveFreeWins", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		o.wantReserve(t, s, userA, "id-1", longLease, won)
	})

	run(t, "ReservePendingLoses", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		o.wantReserve(t, s, userA, "id-1", longLease, pending)
		o.wantReserve(t, s, userA, "id-1", longLease, pending)
	})

	run(t, "ReserveConfirmedReturnsLogID", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		ctx := t.Context()
		must(t, "Confirm", o.confirm(s, ctx, userA, "id-1", "crm-1"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-1"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-1"))
	})

	run(t, "ReleasePendingFreesSlot", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		ctx := t.Context()
		must(t, "Release", o.release(s, ctx, userA, "id-1"))
		o.wantReserve(t, s, userA, "id-1", longLease, won)
		must(t, "Confirm", o.confirm(s, ctx, userA, "id-1", "crm-2"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-2"))
	})

	run(t, "ReleaseConfirmedDoesNothing", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		ctx := t.Context()
		must(t, "Confirm", o.confirm(s, ctx, userA, "id-1", "crm-1"))
		must(t, "Release", o.release(s, ctx, userA, "id-1"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-1"))
	})

	run(t, "ReleaseMissingIsNoError", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		must(t, "Release of a slot never reserved", o.release(s, t.Context(), userA, "id-1"))
		o.wantReserve(t, s, userA, "id-1", longLease, won)
	})

	run(t, "ExpiredPendingIsTakenOver", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		ctx := t.Context()
		// Not a timing threshold: any time past the 1ms lease will do.
		time.Sleep(expireSleep)
		o.wantReserve(t, s, userA, "id-1", tinyLease, store.Reservation{Won: true, TakenOver: true})
		// The new holder is protected by the lease the next caller uses.
		o.wantReserve(t, s, userA, "id-1", longLease, pending)
		must(t, "Confirm by the new holder", o.confirm(s, ctx, userA, "id-1", "crm-1"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-1"))
	})

	run(t, "ReserveAfterReleaseIsNoTakeover", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		time.Sleep(expireSleep)
		o.wantReserve(t, s, userA, "id-1", tinyLease, store.Reservation{Won: true, TakenOver: true})
		must(t, "Release", o.release(s, t.Context(), userA, "id-1"))
		// A slot freed by its holder is free, not taken over.
		o.wantReserve(t, s, userA, "id-1", longLease, won)
	})

	run(t, "ConfirmedIsNeverTakenOver", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		must(t, "Confirm", o.confirm(s, t.Context(), userA, "id-1", "crm-1"))
		time.Sleep(expireSleep)
		o.wantReserve(t, s, userA, "id-1", tinyLease, confirmed("crm-1"))
	})

	run(t, "SlotsAreIndependent", func(t *testing.T) {
		s := o.newReserved(t, newStore)
		ctx := t.Context()
		o.wantReserve(t, s, userA, "id-2", longLease, won)
		must(t, "Confirm", o.confirm(s, ctx, userA, "id-1", "crm-1"))
		must(t, "Release", o.release(s, ctx, userA, "id-2"))
		o.wantReserve(t, s, userA, "id-1", longLease, confirmed("crm-1"))
		o.wantReserve(t, s, userA, "id-2", longLease, won)
	})

	run(t, "OneLogIDForManySlots", func(t *testing.T) {
		// Several messages of a conversation day go into one CRM record.
		s := newUserStore(t, newStore, userA)
		for _, id := range []string{"id-1", "id-2", "id-3"} {
			o.wantReserve(t, s, userA, id, longLease, won)
			must(t, "Confirm", o.confirm(s, t.Context(), userA, id, "crm-day"))
		}
		for _, id := range []string{"id-1", "id-2", "id-3"} {
			o.wantReserve(t, s, userA, id, longLease, confirmed("crm-day"))
		}
	})

	run(t, "RaceOneWinner", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		res, errs := together(racers, func(int) (store.Reservation, error) {
			return o.reserve(s, ctx, userA, "id-1", longLease)
		})
		wins := 0
		for i, r := range res {
			if errs[i] != nil {
				t.Errorf("racer %d: %v", i, errs[i])
				continue
			}
			switch r {
			case won:
				wins++
			case pending:
			default:
				t.Errorf("racer %d got %+v, want a win or a pending slot", i, r)
			}
		}
		if wins != 1 {
			t.Fatalf("%d of %d concurrent Reserve calls won the slot, want exactly 1", wins, racers)
		}

		must(t, "Confirm", o.confirm(s, ctx, userA, "id-1", "crm-1"))
		res, errs = together(racers, func(int) (store.Reservation, error) {
			return o.reserve(s, ctx, userA, "id-1", tinyLease)
		})
		for i, r := range res {
			if errs[i] != nil || r != confirmed("crm-1") {
				t.Errorf("racer %d after Confirm: %+v, %v; want LogID crm-1", i, r, errs[i])
			}
		}
	})

	run(t, "RaceManySlots", func(t *testing.T) {
		// Concurrent writers to different slots must all succeed: no
		// "database is busy" under load.
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		_, errs := together(racers, func(i int) (struct{}, error) {
			id := fmt.Sprintf("id-%d", i)
			r, err := o.reserve(s, ctx, userA, id, longLease)
			if err != nil {
				return struct{}{}, err
			}
			if !r.Won {
				return struct{}{}, fmt.Errorf("Reserve of free slot %s: %+v, want Won", id, r)
			}
			if i%2 == 0 {
				return struct{}{}, o.confirm(s, ctx, userA, id, "crm-"+id)
			}
			return struct{}{}, o.release(s, ctx, userA, id)
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		}
		for i := range racers {
			id := fmt.Sprintf("id-%d", i)
			want := won
			if i%2 == 0 {
				want = confirmed("crm-" + id)
			}
			o.wantReserve(t, s, userA, id, longLease, want)
		}
	})
}

func testCallLogIDs(t *testing.T, newStore func(t *testing.T) store.Store) {
	run(t, "OnlyConfirmed", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		callLogOps.wantReserve(t, s, userA, "confirmed", longLease, won)
		must(t, "Confirm", s.ConfirmCallLog(ctx, userA, "confirmed", "crm-1"))
		callLogOps.wantReserve(t, s, userA, "pending", longLease, won)
		callLogOps.wantReserve(t, s, userA, "released", longLease, won)
		must(t, "Release", s.ReleaseCallLog(ctx, userA, "released"))

		got, err := s.CallLogIDs(ctx, userA, []string{"pending", "confirmed", "unknown", "released", "confirmed"})
		must(t, "CallLogIDs", err)
		if diff := cmp.Diff(map[string]string{"confirmed": "crm-1"}, got); diff != "" {
			t.Errorf("CallLogIDs (-want +got):\n%s", diff)
		}
	})

	run(t, "EmptyInput", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		callLogOps.wantReserve(t, s, userA, "s-1", longLease, won)
		must(t, "Confirm", s.ConfirmCallLog(ctx, userA, "s-1", "crm-1"))
		for _, ids := range [][]string{nil, {}} {
			got, err := s.CallLogIDs(ctx, userA, ids)
			must(t, fmt.Sprintf("CallLogIDs(%#v)", ids), err)
			if len(got) != 0 {
				t.Errorf("CallLogIDs(%#v) = %v, want an empty map", ids, got)
			}
		}
	})

	run(t, "ManyIDs", func(t *testing.T) {
		// The server accepts up to 100 ids per request; go beyond it.
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		var ids []string
		want := map[string]string{}
		for i := range 150 {
			id := fmt.Sprintf("s-%03d", i)
			ids = append(ids, id)
			if i%3 == 0 {
				callLogOps.wantReserve(t, s, userA, id, longLease, won)
				must(t, "Confirm", s.ConfirmCallLog(ctx, userA, id, "crm-"+id))
				want[id] = "crm-" + id
			}
		}
		got, err := s.CallLogIDs(ctx, userA, ids)
		must(t, "CallLogIDs", err)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CallLogIDs of 150 ids (-want +got):\n%s", diff)
		}
	})
}

// The mapping fixture of DeleteUser and UpsertKeepsMappings.
const (
	fixtureConversation = "conv-1/3/4/2026"
	fixtureCRMDay       = "crm-day-1"
)

// seedMappings gives the user confirmed and pending slots of both kinds and
// a conversation id.
func seedMappings(t *testing.T, s store.Store, userKey string) {
	t.Helper()
	ctx := t.Context()
	for _, id := range []string{"s-1", "s-2", "s-pending"} {
		callLogOps.wantReserve(t, s, userKey, id, longLease, won)
	}
	must(t, "ConfirmCallLog", s.ConfirmCallLog(ctx, userKey, "s-1", "crm-s-1"))
	must(t, "ConfirmCallLog", s.ConfirmCallLog(ctx, userKey, "s-2", "crm-s-2"))
	for _, id := range []string{"m-1", "m-pending"} {
		messageOps.wantReserve(t, s, userKey, id, longLease, won)
	}
	must(t, "ConfirmMessage", s.ConfirmMessage(ctx, userKey, "m-1", fixtureCRMDay))
	got, err := s.PutConversationLogID(ctx, userKey, fixtureConversation, fixtureCRMDay)
	must(t, "PutConversationLogID", err)
	if got != fixtureCRMDay {
		t.Fatalf("PutConversationLogID on a fresh store = %q, want %q", got, fixtureCRMDay)
	}
}

// checkMappings checks that what seedMappings wrote is all there (present)
// or all gone. When gone, it leaves the slots reserved.
func checkMappings(t *testing.T, s store.Store, userKey string, present bool) {
	t.Helper()
	ctx := t.Context()
	ids, err := s.CallLogIDs(ctx, userKey, []string{"s-1", "s-2", "s-pending"})
	must(t, "CallLogIDs", err)
	if !present && len(ids) != 0 {
		t.Errorf("CallLogIDs of %s = %v, want none", userKey, ids)
	}
	if present {
		if diff := cmp.Diff(map[string]string{"s-1": "crm-s-1", "s-2": "crm-s-2"}, ids); diff != "" {
			t.Errorf("CallLogIDs of %s (-want +got):\n%s", userKey, diff)
		}
	}
	conv, err := s.ConversationLogID(ctx, userKey, fixtureConversation)
	if present {
		if err != nil || conv != fixtureCRMDay {
			t.Errorf("ConversationLogID of %s = %q, %v; want %q", userKey, conv, err, fixtureCRMDay)
		}
		callLogOps.wantReserve(t, s, userKey, "s-1", longLease, confirmed("crm-s-1"))
		callLogOps.wantReserve(t, s, userKey, "s-pending", longLease, pending)
		messageOps.wantReserve(t, s, userKey, "m-1", longLease, confirmed(fixtureCRMDay))
		messageOps.wantReserve(t, s, userKey, "m-pending", longLease, pending)
		return
	}
	wantErr(t, "ConversationLogID of a deleted user", err, store.ErrNotFound)
	callLogOps.wantReserve(t, s, userKey, "s-1", longLease, won)
	callLogOps.wantReserve(t, s, userKey, "s-pending", longLease, won)
	messageOps.wantReserve(t, s, userKey, "m-1", longLease, won)
	messageOps.wantReserve(t, s, userKey, "m-pending", longLease, won)
}

func testDeleteUser(t *testing.T, newStore func(t *testing.T) store.Store) {
	run(t, "RemovesUserAndEveryMapping", func(t *testing.T) {
		s := newUserStore(t, newStore, userA, userB)
		ctx := t.Context()
		seedMappings(t, s, userA)
		seedMappings(t, s, userB)

		must(t, "DeleteUser", s.DeleteUser(ctx, userA))
		_, err := s.GetUser(ctx, userA)
		wantErr(t, "GetUser after DeleteUser", err, store.ErrNotFound)
		// The same user logs in again: nothing of the old mappings may
		// come back.
		must(t, "UpsertUser", s.UpsertUser(ctx, sampleUser(userA)))
		checkMappings(t, s, userA, false)

		// The other user keeps everything.
		if _, err := s.GetUser(ctx, userB); err != nil {
			t.Errorf("GetUser of the other user: %v", err)
		}
		checkMappings(t, s, userB, true)
	})

	run(t, "Idempotent", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		must(t, "DeleteUser", s.DeleteUser(ctx, userA))
		must(t, "DeleteUser again", s.DeleteUser(ctx, userA))
		must(t, "DeleteUser of a user that never existed", s.DeleteUser(ctx, "nobody-testCRM"))
		_, err := s.GetUser(ctx, userA)
		wantErr(t, "GetUser after DeleteUser", err, store.ErrNotFound)
	})
}

func testScoping(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		o    slotOps
	}{{"CallLogs", callLogOps}, {"Messages", messageOps}} {
		run(t, tc.name, func(t *testing.T) {
			s := newUserStore(t, newStore, userA, userB)
			ctx := t.Context()
			o := tc.o
			// A holds "shared" pending: B's slot of the same id is free.
			o.wantReserve(t, s, userA, "shared", longLease, won)
			o.wantReserve(t, s, userB, "shared", longLease, won)
			// A confirms: B still sees its own pending slot, not A's id.
			must(t, "Confirm A", o.confirm(s, ctx, userA, "shared", "crm-a"))
			o.wantReserve(t, s, userB, "shared", longLease, pending)
			// B releases: A's confirmed slot is untouched.
			must(t, "Release B", o.release(s, ctx, userB, "shared"))
			o.wantReserve(t, s, userA, "shared", longLease, confirmed("crm-a"))
			o.wantReserve(t, s, userB, "shared", longLease, won)
			must(t, "Confirm B", o.confirm(s, ctx, userB, "shared", "crm-b"))
			o.wantReserve(t, s, userA, "shared", longLease, confirmed("crm-a"))
			o.wantReserve(t, s, userB, "shared", longLease, confirmed("crm-b"))
			// A releasing its id does not free B's pending one.
			o.wantReserve(t, s, userB, "other", longLease, won)
			must(t, "Release A", o.release(s, ctx, userA, "other"))
			o.wantReserve(t, s, userB, "other", longLease, pending)
		})
	}

	run(t, "CallLogIDs", func(t *testing.T) {
		s := newUserStore(t, newStore, userA, userB)
		ctx := t.Context()
		callLogOps.wantReserve(t, s, userA, "shared", longLease, won)
		must(t, "Confirm", s.ConfirmCallLog(ctx, userA, "shared", "crm-a"))
		got, err := s.CallLogIDs(ctx, userB, []string{"shared"})
		must(t, "CallLogIDs", err)
		if len(got) != 0 {
			t.Errorf("user B sees user A's call logs: %v", got)
		}
		callLogOps.wantReserve(t, s, userB, "shared", longLease, won)
		must(t, "Confirm", s.ConfirmCallLog(ctx, userB, "shared", "crm-b"))
		for user, want := range map[string]string{userA: "crm-a", userB: "crm-b"} {
			got, err := s.CallLogIDs(ctx, user, []string{"shared"})
			must(t, "CallLogIDs", err)
			if diff := cmp.Diff(map[string]string{"shared": want}, got); diff != "" {
				t.Errorf("CallLogIDs of %s (-want +got):\n%s", user, diff)
			}
		}
	})

	run(t, "ConversationLogIDs", func(t *testing.T) {
		s := newUserStore(t, newStore, userA, userB)
		ctx := t.Context()
		got, err := s.PutConversationLogID(ctx, userA, fixtureConversation, "crm-a")
		if err != nil || got != "crm-a" {
			t.Fatalf("PutConversationLogID of A = %q, %v; want crm-a", got, err)
		}
		_, err = s.ConversationLogID(ctx, userB, fixtureConversation)
		wantErr(t, "ConversationLogID of B for A's conversation", err, store.ErrNotFound)
		got, err = s.PutConversationLogID(ctx, userB, fixtureConversation, "crm-b")
		if err != nil || got != "crm-b" {
			t.Errorf("PutConversationLogID of B = %q, %v; want B's own crm-b", got, err)
		}
		got, err = s.ConversationLogID(ctx, userA, fixtureConversation)
		if err != nil || got != "crm-a" {
			t.Errorf("ConversationLogID of A = %q, %v; want crm-a", got, err)
		}
	})
}

func testConversations(t *testing.T, newStore func(t *testing.T) store.Store) {
	run(t, "GetMissing", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		_, err := s.ConversationLogID(t.Context(), userA, fixtureConversation)
		wantErr(t, "ConversationLogID of an unknown conversation", err, store.ErrNotFound)
	})

	run(t, "FirstPutWins", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		for _, tc := range []struct{ put, want string }{
			{"crm-1", "crm-1"},
			{"crm-2", "crm-1"},
			{"crm-1", "crm-1"},
		} {
			got, err := s.PutConversationLogID(ctx, userA, fixtureConversation, tc.put)
			must(t, "PutConversationLogID", err)
			if got != tc.want {
				t.Errorf("PutConversationLogID(%q) = %q, want %q", tc.put, got, tc.want)
			}
			got, err = s.ConversationLogID(ctx, userA, fixtureConversation)
			must(t, "ConversationLogID", err)
			if got != tc.want {
				t.Errorf("ConversationLogID after Put(%q) = %q, want %q", tc.put, got, tc.want)
			}
		}
		// Another day of the same conversation is another record.
		got, err := s.PutConversationLogID(ctx, userA, "conv-1/3/5/2026", "crm-3")
		if err != nil || got != "crm-3" {
			t.Errorf("PutConversationLogID of the next day = %q, %v; want crm-3", got, err)
		}
	})

	run(t, "RaceOneWinner", func(t *testing.T) {
		const n = 20
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		res, errs := together(n, func(i int) (string, error) {
			return s.PutConversationLogID(ctx, userA, fixtureConversation, fmt.Sprintf("crm-%d", i))
		})
		first := res[0]
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("Put %d: %v", i, errs[i])
			}
			if res[i] != first {
				t.Errorf("concurrent Puts returned different ids: %q and %q", first, res[i])
			}
		}
		var valid bool
		for i := range n {
			valid = valid || first == fmt.Sprintf("crm-%d", i)
		}
		if !valid {
			t.Errorf("concurrent Puts returned %q, which none of them put", first)
		}
		got, err := s.ConversationLogID(ctx, userA, fixtureConversation)
		if err != nil || got != first {
			t.Errorf("ConversationLogID after the race = %q, %v; want %q", got, err, first)
		}
	})
}
