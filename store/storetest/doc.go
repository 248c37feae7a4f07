// Package storetest is the conformance suite of [store.Store]. Every store
// of the SDK passes it, and a third-party store runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := openEmptyStore(t)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// [Run] covers every method: users and their credentials, the
// reserve/confirm/release protocol of call logs and messages (including 50
// goroutines racing for one slot), conversation ids, scoping of every
// mapping to its user, named locks, Ping and Close. [RunReopen] checks that
// what was written survives closing and reopening the database.
//
// What the suite expects beyond the text of the interface is written down
// on [Run] and [RunReopen]. It uses no wall-clock thresholds; the only sleep
// lets a one-millisecond lease expire, and a slower machine only makes it
// more expired.
package storetest
