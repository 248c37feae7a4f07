package replicas

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/internal/concurrently"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// concurrency is how many identical requests race in each test.
const concurrency = 50

// testcrmCluster runs both replicas over one shared in-memory CRM.
func testcrmCluster(t *testing.T) (*cluster, *testcrm.CRM) {
	crm := testcrm.NewCRM()
	c := newCluster(t, func() []adapter.Adapter { return []adapter.Adapter{testcrm.New(crm)} })
	return c, crm
}

// apiKeyLogin logs a testcrm user in through one replica and returns the
// session JWT, which every replica accepts.
func (c *cluster) apiKeyLogin(apiKey string) string {
	c.t.Helper()
	r := c.mustDo("POST", "/apiKeyLogin", "", map[string]any{
		"platform": testcrm.Platform, "apiKey": apiKey, "hostname": "acme.testcrm.local",
	})
	jwt, _ := r.json(c.t)["jwtToken"].(string)
	if r.status != http.StatusOK || jwt == "" {
		c.t.Fatalf("login: %d %s", r.status, r.body)
	}
	return jwt
}

// callLogBody is a POST /callLog body: an inbound call from Alice
// (contact 1001 of testcrm.NewCRM).
func callLogBody(sessionID string) map[string]any { return servertest.CallLogBody(sessionID, "1001") }

// TestCallLogOnceAcrossReplicas posts one call 50 times at once, half to
// each replica: the CRM gets exactly one activity, one request reports
// it created, and every other request reports that very log as existing.
func TestCallLogOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	c, crm := testcrmCluster(t)
	jwt := c.apiKeyLogin("key-alice")
	// A slow CRM keeps the winner's reservation pending while the others
	// arrive, so they meet it pending on both replicas, not only
	// confirmed.
	crm.SetDelay(testcrm.OpCreateCallLog, 20*time.Millisecond)

	const sessionID = "session-replicas-1"
	results := concurrently.Run(concurrency, func(int) result {
		r, err := c.do("POST", "/callLog", jwt, callLogBody(sessionID))
		return result{r, err}
	})

	var created, existing int
	logIDs := map[string]int{}
	for i, res := range results {
		if res.err != nil {
			t.Errorf("request %d: %v", i, res.err)
			continue
		}
		if res.r.status != http.StatusOK {
			t.Errorf("request %d (replica %d): HTTP %d %s", i, res.r.replica, res.r.status, res.r.body)
			continue
		}
		m := res.r.json(t)
		id, _ := m["logId"].(string)
		logIDs[id]++
		if successful(m) {
			created++
			continue
		}
		msg, _ := m["returnMessage"].(map[string]any)
		if text, _ := msg["message"].(string); !strings.HasPrefix(text, "Existing log for session") {
			t.Errorf("request %d (replica %d): unexpected answer %s", i, res.r.replica, res.r.body)
			continue
		}
		existing++
	}
	c.checkBothServed()

	var acts []testcrm.CallActivity
	for _, a := range crm.CallLogs() {
		if a.SessionID == sessionID {
			acts = append(acts, a)
		}
	}
	if len(acts) != 1 {
		t.Fatalf("the CRM holds %d activities for the session, want exactly 1", len(acts))
	}
	if n := crm.Invocations(testcrm.OpCreateCallLog); n != 1 {
		t.Errorf("CreateCallLog was called %d times, want 1", n)
	}
	if created != 1 || existing != concurrency-1 {
		t.Errorf("%d requests created the log and %d found it existing, want 1 and %d", created, existing, concurrency-1)
	}
	if len(logIDs) != 1 || logIDs[acts[0].ID] != concurrency {
		t.Errorf("log ids answered: %v, want %q in all %d answers", logIDs, acts[0].ID, concurrency)
	}

	// Either replica now finds the log.
	for i := range replicaCount {
		r, err := c.doOn(i, "GET", "/callLog?sessionIds="+sessionID, jwt, nil)
		if err != nil {
			t.Fatal(err)
		}
		logs, _ := r.json(t)["logs"].([]any)
		if len(logs) != 1 {
			t.Fatalf("replica %d: GET /callLog: %s", i, r.body)
		}
		if entry, _ := logs[0].(map[string]any); entry["matched"] != true || entry["logId"] != acts[0].ID {
			t.Errorf("replica %d: GET /callLog: %s, want a match on %s", i, r.body, acts[0].ID)
		}
	}
}

type result struct {
	r   response
	err error
}
