package serve

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter buffers log output and writes it out at least every interval:
// one write system call per request line was a fifth of the server's time
// under load. Lines can be up to interval late, and Close writes what is
// left, so nothing is lost on a clean shutdown.
type logWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogWriter(w io.Writer, interval time.Duration) *logWriter {
	l := &logWriter{w: bufio.NewWriterSize(w, 32<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.flush()
			case <-l.stop:
				l.flush()
				return
			}
		}
	}()
	return l
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *logWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.w.Flush() // a log that cannot be written has nowhere to report it
}

// Close writes out what is buffered and stops the flusher.
func (l *logWriter) Close() {
	close(l.stop)
	<-l.done
}
