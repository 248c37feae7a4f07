package httpserver

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// lazyDeadline is context.WithDeadline(parent, deadline) whose timer is
// started only when something needs it: the first Done, or an Err, Value
// or child context once the deadline has passed or the request ended. A
// data route runs under the adapter timeout from the moment its session is
// checked, but a GET /contact answered from the caches calls neither the
// store nor the adapter, and would otherwise pay for a timer (started,
// stopped) and for registering the timed context with the request's.
//
// It behaves as the context WithDeadline returns, whenever it is asked:
//   - Deadline is the earlier of parent's and deadline, without a timer.
//   - Done is the timed context's channel: closed at the deadline, when
//     parent is done, or once release was called.
//   - Err is nil until one of those happened; then the timed context's
//     error (context.DeadlineExceeded past the deadline), so that a caller
//     checking Err only (no Done) sees the deadline pass too.
//   - Value asks the timed context once there is one, parent before; past
//     the deadline or after release it makes the timed context first, so
//     context.Cause is right as well. Children (WithCancel, WithTimeout,
//     AfterFunc) call Done first and so hang off the timed context directly,
//     with no goroutine of their own.
//
// release is the cancel function: after it, the context is canceled
// (context.Canceled), made or not.
type lazyDeadline struct {
	parent   context.Context
	deadline time.Time

	timed    atomic.Pointer[timedContext]
	released atomic.Bool
	mu       sync.Mutex // serializes making timed
}

type timedContext struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func withLazyDeadline(parent context.Context, deadline time.Time) *lazyDeadline {
	c := &lazyDeadline{}
	c.init(parent, deadline)
	return c
}

// init sets up a zero lazyDeadline in place (one kept in a larger
// per-request allocation); it is not for one already in use.
func (c *lazyDeadline) init(parent context.Context, deadline time.Time) {
	c.parent, c.deadline = parent, deadline
}

// arm returns the timed context, making it on first use.
func (c *lazyDeadline) arm() context.Context {
	if t := c.timed.Load(); t != nil {
		return t.ctx
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.timed.Load(); t != nil {
		return t.ctx
	}
	ctx, cancel := context.WithDeadline(c.parent, c.deadline)
	if c.released.Load() {
		cancel()
	}
	c.timed.Store(&timedContext{ctx: ctx, cancel: cancel})
	return ctx
}

// over reports whether the context would be done by now for a reason of
// its own (its deadline, or release): the timed context must then exist.
func (c *lazyDeadline) over() bool {
	return c.released.Load() || !time.Now().Before(c.deadline)
}

// release cancels the context, as WithDeadline's cancel function does.
func (c *lazyDeadline) release() {
	c.mu.Lock()
	c.released.Store(true)
	t := c.timed.Load()
	c.mu.Unlock()
	if t != nil {
		t.cancel()
	}
}

func (c *lazyDeadline) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *lazyDeadline) Done() <-chan struct{} { return c.arm().Done() }

func (c *lazyDeadline) Err() error {
	if t := c.timed.Load(); t != nil {
		return t.ctx.Err()
	}
	if c.parent.Err() == nil && !c.over() {
		return nil
	}
	return c.arm().Err()
}

func (c *lazyDeadline) Value(key any) any {
	if t := c.timed.Load(); t != nil {
		return t.ctx.Value(key)
	}
	if c.over() {
		return c.arm().Value(key)
	}
	return c.parent.Value(key)
}
