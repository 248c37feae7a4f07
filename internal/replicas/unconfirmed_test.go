package replicas

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/internal/servertest"
	"github.com/crmbridge/crmbridge/store"
)

// confirmFault makes ConfirmCallLog fail like an unreachable database
// while down is set, and counts pending answers of ReserveCallLog.
type confirmFault struct {
	store.Store
	down    atomic.Bool
	refused atomic.Int64
	pending atomic.Int64
}

func (f *confirmFault) ConfirmCallLog(ctx context.Context, userKey, sessionID, logID string) error {
	if f.down.Load() {
		f.refused.Add(1)
		return fmt.Errorf("injected: %w: connection reset", store.ErrUnavailable)
	}
	return f.Store.ConfirmCallLog(ctx, userKey, sessionID, logID)
}

func (f *confirmFault) ReserveCallLog(ctx context.Context, userKey, sessionID string, lease time.Duration) (store.Reservation, error) {
	res, err := f.Store.ReserveCallLog(ctx, userKey, sessionID, lease)
	if err == nil && !res.Won && res.LogID == "" {
		f.pending.Add(1)
	}
	return res, err
}

// faultAfterCreate switches a fault on right after the CRM created a call
// log, before the server can record its id.
type faultAfterCreate struct {
	*testcrm.Adapter
	fault *confirmFault
}

func (a *faultAfterCreate) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	res, err := a.Adapter.CreateCallLog(ctx, req)
	if err == nil && a.fault != nil {
		a.fault.down.Store(true)
	}
	return res, err
}

// faultCluster runs two replicas over one schema and one CRM; replica 0's
// store confirms nothing once its CRM created a record, until the test
// says so.
func faultCluster(t *testing.T) (*cluster, *testcrm.CRM, []*confirmFault, string) {
	dsn := servertest.NeedPostgres(t)
	crm := testcrm.NewCRM()
	faults := []*confirmFault{{}, {}}
	n := 0
	c := newClusterWrapped(t, dsn, func() []adapter.Adapter {
		a := &faultAfterCreate{Adapter: testcrm.New(crm)}
		if n == 0 {
			a.fault = faults[0]
		}
		n++
		return []adapter.Adapter{a}
	}, func(i int, st store.Store) store.Store {
		faults[i].Store = st
		return faults[i]
	})
	return c, crm, faults, dsn
}

func wantOneRecord(t *testing.T, crm *testcrm.CRM, sessionID, logID string) {
	t.Helper()
	var ids []string
	for _, a := range crm.CallLogs() {
		if a.SessionID == sessionID {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) != 1 || ids[0] != logID {
		t.Errorf("CRM records for %s: %v, want exactly [%s]", sessionID, ids, logID)
	}
}

// Replica 0's store fails between CreateCallLog and the confirm, then
// recovers. The client's retry lands on replica 1, which waits on the
// pending reservation and answers with replica 0's id once it is recorded:
// one CRM record (PROTOCOL.md §7).
func TestCallLogConfirmFaultAcrossReplicas(t *testing.T) {
	t.Parallel()
	c, crm, faults, _ := faultCluster(t)
	jwt := c.apiKeyLogin("key-fault")
	const sid = "session-confirm-fault"

	r := c.doOnMust(0, "POST", "/callLog", jwt, callLogBody(sid))
	m := r.json(t)
	logID, _ := m["logId"].(string)
	if r.status != http.StatusOK || !successful(m) || logID == "" {
		t.Fatalf("first POST on replica 0: %d %s", r.status, r.body)
	}
	if faults[0].refused.Load() == 0 {
		t.Fatal("the fault was not hit")
	}

	// The retry, on the other replica, meets the pending reservation.
	retried := make(chan response, 1)
	go func() {
		r, err := c.doOn(1, "POST", "/callLog", jwt, callLogBody(sid))
		if err != nil {
			r.body = []byte(err.Error())
		}
		retried <- r
	}()
	for faults[1].pending.Load() == 0 {
		select {
		case r := <-retried:
			t.Fatalf("replica 1 answered without meeting the pending reservation: %d %s", r.status, r.body)
		case <-time.After(5 * time.Millisecond):
		}
	}
	faults[0].down.Store(false) // the database is back for replica 0
	r = <-retried
	if m := r.json(t); r.status != http.StatusOK || m["logId"] != logID {
		t.Errorf("retried POST on replica 1: %d %s, want logId %s", r.status, r.body, logID)
	}
	wantOneRecord(t, crm, sid, logID)
}

// Replica 0 dies after its CRM created the record and before the store
// recorded it; long after, the retry lands on replica 1, which takes the
// stale reservation over, asks the CRM (adapter.CallLogFinder) and answers
// with the existing record instead of creating a second one.
func TestCallLogStaleReservationAsksTheCRM(t *testing.T) {
	t.Parallel()
	c, crm, faults, dsn := faultCluster(t)
	jwt := c.apiKeyLogin("key-dead")
	const sid = "session-dead-replica"

	r := c.doOnMust(0, "POST", "/callLog", jwt, callLogBody(sid))
	logID, _ := r.json(t)["logId"].(string)
	if logID == "" {
		t.Fatalf("first POST on replica 0: %d %s", r.status, r.body)
	}
	if faults[0].refused.Load() == 0 {
		t.Fatal("the fault was not hit")
	}
	// The process ends: its background confirm stops for good.
	c.servers[0].Close()

	// Its lease runs out (on the database clock, the one the store uses).
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tag, err := conn.Exec(context.Background(),
		`UPDATE `+pgx.Identifier{c.schema, "call_logs"}.Sanitize()+` SET reserved_at = reserved_at - interval '1 day' WHERE session_id = $1 AND log_id IS NULL`, sid)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("aging the reservation: %v (%d rows)", err, tag.RowsAffected())
	}
	finds := crm.Invocations(testcrm.OpFindCallLog)

	r = c.doOnMust(1, "POST", "/callLog", jwt, callLogBody(sid))
	if m := r.json(t); r.status != http.StatusOK || m["logId"] != logID {
		t.Errorf("retried POST on replica 1: %d %s, want logId %s", r.status, r.body, logID)
	}
	if crm.Invocations(testcrm.OpFindCallLog) != finds+1 {
		t.Errorf("the CRM was not asked before taking the stale reservation over")
	}
	wantOneRecord(t, crm, sid, logID)
	// And the store now has it: no further CRM question.
	r = c.doOnMust(1, "POST", "/callLog", jwt, callLogBody(sid))
	if m := r.json(t); m["logId"] != logID || crm.Invocations(testcrm.OpFindCallLog) != finds+1 {
		t.Errorf("third POST: %s (CRM asked %d times)", r.body, crm.Invocations(testcrm.OpFindCallLog)-finds)
	}
}

// doOnMust is doOn that fails the test on a transport error.
func (c *cluster) doOnMust(i int, method, path, jwt string, body any) response {
	c.t.Helper()
	r, err := c.doOn(i, method, path, jwt, body)
	if err != nil {
		c.t.Fatalf("%s %s on replica %d: %v", method, path, i, err)
	}
	return r
}

// The message-log side of confirmFault: ConfirmMessage and the day's
// mapping fail while down; pending answers of ReserveMessage are counted.

func (f *confirmFault) ConfirmMessage(ctx context.Context, userKey, messageID, logID string) error {
	if f.down.Load() {
		f.refused.Add(1)
		return fmt.Errorf("injected: %w: connection reset", store.ErrUnavailable)
	}
	return f.Store.ConfirmMessage(ctx, userKey, messageID, logID)
}

func (f *confirmFault) PutConversationLogID(ctx context.Context, userKey, conversationLogID, logID string) (string, error) {
	if f.down.Load() {
		f.refused.Add(1)
		return "", fmt.Errorf("injected: %w: connection reset", store.ErrUnavailable)
	}
	return f.Store.PutConversationLogID(ctx, userKey, conversationLogID, logID)
}

func (f *confirmFault) ReserveMessage(ctx context.Context, userKey, messageID string, lease time.Duration) (store.Reservation, error) {
	res, err := f.Store.ReserveMessage(ctx, userKey, messageID, lease)
	if err == nil && !res.Won && res.LogID == "" {
		f.pending.Add(1)
	}
	return res, err
}

func (a *faultAfterCreate) CreateMessageLog(ctx context.Context, req adapter.CreateMessageLogRequest) (adapter.CreateMessageLogResult, error) {
	res, err := a.Adapter.CreateMessageLog(ctx, req)
	if err == nil && a.fault != nil {
		a.fault.down.Store(true)
	}
	return res, err
}

// Replica 0's store fails between creating a conversation day's activity
// and recording it. The client's re-post, with one more message, lands on
// replica 1, which meets the first message pending, waits for replica 0 to
// record it, and appends the new message to the same activity: one CRM
// activity, each message once (PROTOCOL.md §7).
func TestMessageLogConfirmFaultAcrossReplicas(t *testing.T) {
	t.Parallel()
	c, crm, faults, _ := faultCluster(t)
	jwt := c.apiKeyLogin("key-msg-fault")
	const day = "conv-1/11/29/2026"

	r := c.doOnMust(0, "POST", "/messageLog", jwt, messageLogBody(day, 1))
	if m := r.json(t); r.status != http.StatusOK || !successful(m) || fmt.Sprint(m["logIds"]) != "[1]" {
		t.Fatalf("first POST on replica 0: %d %s", r.status, r.body)
	}
	if faults[0].refused.Load() == 0 {
		t.Fatal("the fault was not hit")
	}

	retried := make(chan response, 1)
	go func() {
		r, err := c.doOn(1, "POST", "/messageLog", jwt, messageLogBody(day, 2, 1))
		if err != nil {
			r.body = []byte(err.Error())
		}
		retried <- r
	}()
	for faults[1].pending.Load() == 0 {
		select {
		case r := <-retried:
			t.Fatalf("replica 1 answered without meeting the pending message: %d %s", r.status, r.body)
		case <-time.After(5 * time.Millisecond):
		}
	}
	faults[0].down.Store(false) // the database is back for replica 0
	r = <-retried
	if m := r.json(t); r.status != http.StatusOK || fmt.Sprint(m["logIds"]) != "[2]" {
		t.Errorf("re-post on replica 1: %d %s, want logIds [2]", r.status, r.body)
	}
	var acts []testcrm.MessageActivity
	for _, a := range crm.MessageLogs() {
		if a.ConversationLogID == day {
			acts = append(acts, a)
		}
	}
	if len(acts) != 1 || fmt.Sprint(acts[0].MessageIDs) != "[1 2]" {
		t.Errorf("CRM activities of the day: %+v, want exactly one holding [1 2]", acts)
	}
}
