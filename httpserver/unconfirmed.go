package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// defaultMaxUnconfirmed bounds the CRM ids kept in memory while the store
// cannot record them (WithMaxUnconfirmed).
const defaultMaxUnconfirmed = 10000

// errTooManyUnconfirmed refuses a new CRM record while too many created
// ones still wait for the store: the answer is 503, and no CRM call is made.
var errTooManyUnconfirmed = errors.New("too many CRM records wait for the store to record them")

// unconfirmedKey names a call-log slot.
type unconfirmedKey struct{ userKey, sessionID string }

// unconfirmed keeps the CRM ids of call logs the adapter created but the
// store failed to record (PROTOCOL.md §7): the server answers requests for
// the same session with that id, and one goroutine retries the confirms
// until the store answers. Bounded by max; when full, new call logs
// are refused before the CRM is called.
type unconfirmed struct {
	max  int
	mu   sync.Mutex
	m    map[unconfirmedKey]string
	wg   sync.WaitGroup
	stop chan struct{}
	once sync.Once
	// running is true while the retrying goroutine runs; under mu.
	running bool
}

func (u *unconfirmed) get(userKey, sessionID string) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	id, ok := u.m[unconfirmedKey{userKey, sessionID}]
	return id, ok
}

func (u *unconfirmed) full() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.m) >= u.max
}

// overlay adds the unconfirmed ids of the user's sessions missing from
// found, and returns found (made when nil).
func (u *unconfirmed) overlay(userKey string, ids []string, found map[string]string) map[string]string {
	if found == nil {
		found = make(map[string]string)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.m) == 0 {
		return found
	}
	for _, sid := range ids {
		if _, ok := found[sid]; ok {
			continue
		}
		if id, ok := u.m[unconfirmedKey{userKey, sid}]; ok {
			found[sid] = id
		}
	}
	return found
}

// keepCallLog remembers logID for (userKey, sessionID) until the store
// records it. A slot already kept keeps its id (the first one is what
// clients have seen). One goroutine per server does the retrying, started
// with the first id kept.
func (s *Server) keepCallLog(userKey, sessionID, logID string) {
	u := &s.unconfirmed
	k := unconfirmedKey{userKey, sessionID}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, dup := u.m[k]; dup {
		return
	}
	u.m[k] = logID
	if !u.running {
		u.running = true
		u.wg.Add(1)
		go s.confirmKept()
	}
}

// confirmKept retries the confirms of the kept ids, with backoff, until
// none is left or the server is closed. Each round tries the ids one after
// another and stops at the first the store refuses as unavailable, so a
// store that is still down sees one attempt per round, not one per id. A
// failure other than unavailability will not heal by retrying: that id is
// logged and dropped.
func (s *Server) confirmKept() {
	u := &s.unconfirmed
	defer u.wg.Done()
	wait := s.opts.confirmRetry
	for {
		if s.confirmRound() {
			wait = s.opts.confirmRetry
		} else {
			wait = min(wait*2, 5*time.Second)
		}
		u.mu.Lock()
		if len(u.m) == 0 {
			u.running = false
			u.mu.Unlock()
			return
		}
		u.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-u.stop:
			t.Stop()
			u.mu.Lock()
			for k, logID := range u.m {
				s.log.LogAttrs(context.Background(), slog.LevelError,
					"server closed before the store recorded a CRM call log; a later request for this call asks the CRM (when the adapter can tell) before creating another",
					slog.String("log_id", logID), slog.String("session_id", k.sessionID))
			}
			u.running = false
			u.mu.Unlock()
			return
		case <-t.C:
		}
	}
}

// confirmRound tries every kept id once, until the store proves still
// unavailable; it reports whether the store took them all.
func (s *Server) confirmRound() bool {
	u := &s.unconfirmed
	u.mu.Lock()
	pending := make(map[unconfirmedKey]string, len(u.m))
	for k, v := range u.m {
		pending[k] = v
	}
	u.mu.Unlock()
	for k, logID := range pending {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.store.ConfirmCallLog(ctx, k.userKey, k.sessionID, logID)
		cancel()
		if err != nil && errors.Is(err, store.ErrUnavailable) {
			return false
		}
		u.mu.Lock()
		delete(u.m, k)
		u.mu.Unlock()
		if err == nil {
			s.log.LogAttrs(context.Background(), slog.LevelWarn, "CRM call log recorded after the store recovered",
				slog.String("log_id", logID))
		} else {
			s.log.LogAttrs(context.Background(), slog.LevelError, "CRM call log created but its mapping cannot be stored",
				slog.String("log_id", logID), slog.String("error", err.Error()))
		}
	}
	return true
}

// Close stops the background confirms of CRM ids the store has not yet
// recorded, after the current attempt, and logs at ERROR the ids still
// unrecorded. Call it after the HTTP server has shut down and
// before closing the store. Requests served after Close still work but
// their unrecorded ids are no longer retried. Closing twice is harmless.
func (s *Server) Close() error {
	s.unconfirmed.once.Do(func() { close(s.unconfirmed.stop) })
	s.unconfirmed.wg.Wait()
	return nil
}
