package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// unlockTimeout bounds the statements that give a lock connection back.
// When they cannot finish in time the connection is closed instead, which
// releases its locks as surely.
const unlockTimeout = 5 * time.Second

// Lock takes the exclusive lock name, shared by every Store on the same
// database and schema, in any process, waiting until it is free or ctx is
// done.
//
// The lock is a session-level PostgreSQL advisory lock
// (pg_advisory_lock) on a 64-bit key hashed from the schema and name,
// held by a connection taken from the store's lock pool for as long as
// the lock is held. Callers in one process that want the same name queue
// inside the process first, so they occupy one connection, not one each.
// If the process dies or its connection breaks, PostgreSQL ends the
// session and releases the lock: a crashed replica never leaves a lock
// behind. Two names whose keys collide (odds of 2^-64 per pair) simply
// share one lock.
//
// When ctx ends during the wait, the server is asked to cancel it; Lock
// returns an error wrapping ctx.Err(), holds nothing, and the connection
// goes back to the pool clean. A broken connection yields an error
// wrapping [store.ErrUnavailable].
//
// The returned unlock releases the lock (pg_advisory_unlock) and gives the
// connection back; calling it more than once does nothing. If the unlock
// statement fails, the connection is closed, which releases the lock too.
// [Store.Close] releases locks still held the same way.
func (s *Store) Lock(ctx context.Context, name string) (unlock func(), err error) {
	if s.closed.Load() {
		return nil, errClosed("lock")
	}
	// Close cancels waits, so that it does not wait for them to be granted.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()

	e, err := s.local.acquire(ctx, name)
	if err != nil {
		return nil, s.lockErr(ctx, name, err)
	}
	conn, err := s.locks.Acquire(ctx)
	if err != nil {
		s.local.release(name, e)
		return nil, s.lockErr(ctx, name, err)
	}
	key := lockKey("lock", s.schema, name)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "57014" {
			// query_canceled: the server stopped the wait and the session
			// is idle. The grant may still have slipped in just before the
			// cancel, so drop every advisory lock before reuse.
			s.reset(conn)
		} else {
			s.discard(conn, err)
		}
		s.local.release(name, e)
		return nil, s.lockErr(ctx, name, err)
	}
	h := &heldLock{conn: conn, key: key, name: name, local: e}
	if !s.held.add(h) {
		// Close ran meanwhile and will not see this lock: release it here.
		s.unlock(h.conn, h.key)
		s.local.release(name, e)
		return nil, errClosed("lock")
	}
	return func() {
		h.once.Do(func() {
			s.held.remove(h)
			s.unlock(h.conn, h.key)
			s.local.release(h.name, h.local)
		})
	}, nil
}

// heldLock is a lock Lock granted and its unlock has not released yet.
type heldLock struct {
	once  sync.Once // the release, by unlock or by Close
	conn  *pgxpool.Conn
	key   int64
	name  string
	local *localLock
}

// heldLocks is the set of locks Close must release.
type heldLocks struct {
	mu     sync.Mutex
	m      map[*heldLock]struct{}
	closed bool
}

// add records h, or reports false once the set has been drained by Close.
func (l *heldLocks) add(h *heldLock) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if l.m == nil {
		l.m = make(map[*heldLock]struct{})
	}
	l.m[h] = struct{}{}
	return true
}

func (l *heldLocks) remove(h *heldLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, h)
}

// drain empties the set for good and returns what it held.
func (l *heldLocks) drain() []*heldLock {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	out := make([]*heldLock, 0, len(l.m))
	for h := range l.m {
		out = append(out, h)
	}
	l.m = nil
	return out
}

// releaseHeld is Close's part: every lock still held is released by closing
// its connection, so that the pools can close. The holder's later unlock
// does nothing.
func (s *Store) releaseHeld() {
	for _, h := range s.held.drain() {
		h.once.Do(func() {
			s.discard(h.conn, errors.New("store closed while the lock was held"))
			s.local.release(h.name, h.local)
		})
	}
}

// lockErr reports why Lock failed: the store closing, the caller's context
// ending, or the database.
func (s *Store) lockErr(ctx context.Context, name string, err error) error {
	switch {
	case s.closed.Load():
		return errClosed("lock")
	case ctx.Err() != nil:
		return fmt.Errorf("store/postgres: lock %q: %w", name, context.Cause(ctx))
	default:
		return s.fail(fmt.Sprintf("lock %q", name), err)
	}
}

// unlock releases the lock key held by conn and returns the connection to
// the pool. If the statement fails, or reports that the session held no
// such lock, the connection is closed instead.
func (s *Store) unlock(conn *pgxpool.Conn, key int64) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	var released bool
	err := conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, key).Scan(&released)
	if err == nil && !released {
		err = errors.New("pg_advisory_unlock found no lock to release")
	}
	if err != nil {
		s.discard(conn, err)
		return
	}
	conn.Release()
}

// reset drops every advisory lock of conn's session and returns it to the
// pool, or closes it if that fails: nothing may stay locked on a pooled
// connection.
func (s *Store) reset(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		s.discard(conn, err)
		return
	}
	conn.Release()
}

// discard closes a lock connection whose state is unknown; the server then
// ends its session and every lock it held.
func (s *Store) discard(conn *pgxpool.Conn, cause error) {
	s.log.Warn("postgres lock connection closed", "error", cause.Error())
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	conn.Conn().Close(ctx)
	conn.Release() // the pool destroys a closed connection
}

// lockKey derives a 64-bit advisory lock key from the kind of lock
// ("lock", "migrate"), the schema and the name, with FNV-1a over each part
// preceded by its length (so that ("ab", "c") and ("a", "bc") differ). The
// schema is part of the key so that deployments in separate schemas of one
// database never wait for each other.
func lockKey(kind, schema, name string) int64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for _, part := range [...]string{"crmbridge", kind, schema, name} {
		for n := uint64(len(part)); ; n >>= 8 {
			h = (h ^ (n & 0xff)) * prime
			if n < 0x100 {
				break
			}
		}
		for i := 0; i < len(part); i++ {
			h = (h ^ uint64(part[i])) * prime
		}
	}
	return int64(h)
}

// localLocks is a set of named in-process mutexes whose waiters honour a
// context. Each name has a one-slot channel: sending takes the lock,
// receiving releases it. An entry lives only while someone holds or waits
// for it, so the map does not grow with every name ever locked.
type localLocks struct {
	mu sync.Mutex
	m  map[string]*localLock
}

type localLock struct {
	held chan struct{}
	refs int // holders and waiters; guarded by localLocks.mu
}

// acquire waits for the in-process lock name until ctx is done.
func (l *localLocks) acquire(ctx context.Context, name string) (*localLock, error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*localLock)
	}
	e := l.m[name]
	if e == nil {
		e = &localLock{held: make(chan struct{}, 1)}
		l.m[name] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.held <- struct{}{}:
		return e, nil
	case <-ctx.Done():
		l.drop(name, e)
		return nil, ctx.Err()
	}
}

// release gives back a lock taken by acquire.
func (l *localLocks) release(name string, e *localLock) {
	<-e.held
	l.drop(name, e)
}

func (l *localLocks) drop(name string, e *localLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.m, name)
	}
}
