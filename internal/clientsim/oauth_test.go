package clientsim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/clientsim"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// TestOAuthLogin runs the simulator against an OAuth adapter (Pipedrive,
// against its fake): it logs in through GET /oauth-callback with the
// callbackUri unencoded, as the client sends it, and every scenario passes
// through the real adapter.
func TestOAuthLogin(t *testing.T) {
	t.Parallel()
	fake := fakepipedrive.New()
	t.Cleanup(fake.Close)
	const redirect = "https://app.example/oauth-callback"
	a, err := pipedrive.New(pipedrive.Config{OAuth: auth.Provider{
		ClientID: fakepipedrive.DefaultClientID, ClientSecret: fakepipedrive.DefaultClientSecret,
		RedirectURL: redirect, AuthURL: fake.AuthURL(), TokenURL: fake.TokenURL(), RevokeURL: fake.RevokeURL(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	user := fake.AddUser(fakepipedrive.User{Name: "Ada Lovelace", Email: "ada@example.com", Timezone: "Europe/Berlin", TimezoneOffset: "+01:00"})
	fake.AddPerson(fakepipedrive.Person{Name: "Alice Anderson", Phones: []string{"+16505551212"}, OwnerID: user})

	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sim.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sessions, _ := auth.NewJWTIssuer([]byte("0123456789abcdef0123456789abcdef-sim-secret"))
	k, _ := auth.GenerateSealingKey("k1")
	keys, _ := auth.NewSealingKeyRing(k)
	h, err := httpserver.New(httpserver.Config{Adapters: []adapter.Adapter{a}, Store: st, JWTIssuer: sessions, SealingKeys: keys})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var callbackQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth-callback" {
			mu.Lock()
			callbackQuery = r.URL.RawQuery
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	code := fake.Authorize(user)
	rep := run(t, clientsimServer{srv.URL}, clientsim.Options{
		Platform: "pipedrive", CallbackURI: redirect + "?code=" + code + "&state=platform=pipedrive", Hostname: fake.CompanyDomain(),
	})
	mu.Lock()
	got := callbackQuery
	mu.Unlock()
	if want := "callbackUri=" + redirect + "?code=" + code + "&state=platform=pipedrive"; !strings.HasPrefix(got, want) {
		t.Errorf("the callback's query is %q, want it to start unencoded with %q", got, want)
	}
	for _, sc := range rep.Scenarios {
		for _, st := range sc.Steps {
			if !st.OK {
				t.Errorf("%s/%s failed: %s (rule: %s)", sc.Name, st.Name, st.Detail, st.Rule)
			}
		}
	}
	if rep.Failed != 0 || rep.Passed != 21 {
		t.Errorf("%d passed, %d failed; want 21 passed, 0 failed", rep.Passed, rep.Failed)
	}
	if st, ok := find(rep, "login", "GET /oauth-callback"); !ok || !st.OK {
		t.Errorf("login through the callback: %+v", st)
	}
}
