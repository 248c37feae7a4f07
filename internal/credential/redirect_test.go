package credential

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crmbridge/crmbridge/auth"
)

// hostsTransport is a base RoundTripper serving several made-up hosts
// without a network: each host redirects as routes says or answers "ok".
// Like http.Transport it sets resp.Request, which the redirect chain is
// read from.
type hostsTransport struct {
	routes map[string]string // "scheme://host/path" -> Location of a redirect
	status map[string]int    // "scheme://host/path" -> status (default 200)

	mu   sync.Mutex
	seen []hopSeen
}

type hopSeen struct {
	URL, Authorization, APIToken string
}

func (h *hostsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	at := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	h.mu.Lock()
	h.seen = append(h.seen, hopSeen{at, req.Header.Get("Authorization"), req.Header.Get("X-Api-Token")})
	h.mu.Unlock()
	rec := httptest.NewRecorder()
	if loc, ok := h.routes[at]; ok {
		rec.Header().Set("Location", loc)
		rec.WriteHeader(http.StatusTemporaryRedirect)
	} else if st, ok := h.status[at]; ok {
		rec.WriteHeader(st)
	} else {
		io.WriteString(rec, "ok")
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

func (h *hostsTransport) hops() []hopSeen {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hopSeen(nil), h.seen...)
}

// Credentials belong to the CRM the adapter addressed. When the CRM (or
// anything it redirects through) sends the client elsewhere, the transport
// must not put them on the request: net/http drops Authorization on such a
// redirect, and a transport that adds credentials on every hop undoes that.
func TestTransportKeepsCredentialsOffOtherHosts(t *testing.T) {
	t.Parallel()
	const crm = "https://api.crm.example"
	tests := []struct {
		name   string
		routes map[string]string
		want   []hopSeen
	}{
		{
			name:   "same host keeps them",
			routes: map[string]string{crm + "/a": crm + "/b"},
			want:   []hopSeen{{crm + "/a", "", "key-1"}, {crm + "/b", "", "key-1"}},
		},
		{
			name:   "subdomain keeps them, as net/http does",
			routes: map[string]string{crm + "/a": "https://eu.api.crm.example/a"},
			want:   []hopSeen{{crm + "/a", "", "key-1"}, {"https://eu.api.crm.example/a", "", "key-1"}},
		},
		{
			name:   "other host",
			routes: map[string]string{crm + "/a": "https://files.example/x"},
			want:   []hopSeen{{crm + "/a", "", "key-1"}, {"https://files.example/x", "", ""}},
		},
		{
			name:   "parent domain",
			routes: map[string]string{crm + "/a": "https://crm.example/x"},
			want:   []hopSeen{{crm + "/a", "", "key-1"}, {"https://crm.example/x", "", ""}},
		},
		{
			name:   "look-alike host",
			routes: map[string]string{crm + "/a": "https://evilapi.crm.example.attacker.test/x"},
			want:   []hopSeen{{crm + "/a", "", "key-1"}, {"https://evilapi.crm.example.attacker.test/x", "", ""}},
		},
		{
			name:   "other port",
			routes: map[string]string{crm + "/a": "https://api.crm.example:8443/x"},
			want:   []hopSeen{{crm + "/a", "", "key-1"}, {"https://api.crm.example:8443/x", "", ""}},
		},
		{
			name:   "downgrade to http",
			routes: map[string]string{crm + "/a": "http://api.crm.example/x"},
			want:   []hopSeen{{crm + "/a", "", "key-1"}, {"http://api.crm.example/x", "", ""}},
		},
		{
			// The other host chose where to send the client back to (a 307
			// keeps method and body): that is not the adapter's request.
			name: "back from another host",
			routes: map[string]string{
				crm + "/a":                "https://files.example/x",
				"https://files.example/x": crm + "/admin",
			},
			want: []hopSeen{{crm + "/a", "", "key-1"}, {"https://files.example/x", "", ""}, {crm + "/admin", "", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &hostsTransport{routes: tt.routes}
			hc := &http.Client{Transport: NewTransport(base, APIKey("key-1", auth.HeaderScheme("X-Api-Token")))}
			resp, err := hc.Post(crm+"/a", "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if diff := cmp.Diff(tt.want, base.hops()); diff != "" {
				t.Errorf("hops (-want +got):\n%s", diff)
			}
		})
	}
}

// A 401 from a host the credentials were kept off is that host's answer:
// it must not refresh the user's token, nor be retried with it.
func TestTransportNoRenewForOtherHost(t *testing.T) {
	t.Parallel()
	f := newFakeOAuth(t, true, "rt-0")
	ts := newMemStore(userKey, Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: testNow.Add(3600e9)})
	r := newTestRefresher(f, ts)
	base := &hostsTransport{
		routes: map[string]string{"https://api.crm.example/a": "https://files.example/x"},
		status: map[string]int{"https://files.example/x": http.StatusUnauthorized},
	}
	hc := &http.Client{Transport: NewTransport(base, r.Credentials(userKey))}
	resp, err := hc.Get("https://api.crm.example/a")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	want := []hopSeen{{"https://api.crm.example/a", "Bearer at-0", ""}, {"https://files.example/x", "", ""}}
	if diff := cmp.Diff(want, base.hops()); diff != "" {
		t.Errorf("hops (-want +got):\n%s", diff)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want the other host's 401", resp.StatusCode)
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("provider called %d times, want 0", n)
	}
}
