package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// TestFaultTerminatedBackends cuts every connection of a running store, as
// a database failover or an administrator would, and checks that calls in
// flight and calls on dead pooled connections fail with store.ErrUnavailable
// (the server's 503) or succeed on a fresh connection, and that the same
// store, never reopened, then works again.
func TestFaultTerminatedBackends(t *testing.T) {
	t.Parallel()
	dsn := testDSN(t)
	schema := newSchema(t)
	s, app := replica(t, schema)
	other := openStore(t, dsn, schema)
	admin := adminConn(t)
	ctx := bounded(t)

	const user = "1-p"
	if err := s.UpsertUser(ctx, store.User{Key: user, Platform: "p", CRMUserID: "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReserveCallLog(ctx, user, "s-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmCallLog(ctx, user, "s-1", "crm-1"); err != nil {
		t.Fatal(err)
	}

	// A call in flight: s waits inside PostgreSQL for a lock other holds.
	unlockOther := mustLock(t, other, "refresh:"+user)
	inFlight := lockAsync(ctx, s, "refresh:"+user)
	waitUntil(t, "s waits for the advisory lock", func() bool { return advisoryLocks(t, admin, app, false) == 1 })

	// A workload running through the cut.
	var (
		stop      = make(chan struct{})
		cut       atomic.Bool
		wg        sync.WaitGroup
		mu        sync.Mutex
		failures  []error
		recovered = make([]chan struct{}, 4)
	)
	for w := range recovered {
		recovered[w] = make(chan struct{})
		wg.Go(func() {
			once := sync.OnceFunc(func() { close(recovered[w]) })
			for {
				select {
				case <-stop:
					return
				default:
				}
				after := cut.Load()
				var err error
				switch w % 2 {
				case 0:
					_, err = s.GetUser(ctx, user)
				default:
					var r store.Reservation
					r, err = s.ReserveCallLog(ctx, user, "s-1", time.Hour)
					if err == nil && r.LogID != "crm-1" {
						err = errors.New("confirmed call log lost: " + r.LogID)
					}
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					continue
				}
				if after {
					once()
				}
			}
		})
	}

	terminate(t, admin, app)
	cut.Store(true)

	r := <-inFlight
	if r.err == nil {
		r.unlock()
		t.Fatal("Lock whose connection was terminated while waiting succeeded")
	}
	if !errors.Is(r.err, store.ErrUnavailable) {
		t.Errorf("Lock whose connection was terminated: error %v, want one wrapping store.ErrUnavailable", r.err)
	}

	// Every worker succeeds again without the store being reopened.
	for _, ch := range recovered {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the store did not recover from terminated connections")
		}
	}
	close(stop)
	wg.Wait()
	for _, err := range failures {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("call during the cut: error %v, want one wrapping store.ErrUnavailable", err)
		}
	}
	t.Logf("%d calls failed while the pool reconnected", len(failures))
	if len(failures) > 0 {
		t.Logf("the first: %v", failures[0])
	}

	unlockOther()
	mustLock(t, s, "refresh:"+user)()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after recovery: %v", err)
	}
	ids, err := s.CallLogIDs(ctx, user, []string{"s-1"})
	if err != nil || ids["s-1"] != "crm-1" {
		t.Errorf("CallLogIDs after recovery = %v, %v; want s-1: crm-1", ids, err)
	}
}

// TestFaultContextEndsIsNotUnavailable checks that a call cut short by its
// own context reports the context, not a database failure.
func TestFaultContextEndsIsNotUnavailable(t *testing.T) {
	t.Parallel()
	s := openStore(t, testDSN(t), newSchema(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.GetUser(ctx, "1-p")
	if !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("GetUser with a cancelled context: error %v, want one wrapping context.Canceled only", err)
	}
}
