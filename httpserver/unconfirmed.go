package httpserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// defaultMaxUnconfirmed bounds the CRM ids (of every kind) kept in memory
// while the store cannot record them (WithMaxUnconfirmed).
const defaultMaxUnconfirmed = 10000

// errTooManyUnconfirmed refuses a new CRM record while too many created
// ones still wait for the store: the store cannot record what it is given,
// so it counts as unavailable (the answer is 503), and no CRM call is made.
var errTooManyUnconfirmed = fmt.Errorf("%w: too many CRM records wait for the store to record them", store.ErrUnavailable)

// keptKind names what a kept CRM id is the id of, and so which store
// method records it.
type keptKind uint8

const (
	// keptCallLog: (user, call sessionId) → CRM call log (ConfirmCallLog).
	keptCallLog keptKind = iota
	// keptMessage: (user, message id) → the CRM record the message went
	// into (ConfirmMessage).
	keptMessage
	// keptConversation: (user, conversationLogId) → the CRM record of the
	// conversation day (PutConversationLogID).
	keptConversation
)

func (k keptKind) String() string {
	switch k {
	case keptCallLog:
		return "call log"
	case keptMessage:
		return "message"
	default:
		return "conversation day"
	}
}

// unconfirmedKey names a dedupe slot: a call session, a message or a
// conversation day of a user.
type unconfirmedKey struct {
	kind        keptKind
	userKey, id string
}

// unconfirmed keeps the CRM ids the adapter created (or wrote a message
// into) but the store failed to record (PROTOCOL.md §7): the server answers
// requests for the same call session, message or conversation day with that
// id, and one goroutine retries the confirms until the store answers.
//
// One bound covers every kind: kept ids plus the places held by requests
// that are between their bound check and their confirm (admit) never
// exceed max, so a request that may leave ids behind is refused before the
// CRM is called when they would not fit.
type unconfirmed struct {
	max int
	mu  sync.Mutex
	m   map[unconfirmedKey]string
	// held counts the places admitted requests hold; under mu.
	held int
	wg   sync.WaitGroup
	stop chan struct{}
	once sync.Once
	// running is true while the retrying goroutine runs; under mu.
	running bool
}

func (u *unconfirmed) get(kind keptKind, userKey, id string) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	logID, ok := u.m[unconfirmedKey{kind, userKey, id}]
	return logID, ok
}

// admit holds n places for the ids a CRM call about to be made may leave
// unconfirmed; false (nothing held) when they would not fit the bound.
// Every true must be paired with done(n) once the ids are confirmed or
// kept.
func (u *unconfirmed) admit(n int) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.m)+u.held+n > u.max {
		return false
	}
	u.held += n
	return true
}

// done gives back n places taken by admit.
func (u *unconfirmed) done(n int) {
	u.mu.Lock()
	u.held -= n
	u.mu.Unlock()
}

// overlay adds the unconfirmed ids of the given kind of the user's ids
// missing from found, and returns found (made when nil).
func (u *unconfirmed) overlay(kind keptKind, userKey string, ids []string, found map[string]string) map[string]string {
	if found == nil {
		found = make(map[string]string)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.m) == 0 {
		return found
	}
	for _, id := range ids {
		if _, ok := found[id]; ok {
			continue
		}
		if logID, ok := u.m[unconfirmedKey{kind, userKey, id}]; ok {
			found[id] = logID
		}
	}
	return found
}

// keep remembers logID for (kind, userKey, id) until the store records it.
// A slot already kept keeps its id (the first one is what clients have
// seen). One goroutine per server does the retrying, started with the first
// id kept. The caller should hold a place from admit, so that the bound
// holds; keep itself never refuses: the CRM record exists.
func (s *Server) keep(kind keptKind, userKey, id, logID string) {
	u := &s.unconfirmed
	k := unconfirmedKey{kind, userKey, id}
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
					"server closed before the store recorded a CRM id; once its reservation lease runs out, a later call-log request asks the CRM (when the adapter can tell), a message is logged again",
					slog.String("kind", k.kind.String()), slog.String("log_id", logID), slog.String("id", k.id))
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
	type entry struct {
		k     unconfirmedKey
		logID string
	}
	u.mu.Lock()
	pending := make([]entry, 0, len(u.m))
	for k, v := range u.m {
		pending = append(pending, entry{k, v})
	}
	u.mu.Unlock()
	// Conversation days first: a process waiting for a day's message finds
	// the day's record recorded by the time the message is.
	first := func(e entry) int {
		if e.k.kind == keptConversation {
			return 0
		}
		return 1
	}
	slices.SortFunc(pending, func(a, b entry) int { return cmp.Compare(first(a), first(b)) })
	for _, e := range pending {
		k, logID := e.k, e.logID
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.confirmKeptID(ctx, k, logID)
		cancel()
		if err != nil && errors.Is(err, store.ErrUnavailable) {
			return false
		}
		u.mu.Lock()
		delete(u.m, k)
		u.mu.Unlock()
		if err == nil {
			s.log.LogAttrs(context.Background(), slog.LevelWarn, "CRM id recorded after the store recovered",
				slog.String("kind", k.kind.String()), slog.String("log_id", logID))
		} else {
			s.log.LogAttrs(context.Background(), slog.LevelError, "CRM record written but its mapping cannot be stored",
				slog.String("kind", k.kind.String()), slog.String("log_id", logID), slog.String("error", err.Error()))
		}
	}
	return true
}

// confirmKeptID records one kept id with the store method of its kind.
func (s *Server) confirmKeptID(ctx context.Context, k unconfirmedKey, logID string) error {
	switch k.kind {
	case keptMessage:
		return s.store.ConfirmMessage(ctx, k.userKey, k.id, logID)
	case keptConversation:
		got, err := s.store.PutConversationLogID(ctx, k.userKey, k.id, logID)
		if err == nil && got != logID {
			// Another process recorded a different record for the day
			// meanwhile: both exist in the CRM now; later messages go to
			// the recorded one.
			s.log.LogAttrs(ctx, slog.LevelError, "another CRM record was recorded for the conversation day while this one waited for the store",
				slog.String("log_id", logID), slog.String("recorded_log_id", got))
		}
		return err
	default:
		return s.store.ConfirmCallLog(ctx, k.userKey, k.id, logID)
	}
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
