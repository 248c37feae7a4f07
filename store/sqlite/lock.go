package sqlite

import (
	"context"
	"fmt"
	"sync"

	"github.com/crmbridge/crmbridge/store"
)

// locks is a set of named mutexes whose waiters honour a context. Each name
// has a one-slot channel: sending takes the lock, receiving releases it. An
// entry lives only while someone holds or waits for it, so the map does not
// grow with every user that ever refreshed a token.
type locks struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	held chan struct{}
	refs int // holders and waiters; guarded by locks.mu
}

func (l *locks) acquire(name string) *lockEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]*lockEntry)
	}
	e := l.m[name]
	if e == nil {
		e = &lockEntry{held: make(chan struct{}, 1)}
		l.m[name] = e
	}
	e.refs++
	return e
}

func (l *locks) drop(name string, e *lockEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.m, name)
	}
}

// Lock takes the exclusive lock name, waiting until it is free or ctx is
// done; in the latter case it returns an error wrapping ctx.Err() and holds
// nothing. The lock is held in this process only (see [Store]). The
// returned unlock releases it; calling unlock more than once does nothing.
func (s *Store) Lock(ctx context.Context, name string) (unlock func(), err error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("store/sqlite: lock: %w: store is closed", store.ErrUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store/sqlite: lock %q: %w", name, err)
	}
	e := s.locks.acquire(name)
	select {
	case e.held <- struct{}{}:
	case <-ctx.Done():
		s.locks.drop(name, e)
		return nil, fmt.Errorf("store/sqlite: lock %q: %w", name, ctx.Err())
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.held
			s.locks.drop(name, e)
		})
	}, nil
}
