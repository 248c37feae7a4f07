package httpserver

import (
	"context"
	"errors"
	"testing"
	"time"
)

type deadlineTestKey struct{}

func TestLazyDeadlineUnarmedUntilNeeded(t *testing.T) {
	parent := context.WithValue(context.Background(), deadlineTestKey{}, "v")
	d := time.Now().Add(time.Hour)
	c := withLazyDeadline(parent, d)
	defer c.release()
	if got, ok := c.Deadline(); !ok || !got.Equal(d) {
		t.Errorf("Deadline = %v, %v; want %v, true", got, ok, d)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err = %v before the deadline", err)
	}
	if v := c.Value(deadlineTestKey{}); v != "v" {
		t.Errorf("Value = %v, want the parent's", v)
	}
	if c.timed.Load() != nil {
		t.Fatal("Deadline, Err and Value before the deadline started a timer")
	}
	select {
	case <-c.Done():
		t.Fatal("done before its deadline")
	default:
	}
	if c.timed.Load() == nil {
		t.Fatal("Done made no timed context")
	}
	if v := c.Value(deadlineTestKey{}); v != "v" {
		t.Errorf("Value once armed = %v, want the parent's", v)
	}
}

func TestLazyDeadlineEarlierParentDeadline(t *testing.T) {
	pd := time.Now().Add(time.Minute)
	parent, cancel := context.WithDeadline(context.Background(), pd)
	defer cancel()
	c := withLazyDeadline(parent, pd.Add(time.Hour))
	defer c.release()
	if got, _ := c.Deadline(); !got.Equal(pd) {
		t.Errorf("Deadline = %v, want the parent's %v", got, pd)
	}
}

func TestLazyDeadlinePassedWithoutWaiting(t *testing.T) {
	// Nothing waited on Done: Err alone still reports the deadline.
	c := withLazyDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer c.release()
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err = %v, want DeadlineExceeded", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Err reported the deadline but Done is open")
	}
	c2 := withLazyDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer c2.release()
	if err := context.Cause(c2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Cause = %v, want DeadlineExceeded", err)
	}
}

func TestLazyDeadlineFires(t *testing.T) {
	c := withLazyDeadline(context.Background(), time.Now().Add(10*time.Millisecond))
	defer c.release()
	child, cancel := context.WithCancel(c)
	defer cancel()
	<-child.Done() // returns only when the deadline closes the parent
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Err = %v, want DeadlineExceeded", err)
	}
	if err := child.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("child Err = %v, want DeadlineExceeded", err)
	}
}

func TestLazyDeadlineParentCanceled(t *testing.T) {
	for _, armed := range []bool{false, true} {
		parent, cancel := context.WithCancel(context.Background())
		c := withLazyDeadline(parent, time.Now().Add(time.Hour))
		if armed {
			c.Done()
		}
		cancel()
		<-c.Done()
		if err := c.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("armed %v: Err = %v, want Canceled", armed, err)
		}
		c.release()
	}
}

func TestLazyDeadlineRelease(t *testing.T) {
	for _, armed := range []bool{false, true} {
		c := withLazyDeadline(context.Background(), time.Now().Add(time.Hour))
		if armed {
			c.Done()
		}
		c.release()
		if err := c.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("armed %v: Err after release = %v, want Canceled", armed, err)
		}
		select {
		case <-c.Done():
		default:
			t.Errorf("armed %v: Done open after release", armed)
		}
		child, cancel := context.WithTimeout(c, time.Hour)
		if err := child.Err(); !errors.Is(err, context.Canceled) {
			t.Errorf("armed %v: child of a released context: Err = %v", armed, err)
		}
		cancel()
	}
}

func TestLazyDeadlineConcurrentArming(t *testing.T) {
	c := withLazyDeadline(context.Background(), time.Now().Add(time.Hour))
	defer c.release()
	chans := make(chan (<-chan struct{}), 8)
	for range 8 {
		go func() { chans <- c.Done() }()
	}
	first := <-chans
	for range 7 {
		if ch := <-chans; ch != first {
			t.Fatal("two Done channels: the timed context was made twice")
		}
	}
}
