package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/internal/concurrently"
	"github.com/crmbridge/crmbridge/store"
)

// Leases used by the suite. longLease keeps a pending reservation pending
// for the whole test; tinyLease makes any reservation taken before
// expireSleep older than the lease.
const (
	longLease   = time.Hour
	tinyLease   = time.Millisecond
	expireSleep = 10 * time.Millisecond
)

// racers is how many goroutines compete for one slot in the race tests.
const racers = 50

// Run runs the conformance suite against stores made by newStore. newStore
// must return a new, empty store each time it is called (the suite calls it
// once per subtest) and register its cleanup with t.Cleanup. The subtests
// run in parallel (each on its own store), so newStore is called from
// several goroutines at once: every store it returns must be independent
// of the others (its own file, schema or database).
//
// Expectations the interface leaves implicit:
//
//   - Byte fields: a nil slice comes back nil (the interface says "nil when
//     absent"). An empty non-nil slice means absent too and may come back
//     nil or empty. Any other content comes back byte for byte, NUL bytes
//     included.
//   - Times are compared as instants, at microsecond precision: a time with
//     whole microseconds comes back Equal, any location is fine; a finer
//     time may be truncated or rounded to the microsecond. A zero
//     TokenExpiry comes back zero.
//   - CreatedAt and UpdatedAt are set by the store: both non-zero after an
//     upsert, UpdatedAt never before CreatedAt, and the CreatedAt the
//     caller passes is ignored.
//   - UpsertUser of an existing user does not touch its mappings (a user
//     logging in again keeps its call logs).
//   - The suite always upserts a user before writing mappings for it, so
//     a store may require one.
//   - UserSettings and AdminSettings of a key never written are nil, not
//     an error; what was put comes back byte for byte. A user's settings
//     survive UpsertUser and UpdateTokens and go with DeleteUser; admin
//     settings belong to no user.
//   - CachedNote compares expiry with the now it is given (the suite never
//     sleeps); PutCachedNote keeps at most maxPerUser notes per user, those
//     expiring last.
//   - After Close, every method, Lock included, fails with an error
//     wrapping [store.ErrUnavailable] (never [store.ErrNotFound]). The
//     suite closes some stores itself, so Close must tolerate the second
//     call made by the cleanup newStore registered.
//   - ConfirmCallLog and ConfirmMessage keep the first id a slot was
//     confirmed with (a holder whose lease was taken over confirms late and
//     must not replace the new holder's record), confirm a slot that is no
//     longer reserved all the same (the CRM record exists), and refuse an
//     empty id.
//
// Lock is tested within one process: mutual exclusion, independence of
// names, cancellation while waiting. Exclusion across processes is for the
// store's own tests.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	run(t, "Users", func(t *testing.T) { testUsers(t, newStore) })
	run(t, "CallLogs", func(t *testing.T) { testSlots(t, newStore, callLogOps) })
	run(t, "CallLogIDs", func(t *testing.T) { testCallLogIDs(t, newStore) })
	run(t, "Messages", func(t *testing.T) { testSlots(t, newStore, messageOps) })
	run(t, "ConversationLogIDs", func(t *testing.T) { testConversations(t, newStore) })
	run(t, "Scoping", func(t *testing.T) { testScoping(t, newStore) })
	run(t, "DeleteUser", func(t *testing.T) { testDeleteUser(t, newStore) })
	run(t, "UserSettings", func(t *testing.T) { testSettings(t, newStore, userSettingsOps) })
	run(t, "AdminSettings", func(t *testing.T) { testSettings(t, newStore, adminSettingsOps) })
	run(t, "UserSettingsLifecycle", func(t *testing.T) { testUserSettingsLifecycle(t, newStore) })
	run(t, "CachedNotes", func(t *testing.T) { testCachedNotes(t, newStore) })
	run(t, "Lock", func(t *testing.T) { testLock(t, newStore) })
	run(t, "PingClose", func(t *testing.T) { testPingClose(t, newStore) })
	run(t, "EveryMethodAfterClose", func(t *testing.T) { testEveryMethodAfterClose(t, newStore) })
	run(t, "ConfirmCallLog", func(t *testing.T) { testConfirm(t, newStore, callLogOps) })
	run(t, "ConfirmMessage", func(t *testing.T) { testConfirm(t, newStore, messageOps) })
}

// run runs fn as a parallel subtest. Every case of the suite works on
// stores of its own, so no case waits for another.
func run(t *testing.T, name string, fn func(t *testing.T)) bool {
	t.Helper()
	return t.Run(name, func(t *testing.T) {
		t.Parallel()
		fn(t)
	})
}

// wantErr fails the test unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error = %v, want one wrapping %v", what, err, target)
	}
}

// must fails the test now if err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// together runs fn(i) for i in [0, n) on n goroutines released at the same
// moment, and returns the results in index order.
func together[T any](n int, fn func(i int) (T, error)) ([]T, []error) {
	type result struct {
		v   T
		err error
	}
	rs := concurrently.Run(n, func(i int) result {
		v, err := fn(i)
		return result{v, err}
	})
	results, errs := make([]T, n), make([]error, n)
	for i, r := range rs {
		results[i], errs[i] = r.v, r.err
	}
	return results, errs
}

// boundedCtx is for calls that must succeed but would hang forever if the
// store were broken: the bound turns a hang into a failure and is far
// above anything a working store needs.
func boundedCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
