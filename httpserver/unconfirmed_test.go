package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// outageStore is a real store behind a switch: while down, every call-log
// method fails the way an unreachable database does. User reads pass (the
// server's user cache would serve them anyway).
type outageStore struct {
	store.Store
	down        atomic.Bool
	confirmDown atomic.Bool  // only ConfirmCallLog fails
	confirms    atomic.Int64 // ConfirmCallLog calls refused
}

func errDown(op string) error {
	return fmt.Errorf("outage: %s: %w: connection refused", op, store.ErrUnavailable)
}

func (o *outageStore) ReserveCallLog(ctx context.Context, userKey, sessionID string, lease time.Duration) (store.Reservation, error) {
	if o.down.Load() {
		return store.Reservation{}, errDown("reserve")
	}
	return o.Store.ReserveCallLog(ctx, userKey, sessionID, lease)
}

func (o *outageStore) ConfirmCallLog(ctx context.Context, userKey, sessionID, logID string) error {
	if o.down.Load() || o.confirmDown.Load() {
		o.confirms.Add(1)
		return errDown("confirm")
	}
	return o.Store.ConfirmCallLog(ctx, userKey, sessionID, logID)
}

func (o *outageStore) ReleaseCallLog(ctx context.Context, userKey, sessionID string) error {
	if o.down.Load() {
		return errDown("release")
	}
	return o.Store.ReleaseCallLog(ctx, userKey, sessionID)
}

func (o *outageStore) CallLogIDs(ctx context.Context, userKey string, ids []string) (map[string]string, error) {
	if o.down.Load() {
		return nil, errDown("call log ids")
	}
	return o.Store.CallLogIDs(ctx, userKey, ids)
}

// afterCreate runs a hook right after the CRM created a call log: the
// moment between the CRM call and the store recording its id.
type afterCreate struct {
	*testcrm.Adapter
	hook func()
}

func (a *afterCreate) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	res, err := a.Adapter.CreateCallLog(ctx, req)
	if err == nil && a.hook != nil {
		a.hook()
	}
	return res, err
}

// waitConfirmed waits (bounded) for the store to hold the session's id.
func waitConfirmed(t *testing.T, st store.Store, userKey, sessionID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		found, err := st.CallLogIDs(ctx, userKey, []string{sessionID})
		if err == nil && found[sessionID] != "" {
			return found[sessionID]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the store never recorded the CRM id of %s (last error %v)", sessionID, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// The store fails exactly between CreateCallLog and the confirm, then
// recovers: exactly one CRM record, the retried POST gets its id, during
// the outage and after it, also once every lease has run out (PROTOCOL.md §7).
func TestCallLogStoreFailsBetweenCreateAndConfirm(t *testing.T) {
	t.Parallel()
	clk := newManualClock(time.Now())
	os := &outageStore{}
	crm := testcrm.NewCRM()
	a := &afterCreate{Adapter: testcrm.New(crm)}
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

	var once atomic.Bool
	a.hook = func() {
		if once.CompareAndSwap(false, true) {
			os.down.Store(true)
		}
	}
	r := h.do("POST", "/callLog", callLogBody("s-1", "1001"), bearer(jwt)...)
	m := r.json(t)
	logID, _ := m["logId"].(string)
	if r.status != http.StatusOK || m["successful"] != true || logID == "" {
		t.Errorf("first POST: %d %s; want success with the CRM id (the record exists)", r.status, r.body)
		if crm.CallLogCount() != 1 {
			t.Fatalf("%d CRM records after the first POST", crm.CallLogCount())
		}
		logID = crm.CallLogs()[0].ID
	}
	if os.confirms.Load() == 0 {
		t.Fatalf("the fault was not hit: no confirm was refused")
	}
	if !os.down.Load() {
		t.Fatalf("store came back by itself")
	}

	// Still down: the retried POST answers with the kept id, no CRM call.
	r = h.do("POST", "/callLog", callLogBody("s-1", "1001"), bearer(jwt)...)
	if m := r.json(t); r.status != http.StatusOK || m["logId"] != logID || m["successful"] != false {
		t.Errorf("retried POST during the outage: %d %s, want the existing id %s", r.status, r.body, logID)
	}

	// The store recovers: the background retry records the id.
	os.down.Store(false)
	if got := waitConfirmed(t, os.Store, key, "s-1"); got != logID {
		t.Fatalf("store recorded %q, want %q", got, logID)
	}
	// Long after every lease ran out, still the same record.
	clk.advance(24 * time.Hour)
	r = h.do("POST", "/callLog", callLogBody("s-1", "1001"), bearer(jwt)...)
	if m := r.json(t); m["logId"] != logID || msg(m) != "Existing log for session s-1" {
		t.Errorf("retried POST after recovery: %s", r.body)
	}
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=s-1", nil)
	if logs := r.json(t)["logs"].([]any); logs[0].(map[string]any)["logId"] != logID {
		t.Errorf("GET /callLog: %s", r.body)
	}
	if n := crm.CallLogCount(); n != 1 {
		t.Errorf("%d CRM records for one call, want exactly 1", n)
	}
}

// The kept ids are bounded: with the store unable to confirm, ten times the
// bound of new calls create only the bound of CRM records; the rest are
// refused with 503 before the CRM is called.
func TestUnconfirmedIsBounded(t *testing.T) {
	t.Parallel()
	const bound = 2
	os := &outageStore{}
	h := newHarness(t, func(c *harnessConfig) {
		os.Store = openStore(t)
		c.store = os
		c.opts = append(c.opts, httpserver.WithMaxUnconfirmed(bound))
	})
	jwt := h.login("k1")
	os.confirmDown.Store(true)
	created := 0
	for i := range 10 * bound {
		r := h.do("POST", "/callLog", callLogBody(fmt.Sprintf("s-%d", i), "1001"), bearer(jwt)...)
		switch r.status {
		case http.StatusOK:
			created++
		case http.StatusServiceUnavailable:
		default:
			t.Fatalf("POST %d: %d %s", i, r.status, r.body)
		}
	}
	if created != bound || h.crm.CallLogCount() != bound {
		t.Errorf("%d successful answers, %d CRM records; want %d of each", created, h.crm.CallLogCount(), bound)
	}
	// A kept session still answers with its id while the bound is reached,
	// on every route that looks a session up.
	r := h.do("POST", "/callLog", callLogBody("s-0", "1001"), bearer(jwt)...)
	kept, _ := r.json(t)["logId"].(string)
	if r.status != http.StatusOK || kept == "" {
		t.Fatalf("kept session at the bound: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/callLog?jwtToken="+jwt+"&sessionIds=s-0,s-19", nil)
	logs := r.json(t)["logs"].([]any)
	if l := logs[0].(map[string]any); l["matched"] != true || l["logId"] != kept {
		t.Errorf("GET /callLog of a kept session: %s", r.body)
	}
	if l := logs[1].(map[string]any); l["matched"] != false {
		t.Errorf("GET /callLog of a refused session: %s", r.body)
	}
	r = h.do("PATCH", "/callLog", map[string]any{"sessionId": "s-0", "note": "edited while the store is down"}, bearer(jwt)...)
	if m := r.json(t); m["successful"] != true || m["logId"] != kept {
		t.Errorf("PATCH /callLog of a kept session: %s", r.body)
	}
	if act, _ := h.crm.CallLog(kept); act.UserNote() != "edited while the store is down" {
		t.Errorf("the CRM record was not updated: %+v", act)
	}
	os.confirmDown.Store(false)
}
