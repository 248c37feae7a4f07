package postgres

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmbridge/crmbridge/internal/concurrently"
	"github.com/crmbridge/crmbridge/store"
)

// testAppPrefix starts the application_name of test stores; only backends
// carrying it are ever terminated.
const testAppPrefix = "crmbridge-test-"

// replica opens a store on schema whose connections carry a unique
// application_name, so the test can find its backends in pg_stat_activity.
func replica(t *testing.T, schema string) (*Store, string) {
	t.Helper()
	app := randomName(testAppPrefix)
	return openStore(t, withParam(t, testDSN(t), "application_name", app), schema), app
}

// terminate ends every backend of app (and of no one else) from the admin
// connection, as an administrator or a failover would, and waits until
// they are gone (a store at work may already have opened new ones).
func terminate(t *testing.T, admin *pgx.Conn, app string) {
	t.Helper()
	if !strings.HasPrefix(app, testAppPrefix) {
		t.Fatalf("refusing to terminate backends of %q", app)
	}
	// Read the pids first and terminate them one by one, so that no query
	// plan can ever apply pg_terminate_backend to another backend.
	rows, err := admin.Query(bounded(t), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		t.Fatalf("listing the backends of %s: %v", app, err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(pids) == 0 {
		t.Fatalf("listing the backends of %s: %d found, %v", app, len(pids), err)
	}
	for _, pid := range pids {
		if _, err := admin.Exec(bounded(t), `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatalf("terminating backend %d: %v", pid, err)
		}
	}
	waitUntil(t, "the terminated backends are gone", func() bool {
		var n int
		err := admin.QueryRow(bounded(t), `SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)`, pids).Scan(&n)
		return err == nil && n == 0
	})
}

// advisoryLocks counts the advisory locks of app's backends, granted or
// waited for.
func advisoryLocks(t *testing.T, admin *pgx.Conn, app string, granted bool) int {
	t.Helper()
	var n int
	err := admin.QueryRow(bounded(t), `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted = $2 AND a.application_name = $1`, app, granted).Scan(&n)
	if err != nil {
		t.Fatalf("reading pg_locks: %v", err)
	}
	return n
}

// waitUntil polls cond until it holds; the test's deadline bounds it.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx := bounded(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting until %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// lockAsync calls s.Lock(ctx, name) on a goroutine.
func lockAsync(ctx context.Context, s *Store, name string) <-chan lockResult {
	ch := make(chan lockResult, 1)
	go func() {
		unlock, err := s.Lock(ctx, name)
		ch <- lockResult{unlock, err}
	}()
	return ch
}

type lockResult struct {
	unlock func()
	err    error
}

func mustLock(t *testing.T, s *Store, name string) func() {
	t.Helper()
	unlock, err := s.Lock(bounded(t), name)
	if err != nil {
		t.Fatalf("Lock(%q): %v", name, err)
	}
	return unlock
}

func TestLockAcrossStores(t *testing.T) {
	t.Parallel()
	testDSN(t)

	t.Run("ExclusiveBetweenPools", func(t *testing.T) {
		schema := newSchema(t)
		a, _ := replica(t, schema)
		b, appB := replica(t, schema)
		admin := adminConn(t)

		unlockA := mustLock(t, a, "refresh:1-p")
		res := lockAsync(bounded(t), b, "refresh:1-p")
		// b is queued inside PostgreSQL, not merely slow.
		waitUntil(t, "b waits for the advisory lock", func() bool { return advisoryLocks(t, admin, appB, false) == 1 })
		select {
		case r := <-res:
			t.Fatalf("b got the lock while a held it (err %v)", r.err)
		default:
		}
		unlockA()
		r := <-res
		if r.err != nil {
			t.Fatalf("b after a unlocked: %v", r.err)
		}
		if n := advisoryLocks(t, admin, appB, true); n != 1 {
			t.Errorf("b holds %d advisory locks, want 1", n)
		}
		r.unlock()
		r.unlock() // a second call does nothing
		if n := advisoryLocks(t, admin, appB, true); n != 0 {
			t.Errorf("b holds %d advisory locks after unlock, want 0", n)
		}
	})

	t.Run("MutualExclusionUnderLoad", func(t *testing.T) {
		schema := newSchema(t)
		stores := []*Store{openStore(t, testDSN(t), schema), openStore(t, testDSN(t), schema)}
		var inside, maxInside, entered atomic.Int32
		errs := concurrently.Run(20, func(i int) error {
			unlock, err := stores[i%2].Lock(bounded(t), "conversation:1-p:c/1/2/2026")
			if err != nil {
				return err
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			entered.Add(1)
			// Give the other store a chance to break in, if it could.
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
			return nil
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("Lock %d: %v", i, err)
			}
		}
		if got := maxInside.Load(); got != 1 {
			t.Errorf("%d holders at once, want 1", got)
		}
		if got := entered.Load(); got != 20 {
			t.Errorf("%d of 20 callers got the lock", got)
		}
	})

	t.Run("CancelWhileWaitingLeavesNothing", func(t *testing.T) {
		schema := newSchema(t)
		a, _ := replica(t, schema)
		b, appB := replica(t, schema)
		admin := adminConn(t)

		unlockA := mustLock(t, a, "n")
		ctx, cancel := context.WithCancel(bounded(t))
		res := lockAsync(ctx, b, "n")
		waitUntil(t, "b waits for the advisory lock", func() bool { return advisoryLocks(t, admin, appB, false) == 1 })
		cancel()
		r := <-res
		if !errors.Is(r.err, context.Canceled) || errors.Is(r.err, store.ErrUnavailable) {
			t.Fatalf("Lock after cancel: error %v, want one wrapping context.Canceled only", r.err)
		}
		if n := advisoryLocks(t, admin, appB, false) + advisoryLocks(t, admin, appB, true); n != 0 {
			t.Errorf("b's backends hold or wait for %d advisory locks after the cancel, want 0", n)
		}
		if n := b.locks.Stat().AcquiredConns(); n != 0 {
			t.Errorf("%d lock connections still out of b's pool", n)
		}
		// The connection went back to the pool rather than being closed.
		if n := b.locks.Stat().IdleConns(); n != 1 {
			t.Errorf("b's lock pool has %d idle connections, want the 1 it reused", n)
		}
		unlockA()
		mustLock(t, b, "n")()
		mustLock(t, a, "n")()
	})

	t.Run("SchemasDoNotShareLocks", func(t *testing.T) {
		a := openStore(t, testDSN(t), newSchema(t))
		b := openStore(t, testDSN(t), newSchema(t))
		unlockA := mustLock(t, a, "n")
		defer unlockA()
		mustLock(t, b, "n")()
	})

	t.Run("DeadConnectionReleasesTheLock", func(t *testing.T) {
		schema := newSchema(t)
		a, appA := replica(t, schema)
		b, _ := replica(t, schema)
		admin := adminConn(t)

		unlockA := mustLock(t, a, "n")
		terminate(t, admin, appA)
		// PostgreSQL released a's lock with its session.
		mustLock(t, b, "n")()
		// a's unlock finds its connection dead and discards it quietly;
		// a then locks again on a fresh connection.
		unlockA()
		// The pool destroys a closed connection in the background.
		waitUntil(t, "a's dead lock connection is destroyed", func() bool { return a.locks.Stat().TotalConns() == 0 })
		mustLock(t, a, "n")()
	})

	t.Run("CloseEndsWaits", func(t *testing.T) {
		schema := newSchema(t)
		a, _ := replica(t, schema)
		b, appB := replica(t, schema)
		admin := adminConn(t)

		unlockA := mustLock(t, a, "n")
		defer unlockA()
		res := lockAsync(bounded(t), b, "n")
		waitUntil(t, "b waits for the advisory lock", func() bool { return advisoryLocks(t, admin, appB, false) == 1 })
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if r := <-res; !errors.Is(r.err, store.ErrUnavailable) {
			t.Errorf("Lock cut short by Close: error %v, want one wrapping store.ErrUnavailable", r.err)
		}
	})
}

func TestLockCloseReleasesHeldLocks(t *testing.T) {
	t.Parallel()
	testDSN(t)
	schema := newSchema(t)
	a, appA := replica(t, schema)
	b, _ := replica(t, schema)
	admin := adminConn(t)

	unlockA := mustLock(t, a, "n")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a's lock is released", func() bool { return advisoryLocks(t, admin, appA, true) == 0 })
	mustLock(t, b, "n")()
	unlockA() // does nothing: Close released it
	if _, err := a.Lock(bounded(t), "n"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Lock after Close: error %v, want one wrapping store.ErrUnavailable", err)
	}
}
