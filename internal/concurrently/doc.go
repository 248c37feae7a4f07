// Package concurrently starts goroutines at the same moment, for the tests
// that race many callers for one slot, lock or session: the store
// conformance suite, the PostgreSQL store's tests and the replica tests.
//
//	errs := concurrently.Run(50, func(i int) error { return reserve(i) })
package concurrently
