package replicas

import (
	"context"
	"crypto/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// TestDatabaseFailureAnswers503ThenRecovers kills the server's database
// connections mid-run: the requests that meet a dead connection answer 503
// with a readable message, and the server recovers by itself (the pool
// reconnects) without being restarted.
func TestDatabaseFailureAnswers503ThenRecovers(t *testing.T) {
	t.Parallel()
	dsn := servertest.NeedPostgres(t)
	appName := "crmbridge_fault_" + rand.Text()[:10]
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", appName)
	u.RawQuery = q.Encode()

	crm := testcrm.NewCRM()
	// Every request reads the database: no user cache to hide the failure.
	c := newClusterDSN(t, u.String(), func() []adapter.Adapter { return []adapter.Adapter{testcrm.New(crm)} },
		httpserver.WithUserCacheTTL(0))
	login := c.mustDo("POST", "/apiKeyLogin", "", map[string]any{"platform": "testcrm", "apiKey": "fault-key"})
	jwt, _ := login.json(t)["jwtToken"].(string)
	if jwt == "" {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	lookup := func() response { return c.mustDo("GET", "/contact?phoneNumber=%2B16505551212", jwt, nil) }
	if r := lookup(); r.status != 200 {
		t.Fatalf("before the fault: %d %s", r.status, r.body)
	}

	admin, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	kill := func() int {
		// List first, then terminate one by one: a WHERE clause combining
		// the filter and pg_terminate_backend may run the latter first.
		rows, err := admin.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", appName)
		if err != nil {
			t.Fatal(err)
		}
		pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			admin.Exec(context.Background(), "SELECT pg_terminate_backend($1)", pid)
		}
		return len(pids)
	}

	var unavailable int
	for attempt := 0; attempt < 20 && unavailable == 0; attempt++ {
		if kill() == 0 {
			t.Fatal("found no backend of the server to terminate")
		}
		for range 4 {
			r := lookup()
			switch r.status {
			case 200:
			case 503:
				unavailable++
				m := r.json(t)
				if m["successful"] != false || !strings.Contains(msg(m), "database") {
					t.Errorf("503 body: %s", r.body)
				}
			default:
				t.Errorf("during the fault: %d %s", r.status, r.body)
			}
		}
	}
	if unavailable == 0 {
		t.Fatal("no request met a dead connection: the fault was not exercised")
	}
	t.Logf("%d requests answered 503 while the connections were being killed", unavailable)

	// Recovery without a restart: bounded in attempts, not in time.
	recovered := false
	for range 50 {
		if r := lookup(); r.status == 200 {
			recovered = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !recovered {
		t.Fatal("the server did not recover after the database came back")
	}
	// Writes work again too, and nothing was logged twice along the way.
	r := c.mustDo("POST", "/callLog", jwt, callLogBody("fault-session"))
	if m := r.json(t); m["successful"] != true {
		t.Errorf("call log after recovery: %d %s", r.status, r.body)
	}
	if n := crm.CallLogCount(); n != 1 {
		t.Errorf("%d call activities, want 1", n)
	}
}

func msg(m map[string]any) string {
	rm, _ := m["returnMessage"].(map[string]any)
	s, _ := rm["message"].(string)
	return s
}
