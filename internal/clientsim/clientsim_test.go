package clientsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/clientsim"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// newHandler is the example server's handler: testcrm behind httpserver on
// SQLite.
func newHandler(t *testing.T) (http.Handler, *testcrm.CRM) {
	t.Helper()
	h, crm, closeStore, err := exampleHandler(filepath.Join(t.TempDir(), "sim.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	return h, crm
}

func exampleHandler(dbPath string) (http.Handler, *testcrm.CRM, func(), error) {
	st, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		return nil, nil, nil, err
	}
	closeStore := func() { st.Close() }
	sessions, err := auth.NewJWTIssuer([]byte("0123456789abcdef0123456789abcdef-sim-secret"))
	if err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	k, err := auth.GenerateSealingKey("k1")
	if err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	keys, err := auth.NewSealingKeyRing(k)
	if err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	crm := testcrm.NewCRM()
	h, err := httpserver.New(httpserver.Config{Adapters: []adapter.Adapter{testcrm.New(crm)}, Store: st, JWTIssuer: sessions, SealingKeys: keys})
	if err != nil {
		closeStore()
		return nil, nil, nil, err
	}
	return h, crm, closeStore, nil
}

// clientsimServer is a server already listening at url.
type clientsimServer struct{ url string }

// run runs the simulator against h (an http.Handler, served here) or a
// clientsimServer; opts defaults to an API-key login to testcrm.
func run(t *testing.T, h any, opts ...clientsim.Options) clientsim.Report {
	t.Helper()
	var base string
	switch h := h.(type) {
	case http.Handler:
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		base = srv.URL
	case clientsimServer:
		base = h.url
	}
	o := clientsim.Options{APIKey: "sim-key", Platform: "testcrm"}
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Server = base
	rep := clientsim.Run(context.Background(), o)
	var b bytes.Buffer
	rep.WriteText(&b)
	t.Logf("simulator report:\n%s", b.String())
	return rep
}

// find returns the named step of the named scenario.
func find(rep clientsim.Report, scenario, step string) (clientsim.StepResult, bool) {
	for _, sc := range rep.Scenarios {
		if sc.Name != scenario {
			continue
		}
		for _, st := range sc.Steps {
			if st.Name == step {
				return st, true
			}
		}
	}
	return clientsim.StepResult{}, false
}

// TestEveryStepPasses runs the simulator against the example server's
// handler: every step of every scenario passes.
func TestEveryStepPasses(t *testing.T) {
	t.Parallel()
	h, crm := newHandler(t)
	rep := run(t, h)
	want := []string{"login", "settings sync", "call lifecycle", "SMS day", "no-match placeholder", "duplicate log", "unknown routes", "logout"}
	if len(rep.Scenarios) != len(want) {
		t.Fatalf("got %d scenarios, want %d", len(rep.Scenarios), len(want))
	}
	for i, sc := range rep.Scenarios {
		if sc.Name != want[i] {
			t.Errorf("scenario %d is %q, want %q", i, sc.Name, want[i])
		}
		if sc.NotRun > 0 {
			t.Errorf("%s: %d steps not run", sc.Name, sc.NotRun)
		}
		for _, st := range sc.Steps {
			t.Run(sc.Name+"/"+st.Name, func(t *testing.T) {
				if !st.OK {
					t.Errorf("failed: %s (rule: %s)", st.Detail, st.Rule)
				}
			})
		}
	}
	// The run really reached the CRM: one call activity (the duplicate
	// created nothing) and one message activity for the day.
	if n := crm.CallLogCount(); n != 1 {
		t.Errorf("the CRM has %d call logs, want 1", n)
	}
	if n := crm.MessageLogCount(); n != 1 {
		t.Errorf("the CRM has %d message logs, want 1", n)
	}
	if rep.Failed != 0 || rep.Passed != 21 {
		t.Errorf("%d passed, %d failed; want 21 passed, 0 failed", rep.Passed, rep.Failed)
	}
}

// eraseOnSweep is a broken server: on the recording sweep it replaces the
// user's note (as a server that writes every key it gets would).
func eraseOnSweep(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			b, _ := io.ReadAll(r.Body)
			b = bytes.ReplaceAll(b, []byte(`"note":""`), []byte(`"note":"(recording only)"`))
			r.Body = io.NopCloser(bytes.NewReader(b))
			r.ContentLength = int64(len(b))
		}
		next.ServeHTTP(w, r)
	})
}

// methodNotAllowed is a broken server: unknown routes answer 405 with a
// text body, as a plain router does.
func methodNotAllowed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete || strings.HasPrefix(r.URL.Path, "/crmbridge-sim/") {
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// duplicateCreates is a broken server: a second POST /callLog of a session
// answers as if it had created the record again.
func duplicateCreates(next http.Handler) http.Handler {
	posts := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/callLog" {
			posts++
			if posts > 1 {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"successful":true,"logId":"9999","returnMessage":{"message":"Call logged","messageType":"success","ttl":2000}}`)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TestBrokenServers breaks one rule at a time: the step that checks it
// fails, naming the rule, and the run counts a failure.
func TestBrokenServers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, scenario, step, rule string
		wrap                       func(http.Handler) http.Handler
	}{
		{"note erased on sweep", "call lifecycle", "re-match GET /callLog", "an empty string never erases", eraseOnSweep},
		{"405 for unknown routes", "unknown routes", "GET of an unknown path", "Unknown route (any method): HTTP 404, never 405", methodNotAllowed},
		{"duplicate created", "duplicate log", "POST /callLog again", "a second POST for the same session", duplicateCreates},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newHandler(t)
			rep := run(t, tc.wrap(h))
			st, ok := find(rep, tc.scenario, tc.step)
			if !ok {
				t.Fatalf("step %s/%s not in the report", tc.scenario, tc.step)
			}
			if st.OK {
				t.Fatalf("step %s/%s passed against a server that breaks %q", tc.scenario, tc.step, tc.rule)
			}
			if !strings.Contains(st.Rule, tc.rule) {
				t.Errorf("rule %q does not name %q", st.Rule, tc.rule)
			}
			if rep.Failed == 0 {
				t.Error("the report counts no failure")
			}
		})
	}
}

// TestLoginRefused: a refused login fails the login step and every later
// scenario reports that it did not run, rather than passing.
func TestLoginRefused(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	rep := clientsim.Run(context.Background(), clientsim.Options{Server: srv.URL, APIKey: "k", Platform: "no-such-crm", HTTPClient: srv.Client()})
	if rep.Passed > 2 || rep.Failed < 2 {
		t.Fatalf("passed %d, failed %d: want the login and the later scenarios failed", rep.Passed, rep.Failed)
	}
	st, _ := find(rep, "login", "POST /apiKeyLogin")
	if st.OK {
		t.Fatalf("login with an unknown platform passed: %+v", st)
	}
}

// TestMetrics: with a /metrics endpoint the report carries the CRM calls
// each scenario cost.
func TestMetrics(t *testing.T) {
	t.Parallel()
	h, crm := newHandler(t)
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		n := 0
		for _, op := range []testcrm.Op{testcrm.OpFind, testcrm.OpCreateCallLog, testcrm.OpUpdateCallLog} {
			n += crm.Invocations(op)
		}
		// crmbridge's histogram: only the _count series is the number of
		// calls; the buckets and the sum must not be added to it.
		fmt.Fprintf(w, "# TYPE crmbridge_crm_request_duration_seconds histogram\n"+
			"crmbridge_crm_request_duration_seconds_bucket{operation=\"all\",le=\"+Inf\"} %d\n"+
			"crmbridge_crm_request_duration_seconds_sum{operation=\"all\"} 0.5\n"+
			"crmbridge_crm_request_duration_seconds_count{operation=\"all\"} %d\n"+
			"crmbridge_crm_request_duration_seconds_count_other 7\n", n, n)
	})
	rep := run(t, mux)
	for _, sc := range rep.Scenarios {
		if sc.CRMCalls == nil {
			t.Errorf("%s: no CRM calls reported", sc.Name)
			continue
		}
		if sc.Name == "call lifecycle" && *sc.CRMCalls < 3 {
			t.Errorf("call lifecycle cost %g CRM calls, want at least 3 (lookup, create, patch)", *sc.CRMCalls)
		}
		if sc.Name == "duplicate log" && *sc.CRMCalls != 0 {
			t.Errorf("the duplicate log cost %g CRM calls, want 0", *sc.CRMCalls)
		}
	}
}

// TestHugeAnswersAreBounded: a server answering ten times the 4 MiB the
// simulator reads of a response (and a /metrics line ten times its 64 KiB
// line bound) fails the step instead of filling memory, and the run goes on.
func TestHugeAnswersAreBounded(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	huge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/contact":
			if r.Method == http.MethodGet {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"successful":true,"contact":[{"id":"1","name":"`)
				chunk := strings.Repeat("a", 1<<20)
				for range 40 {
					io.WriteString(w, chunk)
				}
				io.WriteString(w, `"}]}`)
				return
			}
		case "/metrics":
			io.WriteString(w, "crmbridge_crm_request_duration_seconds_count "+strings.Repeat("9", 640<<10)+"\n")
			return
		}
		h.ServeHTTP(w, r)
	})
	rep := run(t, huge)
	st, ok := find(rep, "call lifecycle", "lookup while ringing")
	if !ok || st.OK || !strings.Contains(st.Detail, "not a JSON object") {
		t.Errorf("lookup step against a 40 MiB answer: %+v", st)
	}
	if st, ok := find(rep, "logout", "POST /unAuthorize"); !ok || !st.OK {
		t.Errorf("the run did not go on to the logout: %+v", st)
	}
	for _, sc := range rep.Scenarios {
		if sc.CRMCalls != nil {
			t.Errorf("%s: CRM calls %g read from an oversized metrics line", sc.Name, *sc.CRMCalls)
		}
	}
}

// TestWithJWT: given a session JWT instead of a login, the login steps are
// left out (not counted as passed) and every other step passes.
func TestWithJWT(t *testing.T) {
	t.Parallel()
	h, _ := newHandler(t)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	res, err := http.Post(srv.URL+"/apiKeyLogin", "application/json", strings.NewReader(`{"platform":"testcrm","apiKey":"k"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ JWTToken string }
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	if login.JWTToken == "" {
		t.Fatal("no JWT from the login")
	}
	rep := run(t, clientsimServer{srv.URL}, clientsim.Options{JWT: login.JWTToken})
	if got := rep.Scenarios[0].Steps; len(got) != 1 || got[0].Name != "GET /isAlive" {
		t.Errorf("login steps with a JWT: %+v, want only GET /isAlive", got)
	}
	if rep.Failed != 0 || rep.Passed != 19 {
		t.Errorf("%d passed, %d failed; want 19 passed, 0 failed", rep.Passed, rep.Failed)
	}
}
