package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// The message-log methods of outageStore: while down they all fail the way
// an unreachable database does; confirmDown fails only the two that record
// a CRM id (ConfirmMessage and PutConversationLogID).

func (o *outageStore) Lock(ctx context.Context, name string) (func(), error) {
	if o.down.Load() {
		return nil, errDown("lock")
	}
	return o.Store.Lock(ctx, name)
}

func (o *outageStore) ReserveMessage(ctx context.Context, userKey, messageID string, lease time.Duration) (store.Reservation, error) {
	if o.down.Load() {
		return store.Reservation{}, errDown("reserve message")
	}
	return o.Store.ReserveMessage(ctx, userKey, messageID, lease)
}

func (o *outageStore) ConfirmMessage(ctx context.Context, userKey, messageID, logID string) error {
	if o.down.Load() || o.confirmDown.Load() {
		o.confirms.Add(1)
		return errDown("confirm message")
	}
	return o.Store.ConfirmMessage(ctx, userKey, messageID, logID)
}

func (o *outageStore) ReleaseMessage(ctx context.Context, userKey, messageID string) error {
	if o.down.Load() {
		return errDown("release message")
	}
	return o.Store.ReleaseMessage(ctx, userKey, messageID)
}

func (o *outageStore) ConversationLogID(ctx context.Context, userKey, conversationLogID string) (string, error) {
	if o.down.Load() {
		return "", errDown("conversation log id")
	}
	return o.Store.ConversationLogID(ctx, userKey, conversationLogID)
}

func (o *outageStore) PutConversationLogID(ctx context.Context, userKey, conversationLogID, logID string) (string, error) {
	if o.down.Load() || o.confirmDown.Load() {
		o.confirms.Add(1)
		return "", errDown("put conversation log id")
	}
	return o.Store.PutConversationLogID(ctx, userKey, conversationLogID, logID)
}

// afterMessageWrite runs a hook right after the CRM created a message log
// or appended a message to one: the moment between the CRM call and the
// store recording it.
type afterMessageWrite struct {
	*testcrm.Adapter
	hook func(messageID string)
}

func (a *afterMessageWrite) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	res, err := a.Adapter.CreateMessageLog(ctx, req)
	if err == nil && a.hook != nil {
		a.hook(req.Message.ID)
	}
	return res, err
}

func (a *afterMessageWrite) UpdateMessageLog(ctx context.Context, req adapter.UpdateMessageLogRequest) (adapter.UpdateMessageLogResult, error) {
	_, err := a.Adapter.UpdateMessageLog(ctx, req)
	if err == nil && a.hook != nil {
		a.hook(req.Message.ID)
	}
	return adapter.UpdateMessageLogResult{}, err
}

// waitMessageConfirmed waits (bounded) for the store to hold the message's
// CRM record. It asks with ReserveMessage: a confirmed message answers its
// id, a pending one "" (the lease given is far beyond the test's clock).
func waitMessageConfirmed(t *testing.T, st store.Store, userKey, messageID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		res, err := st.ReserveMessage(ctx, userKey, messageID, 1000*time.Hour)
		if err == nil && res.Won {
			t.Fatalf("message %s was free in the store: its reservation was lost", messageID)
		}
		if err == nil && res.LogID != "" {
			return res.LogID
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the store never recorded message %s (last error %v)", messageID, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wantOneActivity checks that the CRM holds exactly one message activity,
// with exactly the given messages, each once, oldest first.
func wantOneActivity(t *testing.T, crm *testcrm.CRM, ids ...string) string {
	t.Helper()
	acts := crm.MessageLogs()
	if len(acts) != 1 {
		t.Fatalf("%d CRM activities for one conversation day, want exactly 1: %+v", len(acts), acts)
	}
	if !slices.Equal(acts[0].MessageIDs, ids) {
		t.Fatalf("CRM activity holds messages %v, want %v (each once)", acts[0].MessageIDs, ids)
	}
	return acts[0].ID
}

func logIDs(t *testing.T, r response) []string {
	t.Helper()
	m := r.json(t)
	raw, ok := m["logIds"].([]any)
	if !ok {
		t.Fatalf("no logIds array: %d %s", r.status, r.body)
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		out = append(out, v.(string))
	}
	return out
}

// The store fails exactly between the CRM writing a message (creating the
// day's activity, then appending to it) and the confirm, then recovers:
// exactly one CRM activity, each message logged once, also after every
// reservation lease ran out (PROTOCOL.md §7).
func TestMessageLogStoreFailsBetweenWriteAndConfirm(t *testing.T) {
	t.Parallel()
	clk := newManualClock(time.Now())
	os := &outageStore{}
	crm := testcrm.NewCRM()
	a := &afterMessageWrite{Adapter: testcrm.New(crm)}
	h := newHarness(t, func(c *harnessConfig) {
		st, err := sqlite.Open(context.Background(), t.TempDir()+"/x.db", sqlite.WithClock(clk.now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		os.Store = st
		c.store = os
		c.adapters = []adapter.Adapter{a}
		c.opts = append(c.opts, httpserver.WithClock(clk.now))
	})
	h.crm = crm
	jwt := h.login("k1")
	key := testcrm.UserID("k1") + "-testcrm"
	day := "conv-1/11/27/2026"

	var failAfter atomic.Value // message id whose CRM write takes the store down
	a.hook = func(id string) {
		if want, _ := failAfter.Load().(string); want == id {
			os.down.Store(true)
		}
	}
	outage := func(step string, body map[string]any, wantLogged []string, wantMessages ...string) {
		t.Helper()
		before := os.confirms.Load()
		r := h.do("POST", "/messageLog", body, bearer(jwt)...)
		if got := logIDs(t, r); r.status != http.StatusOK || r.json(t)["successful"] != true || !slices.Equal(got, wantLogged) {
			t.Errorf("%s: %d %s; want success logging %v (the CRM holds it)", step, r.status, r.body, wantLogged)
		}
		if os.confirms.Load() == before || !os.down.Load() {
			t.Fatalf("%s: the fault was not hit", step)
		}
		wantOneActivity(t, crm, wantMessages...)
		// Still down: a re-post of the same day answers consistently, with
		// nothing new logged and no CRM call.
		r = h.do("POST", "/messageLog", body, bearer(jwt)...)
		if got := logIDs(t, r); r.status != http.StatusOK || r.json(t)["successful"] != true || len(got) != 0 {
			t.Errorf("%s: re-post during the outage: %d %s, want success with logIds []", step, r.status, r.body)
		}
		wantOneActivity(t, crm, wantMessages...)
		// The store recovers: the background retry records the ids.
		os.down.Store(false)
		actID := crm.MessageLogs()[0].ID
		for _, id := range wantLogged {
			if got := waitMessageConfirmed(t, os.Store, key, id); got != actID {
				t.Fatalf("%s: the store recorded message %s into %q, want %q", step, id, got, actID)
			}
		}
	}

	// 1. The day's first message creates the activity; the store fails
	// before the day's record and the message are recorded.
	failAfter.Store("101")
	outage("create", messageLogBody(day, 101), []string{"101"}, "101")
	st := os.Store
	if got, err := st.ConversationLogID(t.Context(), key, day); err != nil || got != crm.MessageLogs()[0].ID {
		t.Fatalf("the day's record in the store: %q, %v", got, err)
	}
	// Long after every lease ran out, the re-post with a new message
	// appends it to the same activity and logs nothing twice.
	clk.advance(24 * time.Hour)
	r := h.do("POST", "/messageLog", messageLogBody(day, 102, 101), bearer(jwt)...)
	if got := logIDs(t, r); !slices.Equal(got, []string{"102"}) {
		t.Errorf("re-post after recovery: %s, want logIds [102]", r.body)
	}
	wantOneActivity(t, crm, "101", "102")

	// 2. A later message is appended; the store fails before recording
	// it. The message after it in the same request is refused (503, the
	// store is down) and logged by the client's re-post once the store is
	// back.
	failAfter.Store("103")
	body := messageLogBody(day, 104, 103, 102, 101)
	r = h.do("POST", "/messageLog", body, bearer(jwt)...)
	if got := logIDs(t, r); r.status != http.StatusServiceUnavailable || !slices.Equal(got, []string{"103"}) {
		t.Errorf("the request whose store failed mid-way: %d %s, want 503 naming 103 as logged", r.status, r.body)
	}
	wantOneActivity(t, crm, "101", "102", "103")
	// During the outage, a re-post holding a message the store must
	// reserve gets 503, and the CRM is not called.
	r = h.do("POST", "/messageLog", body, bearer(jwt)...)
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("re-post with a new message during the outage: %d %s, want 503", r.status, r.body)
	}
	// A re-post of only the kept message needs no store.
	r = h.do("POST", "/messageLog", messageLogBody(day, 103), bearer(jwt)...)
	if got := logIDs(t, r); r.status != http.StatusOK || len(got) != 0 {
		t.Errorf("re-post of the kept message during the outage: %d %s", r.status, r.body)
	}
	failAfter.Store("")
	os.down.Store(false)
	waitMessageConfirmed(t, st, key, "103")
	clk.advance(24 * time.Hour)
	r = h.do("POST", "/messageLog", body, bearer(jwt)...)
	if got := logIDs(t, r); !slices.Equal(got, []string{"104"}) {
		t.Errorf("re-post after recovery: %s, want logIds [104]", r.body)
	}
	r = h.do("POST", "/messageLog", body, bearer(jwt)...)
	if got := logIDs(t, r); len(got) != 0 {
		t.Errorf("second re-post after recovery: %s, want logIds []", r.body)
	}
	wantOneActivity(t, crm, "101", "102", "103", "104")
}

// When only the confirms fail (the store answers everything else), the
// messages after the one kept in the same request are appended to the kept
// day's activity, and the client's re-post changes nothing.
func TestMessageLogConfirmFailsOnly(t *testing.T) {
	t.Parallel()
	os := &outageStore{}
	h := newHarness(t, func(c *harnessConfig) {
		os.Store = openStore(t)
		c.store = os
	})
	jwt := h.login("k1")
	key := testcrm.UserID("k1") + "-testcrm"
	day := "conv-2/11/27/2026"
	os.confirmDown.Store(true)
	body := messageLogBody(day, 203, 202, 201)
	r := h.do("POST", "/messageLog", body, bearer(jwt)...)
	if got := logIDs(t, r); r.status != http.StatusOK || !slices.Equal(got, []string{"201", "202", "203"}) {
		t.Fatalf("first post: %d %s", r.status, r.body)
	}
	r = h.do("POST", "/messageLog", messageLogBody(day, 204, 203, 202, 201), bearer(jwt)...)
	if got := logIDs(t, r); !slices.Equal(got, []string{"204"}) {
		t.Errorf("re-post with one new message while confirms fail: %s", r.body)
	}
	actID := wantOneActivity(t, h.crm, "201", "202", "203", "204")
	os.confirmDown.Store(false)
	for _, id := range []string{"201", "202", "203", "204"} {
		if got := waitMessageConfirmed(t, os.Store, key, id); got != actID {
			t.Errorf("message %s recorded into %q, want %q", id, got, actID)
		}
	}
	r = h.do("POST", "/messageLog", messageLogBody(day, 204, 203, 202, 201), bearer(jwt)...)
	if got := logIDs(t, r); len(got) != 0 {
		t.Errorf("re-post after recovery: %s", r.body)
	}
	wantOneActivity(t, h.crm, "201", "202", "203", "204")
}

// One bound covers call logs, messages and conversation days, also under
// concurrency: with the store unable to confirm, ten times the bound of
// concurrent new conversation days create only what fits (each day's first
// message needs two places: the day's record and the message), the rest
// are refused with 503 before the CRM is called; a call log is refused
// too; kept messages still answer as logged.
func TestUnconfirmedMessagesAreBounded(t *testing.T) {
	t.Parallel()
	const bound = 4
	os := &outageStore{}
	h := newHarness(t, func(c *harnessConfig) {
		os.Store = openStore(t)
		c.store = os
		c.opts = append(c.opts, httpserver.WithMaxUnconfirmed(bound))
	})
	jwt := h.login("k1")
	os.confirmDown.Store(true)
	h.crm.SetDelay(testcrm.OpCreateMessageLog, 5*time.Millisecond)
	var (
		mu      sync.Mutex
		ok      []int
		refused int
		wg      sync.WaitGroup
	)
	for i := range 10 * bound {
		wg.Go(func() {
			r := h.do("POST", "/messageLog", messageLogBody(fmt.Sprintf("conv-%d/11/27/2026", i), int64(1000+i)), bearer(jwt)...)
			mu.Lock()
			defer mu.Unlock()
			switch r.status {
			case http.StatusOK:
				ok = append(ok, i)
			case http.StatusServiceUnavailable:
				refused++
			default:
				t.Errorf("POST %d: %d %s", i, r.status, r.body)
			}
		})
	}
	wg.Wait()
	if len(ok) != bound/2 || h.crm.MessageLogCount() != bound/2 || refused != 10*bound-bound/2 {
		t.Fatalf("%d successful, %d refused, %d CRM activities; want %d, %d, %d",
			len(ok), refused, h.crm.MessageLogCount(), bound/2, 10*bound-bound/2, bound/2)
	}
	// The bound is shared: a new call log is refused before the CRM call.
	r := h.do("POST", "/callLog", callLogBody("s-1", "1001"), bearer(jwt)...)
	if r.status != http.StatusServiceUnavailable || h.crm.CallLogCount() != 0 {
		t.Errorf("call log at the bound: %d %s, %d CRM call logs", r.status, r.body, h.crm.CallLogCount())
	}
	// A kept message still answers as logged while the bound is reached.
	i := ok[0]
	r = h.do("POST", "/messageLog", messageLogBody(fmt.Sprintf("conv-%d/11/27/2026", i), int64(1000+i)), bearer(jwt)...)
	if got := logIDs(t, r); r.status != http.StatusOK || len(got) != 0 {
		t.Errorf("kept message at the bound: %d %s", r.status, r.body)
	}
	// The store recovers: the kept ids are recorded and the places free.
	os.confirmDown.Store(false)
	key := testcrm.UserID("k1") + "-testcrm"
	for _, i := range ok {
		waitMessageConfirmed(t, os.Store, key, strconv.Itoa(1000+i))
	}
	waitFree := time.Now().Add(30 * time.Second)
	for {
		r = h.do("POST", "/callLog", callLogBody("s-1", "1001"), bearer(jwt)...)
		if r.status == http.StatusOK || time.Now().After(waitFree) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r.status != http.StatusOK || h.crm.CallLogCount() != 1 {
		t.Errorf("call log after recovery: %d %s", r.status, r.body)
	}
}

// The smallest bound still lets a conversation day's first message in:
// it needs two places (the day's record and the message).
func TestMaxUnconfirmedOneStillLogsMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) {
		c.opts = append(c.opts, httpserver.WithMaxUnconfirmed(1))
	})
	jwt := h.login("k1")
	r := h.do("POST", "/messageLog", messageLogBody("conv-1/11/27/2026", 2, 1), bearer(jwt)...)
	if got := logIDs(t, r); r.status != http.StatusOK || !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("bound 1: %d %s", r.status, r.body)
	}
}
