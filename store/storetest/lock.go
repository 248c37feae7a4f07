package storetest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

const lockName = "refresh:1-testCRM"

// probeTimeout bounds a Lock call that MUST fail because the lock is held.
// A slow machine cannot make such a call succeed, so the value only decides
// how long the test waits, never whether it passes.
const probeTimeout = 50 * time.Millisecond

// wantHeld fails the test if name can be locked right now.
func wantHeld(t *testing.T, s store.Store, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), probeTimeout)
	defer cancel()
	unlock, err := s.Lock(ctx, name)
	if err == nil {
		unlock()
		t.Fatalf("Lock(%q) succeeded while the lock was held", name)
	}
	wantErr(t, "Lock while held, until the deadline", err, context.DeadlineExceeded)
}

// lockNow takes name, failing the test if that takes unreasonably long.
func lockNow(t *testing.T, s store.Store, name string) func() {
	t.Helper()
	unlock, err := s.Lock(boundedCtx(t), name)
	if err != nil {
		t.Fatalf("Lock(%q) of a free lock: %v", name, err)
	}
	return unlock
}

func testLock(t *testing.T, newStore func(t *testing.T) store.Store) {
	run(t, "Exclusive", func(t *testing.T) {
		s := newStore(t)
		unlock := lockNow(t, s, lockName)
		wantHeld(t, s, lockName)
		unlock()
	})

	run(t, "WaiterGetsLockAfterUnlock", func(t *testing.T) {
		s := newStore(t)
		unlock := lockNow(t, s, lockName)
		var released atomic.Bool
		ctx := boundedCtx(t)
		got := make(chan error, 1)
		go func() {
			u, err := s.Lock(ctx, lockName)
			if err != nil {
				got <- err
				return
			}
			if !released.Load() {
				err = errors.New("second Lock returned before the first holder unlocked")
			}
			u()
			got <- err
		}()
		released.Store(true)
		unlock()
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	})

	run(t, "MutualExclusion", func(t *testing.T) {
		s := newStore(t)
		ctx := boundedCtx(t)
		var inside, violations atomic.Int32
		_, errs := together(10, func(int) (struct{}, error) {
			for range 20 {
				unlock, err := s.Lock(ctx, lockName)
				if err != nil {
					return struct{}{}, err
				}
				if inside.Add(1) != 1 {
					violations.Add(1)
				}
				inside.Add(-1)
				unlock()
			}
			return struct{}{}, nil
		})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if v := violations.Load(); v != 0 {
			t.Errorf("%d times two goroutines held %q at once", v, lockName)
		}
	})

	run(t, "NamesAreIndependent", func(t *testing.T) {
		s := newStore(t)
		unlockA := lockNow(t, s, "refresh:1-testCRM")
		unlockB := lockNow(t, s, "refresh:2-testCRM")
		unlockC := lockNow(t, s, "conversation:1-testCRM:conv-1/3/4/2026")
		wantHeld(t, s, "refresh:1-testCRM")
		unlockA()
		unlockB()
		unlockC()
	})

	run(t, "CancelWhileWaiting", func(t *testing.T) {
		s := newStore(t)
		unlock := lockNow(t, s, lockName)
		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan error, 1)
		go func() {
			u, err := s.Lock(ctx, lockName)
			if err == nil {
				u()
				err = errors.New("Lock succeeded while the lock was held")
			}
			got <- err
		}()
		cancel()
		err := <-got
		wantErr(t, "Lock cancelled while waiting", err, context.Canceled)
		// The abandoned wait must not leave the lock taken or queued.
		wantHeld(t, s, lockName)
		unlock()
		lockNow(t, s, lockName)()
	})

	run(t, "RelockAfterUnlock", func(t *testing.T) {
		s := newStore(t)
		for range 100 {
			lockNow(t, s, lockName)()
		}
		unlock := lockNow(t, s, lockName)
		wantHeld(t, s, lockName)
		unlock()
	})
}

func testPingClose(t *testing.T, newStore func(t *testing.T) store.Store) {
	run(t, "Ping", func(t *testing.T) {
		s := newStore(t)
		must(t, "Ping", s.Ping(t.Context()))
	})

	run(t, "UnavailableAfterClose", func(t *testing.T) {
		s := newUserStore(t, newStore, userA)
		ctx := t.Context()
		must(t, "Close", s.Close())
		wantErr(t, "Ping after Close", s.Ping(ctx), store.ErrUnavailable)
		_, err := s.GetUser(ctx, userA)
		wantErr(t, "GetUser after Close", err, store.ErrUnavailable)
		if errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser after Close wraps ErrNotFound: the server would end the session instead of answering 503")
		}
		wantErr(t, "UpsertUser after Close", s.UpsertUser(ctx, sampleUser(userA)), store.ErrUnavailable)
		_, err = s.ReserveCallLog(ctx, userA, "s-1", longLease)
		wantErr(t, "ReserveCallLog after Close", err, store.ErrUnavailable)
		_, err = s.CallLogIDs(ctx, userA, []string{"s-1"})
		wantErr(t, "CallLogIDs after Close", err, store.ErrUnavailable)
		_, err = s.PutConversationLogID(ctx, userA, fixtureConversation, "crm-1")
		wantErr(t, "PutConversationLogID after Close", err, store.ErrUnavailable)
		_, err = s.UserSettings(ctx, userA)
		wantErr(t, "UserSettings after Close", err, store.ErrUnavailable)
		wantErr(t, "PutAdminSettings after Close", s.PutAdminSettings(ctx, "acct", []byte(`{}`)), store.ErrUnavailable)
		_, err = s.CachedNote(ctx, userA, "s-1", time.Now())
		wantErr(t, "CachedNote after Close", err, store.ErrUnavailable)
		_, err = s.Lock(ctx, lockName)
		wantErr(t, "Lock after Close", err, store.ErrUnavailable)
	})
}
