package servertest_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

func testcrmOnly() []adapter.Adapter { return []adapter.Adapter{testcrm.New(testcrm.NewCRM())} }

// A logged-in user looks Alice up; the helpers decode what the client reads.
func TestLoginAndLookup(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := servertest.New(t, servertest.Config{Adapters: testcrmOnly(), Postgres: pg})
			jwt := s.LoginAPIKey("testcrm", "key-1", "acme.testcrm.local")
			r := s.Do("GET", "/contact?phoneNumber=+16505551212", nil, servertest.Bearer(jwt)...)
			var got struct {
				Contact []struct{ Name string }
			}
			r.Decode(t, &got)
			if !r.Envelope(t).Successful || len(got.Contact) != 1 || got.Contact[0].Name != "Alice Anderson" {
				t.Errorf("lookup: %d %s", r.Status, r.Body)
			}
		})
	}
}

// Servers given one schema, secret and key are replicas: a JWT of one
// works on the other, and what one stored the other reads.
func TestSharedSchema(t *testing.T) {
	t.Parallel()
	schema := servertest.NewSchema(t)
	key := mustKey(t)
	cfg := servertest.Config{Adapters: testcrmOnly(), Postgres: true, Schema: schema, SealingKey: &key}
	a, b := servertest.New(t, cfg), servertest.New(t, cfg)
	jwt := a.LoginAPIKey("testcrm", "key-1", "")
	a.Do("POST", "/callLog", servertest.CallLogBody("s-1", "1001"), servertest.Bearer(jwt)...)
	r := b.Do("GET", "/callLog?sessionIds=s-1", nil, servertest.Bearer(jwt)...)
	if !strings.Contains(string(r.Body), `"matched":true`) {
		t.Errorf("the other replica does not see the call log: %d %s", r.Status, r.Body)
	}
}

// recorder is an Env that notes failures instead of failing the test.
type recorder struct {
	*testing.T
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, format)
}

// An answer the contract does not allow fails the test that received it,
// whichever helper sent the request.
func TestContractCheckFailsABadAnswer(t *testing.T) {
	t.Parallel()
	rec := &recorder{T: t}
	s, err := servertest.Start(rec, servertest.Config{
		Adapters: testcrmOnly(),
		Mount: func(h http.Handler) (http.Handler, string) {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/isAlive" {
					w.WriteHeader(http.StatusTeapot)
					return
				}
				h.ServeHTTP(w, r)
			}), ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Do("GET", "/isAlive", nil)
	if len(rec.errors) == 0 {
		t.Fatal("a 418 from /isAlive passed the contract check")
	}
	rec.errors = nil
	if _, err := s.Send("GET", "/implementedInterfaces?platform=testcrm", nil); err != nil || len(rec.errors) != 0 {
		t.Errorf("a documented answer: %v, %q", err, rec.errors)
	}
	// The documents disagree with PROTOCOL.md on exactly these.
	if !servertest.ContractConflict("POST", "/admin/settings?jwtToken=x", 200) || servertest.ContractConflict("GET", "/admin/settings", 200) {
		t.Error("ContractConflict")
	}
}

// A server mounted under a prefix is reached through it.
func TestMountPrefix(t *testing.T) {
	t.Parallel()
	s := servertest.New(t, servertest.Config{
		Adapters: testcrmOnly(),
		Mount: func(h http.Handler) (http.Handler, string) {
			mux := http.NewServeMux()
			mux.Handle("/crm/", http.StripPrefix("/crm", h))
			return mux, "/crm"
		},
	})
	if r := s.Do("GET", "/isAlive", nil); r.Status != 200 || string(r.Body) != "OK" {
		t.Errorf("isAlive under /crm: %d %s", r.Status, r.Body)
	}
}

func mustKey(t *testing.T) auth.SealingKey {
	k, err := auth.GenerateSealingKey("shared")
	if err != nil {
		t.Fatal(err)
	}
	return k
}
