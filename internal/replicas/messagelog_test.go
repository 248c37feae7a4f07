package replicas

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/internal/concurrently"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// messageLogBody is a POST /messageLog body for one conversation day with
// Alice, messages newest first as the client sends them.
func messageLogBody(convLogID string, ids ...int64) map[string]any {
	return servertest.MessageLogBody(convLogID, ids...)
}

// postDayConcurrently posts the same day 50 times at once, half to each
// replica, and returns how often each message id was reported logged.
func postDayConcurrently(t *testing.T, c *cluster, jwt, convLogID string, ids ...int64) map[string]int {
	t.Helper()
	results := concurrently.Run(concurrency, func(int) result {
		r, err := c.do("POST", "/messageLog", jwt, messageLogBody(convLogID, ids...))
		return result{r, err}
	})
	logged := map[string]int{}
	for i, res := range results {
		if res.err != nil {
			t.Errorf("request %d: %v", i, res.err)
			continue
		}
		m := res.r.json(t)
		if res.r.status != http.StatusOK || !successful(m) {
			t.Errorf("request %d (replica %d): %d %s", i, res.r.replica, res.r.status, res.r.body)
			continue
		}
		ids, ok := m["logIds"].([]any)
		if !ok {
			t.Errorf("request %d (replica %d): no logIds array in %s", i, res.r.replica, res.r.body)
		}
		for _, id := range ids {
			logged[fmt.Sprint(id)]++
		}
	}
	return logged
}

// TestMessagesOnceAcrossReplicas posts one SMS conversation day 50 times
// at once to both replicas, then again with a new message: the CRM holds one
// activity for the day with each message exactly once, oldest first, and
// each message is reported logged by exactly one request.
func TestMessagesOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	c, crm := testcrmCluster(t)
	jwt := c.apiKeyLogin("key-alice")
	// Slow CRM writes keep each request inside the day's lock for a while,
	// so requests on both replicas queue for it.
	crm.SetDelay(testcrm.OpCreateMessageLog, 10*time.Millisecond)
	crm.SetDelay(testcrm.OpUpdateMessageLog, 10*time.Millisecond)
	const day = "conv-1/11/27/2026"

	logged := postDayConcurrently(t, c, jwt, day, 3, 2, 1)
	if diff := cmp.Diff(map[string]int{"1": 1, "2": 1, "3": 1}, logged); diff != "" {
		t.Errorf("times each message was reported logged (-want +got):\n%s", diff)
	}
	logged = postDayConcurrently(t, c, jwt, day, 4, 3, 2, 1)
	if diff := cmp.Diff(map[string]int{"4": 1}, logged); diff != "" {
		t.Errorf("after a new message: times each message was reported logged (-want +got):\n%s", diff)
	}
	c.checkBothServed()

	var acts []testcrm.MessageActivity
	for _, a := range crm.MessageLogs() {
		if a.ConversationLogID == day {
			acts = append(acts, a)
		}
	}
	if len(acts) != 1 {
		t.Fatalf("the CRM holds %d activities for the day, want exactly 1", len(acts))
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "4"}, acts[0].MessageIDs); diff != "" {
		t.Errorf("messages in the day's activity (-want +got):\n%s", diff)
	}
	if n := crm.Invocations(testcrm.OpCreateMessageLog); n != 1 {
		t.Errorf("CreateMessageLog was called %d times, want 1", n)
	}
	if n := crm.Invocations(testcrm.OpUpdateMessageLog); n != 3 {
		t.Errorf("UpdateMessageLog was called %d times, want 3", n)
	}
}
