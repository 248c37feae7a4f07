package adaptertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// Run checks an adapter against the contract, through the real server: see
// the package documentation for what it does. Each check is a subtest of t
// whose failure message names the adapter method at fault.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	runTB(testingT{t}, cfg)
}

// runTB is Run over the minimal [suiteTB] interface, so that the suite can report
// into something other than a *testing.T, such as a [report].
func runTB(tb suiteTB, cfg Config) {
	tb.Helper()
	if err := cfg.check(); err != nil {
		tb.Errorf("%v", err)
		return
	}
	s, err := start(tb, cfg)
	if err != nil {
		tb.Errorf("adaptertest: %v", err)
		return
	}
	s.run(tb)
}

// selfPhone is the softphone user's own number in the logged calls and
// messages; nothing looks it up.
const selfPhone = "+14155550199"

// suite is one run: the server over the recorded adapter, a client, and
// what the checks learned on the way.
type suite struct {
	cfg      Config
	rec      *recorder
	platform string
	c        *client
	ctx      context.Context
	runID    string

	userID        string // the CRM user id GetUserInfo returned
	existingName  string // the existing contact's name as FindContacts returned it
	existingRan   bool   // whether contact/existing ran
	appendRan     bool   // whether messageLog/append ran
	appended      bool   // whether it logged the second message
	sessionID     string // the call session logged
	callLogID     string // the CRM id of that call log
	callNote      string // the note the call log has now
	messageLogID  string // the CRM id of the conversation day
	firstMessage  string // the text of the conversation's first message
	messageIDBase int64
	day           time.Time        // the conversation day, fixed at first use
	now           func() time.Time // the clock; time.Now when nil
}

// start builds the server around the recorded adapter with servertest
// (SQLite in a temporary directory, a fresh sealing key) and starts it on a
// loopback port. Every answer is checked against crmbridge's OpenAPI
// document; a failure is reported on the whole run.
func start(tb suiteTB, cfg Config) (*suite, error) {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)

	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	secret := make([]byte, 48)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	rec := newRecorder(cfg.Adapter)
	srv, err := servertest.Start(tb, servertest.Config{
		Adapters: []adapter.Adapter{rec},
		Options:  cfg.ServerOptions,
		Secret:   secret,
	})
	if err != nil {
		return nil, fmt.Errorf("the server refuses the adapter: %w", err)
	}

	s := &suite{
		cfg:      cfg,
		rec:      rec,
		platform: cfg.Adapter.Platform(),
		c:        &client{srv: srv},
		ctx:      ctx,
		runID:    hex.EncodeToString(random[:4]),
	}
	// Message ids are numbers on the wire; keep them apart between runs.
	for _, b := range random[4:10] {
		s.messageIDBase = s.messageIDBase<<8 | int64(b)
	}
	s.messageIDBase = s.messageIDBase%1_000_000_000*100 + 1_000_000_000_000
	return s, nil
}

func (s *suite) run(tb suiteTB) {
	tb.Helper()
	tb.Run("manifest", s.checkManifest)
	if !prerequisite(tb, "login", s.login, func() bool { return s.c.jwt != "" }) {
		tb.Errorf("the other checks need a logged-in user; stopping")
		return
	}
	c := s.rec.caps
	creator := capability{c.ContactCreator != nil, "ContactCreator", "POST /contact answers that the platform cannot create contacts"}
	reader := capability{c.CallLogReader != nil, "CallLogReader", "GET /callLog answers the logs without their subject and note"}
	updater := capability{c.CallLogUpdater != nil, "CallLogUpdater", "PATCH /callLog answers that the platform cannot update call logs"}
	disposer := capability{c.DispositionSetter != nil, "DispositionSetter", "PUT /callDisposition answers successful:false"}
	messenger := capability{c.MessageLogger != nil, "MessageLogger", "POST /messageLog answers that the platform cannot log messages"}
	searcher := capability{c.ContactSearcher != nil, "ContactSearcher", "GET /custom/contact/search answers that the platform cannot search"}

	tb.Run("contact", func(tb suiteTB) {
		tb.Run("existing", s.findExisting)
		if s.cfg.FormatPhone != "" {
			tb.Run("overridingFormat", s.findFormatted)
		}
		tb.Run("absent", s.findAbsent)
		tb.Run("create", with(s.createContact, creator))
		tb.Run("concurrent", s.concurrentLookups)
	})
	tb.Run("callLog", func(tb suiteTB) {
		if !prerequisite(tb, "create", s.createCallLog, func() bool { return s.callLogID != "" }) {
			tb.Errorf("the other call-log checks need a logged call; skipping them")
			return
		}
		tb.Run("duplicate", s.duplicateCallLog)
		tb.Run("get", with(s.getCallLog, reader))
		// The update checks read the record back through GET /callLog.
		tb.Run("update", with(s.updateCallLog, updater, reader))
		tb.Run("recordingLink", with(s.recordingLink, updater, reader))
		tb.Run("disposition", with(s.disposition, disposer))
	})
	tb.Run("messageLog", with(func(tb suiteTB) {
		if !prerequisite(tb, "create", s.createMessageLog, func() bool { return s.messageLogID != "" }) {
			tb.Errorf("the other message-log checks need a logged message; skipping them")
			return
		}
		tb.Run("append", s.appendMessage)
		tb.Run("repost", s.repostMessages)
	}, messenger))
	tb.Run("search", with(s.search, searcher))
	tb.Run("authValidation", s.authValidation)
	tb.Run("unAuthorize", s.unAuthorize)
}

// capability is an optional interface a check needs: whether the adapter
// has it, its name in package adapter, and what the server does without it.
type capability struct {
	has           bool
	name, without string
}

// with returns check, run only when the adapter has every capability in
// needs; otherwise the check is skipped, naming the first one missing and
// what the server does instead.
func with(check func(suiteTB), needs ...capability) func(suiteTB) {
	return func(tb suiteTB) {
		tb.Helper()
		for _, c := range needs {
			if !c.has {
				tb.Skipf("the adapter is not an adapter.%s (optional): skipped; without it, %s", c.name, c.without)
				return
			}
		}
		check(tb)
	}
}

// prerequisite runs step as the subtest name and reports whether done
// holds afterwards: later checks need what step does (log in, log a call).
// When a -run filter skipped the subtest, step runs in tb itself.
func prerequisite(tb suiteTB, name string, step func(suiteTB), done func() bool) bool {
	tb.Helper()
	ran := false
	tb.Run(name, func(tb suiteTB) {
		ran = true
		step(tb)
	})
	if !ran {
		step(tb)
	}
	return done()
}

// send makes one request and returns the answer and the adapter calls the
// server made to produce it. ok is false when no answer came (already
// reported).
func (s *suite) send(tb suiteTB, method, pathQuery string, body any, withJWT bool) (answer, []call, bool) {
	tb.Helper()
	mark := s.rec.mark()
	a, err := s.c.do(s.ctx, method, pathQuery, body, withJWT)
	calls := s.rec.since(mark)
	if err != nil {
		tb.Errorf("%v", err)
		return a, calls, false
	}
	return a, calls, true
}

// reportFailedCalls reports every call that returned an error or panicked
// and says whether there was one. In the suite's scenario every call should
// succeed.
func reportFailedCalls(tb suiteTB, calls []call) bool {
	tb.Helper()
	failed := false
	for _, c := range calls {
		if f := failureOf(c); f != "" {
			tb.Errorf("%s", f)
			failed = true
		}
	}
	return failed
}

// exchange sends a request with the session JWT, as send does, and returns
// the single adapter call of method it caused (see oneCall).
func exchange[Req, Res any](s *suite, tb suiteTB, method, pathQuery string, body any, adapterMethod string) (answer, typedCall[Req, Res], bool) {
	tb.Helper()
	a, calls, ok := s.send(tb, method, pathQuery, body, true)
	if !ok {
		return a, typedCall[Req, Res]{}, false
	}
	c, ok := oneCall[Req, Res](tb, a, calls, adapterMethod, "for "+method+" "+routeOf(pathQuery))
	return a, c, ok
}

// oneCall returns the single call of method among the calls of one
// request when none of them failed; otherwise it reports the failed calls
// with the server's answer a, or how many calls of method there were.
func oneCall[Req, Res any](tb suiteTB, a answer, calls []call, method, why string) (typedCall[Req, Res], bool) {
	tb.Helper()
	if reportFailedCalls(tb, calls) {
		tb.Errorf("%v", a)
		return typedCall[Req, Res]{}, false
	}
	return only[Req, Res](tb, calls, method, why)
}

// only returns the single call of method, reporting when the server made
// none or several.
func only[Req, Res any](tb suiteTB, calls []call, method, why string) (typedCall[Req, Res], bool) {
	tb.Helper()
	cs := callsOf[Req, Res](calls, method)
	switch len(cs) {
	case 1:
		return cs[0], true
	case 0:
		tb.Errorf("the server did not call %s %s", method, why)
	default:
		tb.Errorf("the server called %s %d times %s; want once", method, len(cs), why)
	}
	return typedCall[Req, Res]{}, false
}

// noCall reports a call of method that should not have happened.
func noCall(tb suiteTB, calls []call, method, why string) {
	tb.Helper()
	for _, c := range calls {
		if c.method == method {
			tb.Errorf("the server called %s %s", method, why)
			return
		}
	}
}

// contactIDs lists contacts' ids for a failure message.
func contactIDs(cs []adapter.Contact) string {
	if len(cs) == 0 {
		return "no contact"
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = fmt.Sprintf("%q", c.ID)
	}
	return "contacts " + strings.Join(ids, ", ")
}

// checkContacts reports contacts without an id and contacts returned twice.
func checkContacts(tb suiteTB, method string, cs []adapter.Contact) {
	tb.Helper()
	seen := map[string]bool{}
	for i, c := range cs {
		switch {
		case c.ID == "":
			tb.Errorf("%s returned a contact without an id (Contacts[%d], name %q): every contact needs the CRM's id", method, i, c.Name)
		case seen[c.ID]:
			tb.Errorf("%s returned contact %q twice: return each match once", method, c.ID)
		}
		seen[c.ID] = true
	}
}

func hasContact(cs []adapter.Contact, id string) (adapter.Contact, bool) {
	for _, c := range cs {
		if c.ID == id {
			return c, true
		}
	}
	return adapter.Contact{}, false
}

// isRevoked reports whether an answer is the protocol's "connect again".
func isRevoked(a answer) bool {
	var r revokedAnswer
	return a.status == http.StatusUnauthorized && a.decode(&r) == nil && r.ErrorCode == "CRM_SESSION_REVOKED"
}
