package httpserver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// A server for one adapter, on an embedded SQLite store. Real programs read
// the secret and the key ring from their configuration.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "httpserver-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	st, err := sqlite.Open(ctx, filepath.Join(dir, "crmbridge.db"))
	if err != nil {
		panic(err)
	}
	defer st.Close()
	// The three secrets come from the deployment's secret store and stay
	// the same across restarts and replicas (crmbridge keys prints fresh
	// ones); they are literals here only to keep the example short.
	jwts, err := auth.NewJWTIssuer([]byte("an example secret of at least 32 bytes"))
	if err != nil {
		panic(err)
	}
	key, _ := auth.GenerateSealingKey("k1")
	sealing, _ := auth.NewSealingKeyRing(key)

	srv, err := httpserver.New(httpserver.Config{
		Adapters:    []adapter.Adapter{testcrm.New(testcrm.NewCRM())},
		Store:       st,
		JWTIssuer:   jwts,
		SealingKeys: sealing,
	}, httpserver.WithHashKey("an example hash key of at least 32 bytes"))
	if err != nil {
		panic(err)
	}
	// Close after the HTTP server has stopped and before the store closes
	// (defers run last first): it ends the background recording of CRM ids
	// the store could not take yet.
	defer srv.Close()

	// What the client does: log in with an API key, then look up a caller.
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", "/apiKeyLogin", strings.NewReader(`{"platform":"testcrm","apiKey":"sandbox"}`)))
	fmt.Println("login:", rec.Code)
	jwt, _ := jwts.Issue(testcrm.UserID("sandbox")+"-testcrm", "testcrm")

	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/contact?jwtToken="+jwt+"&phoneNumber=+16505551212", nil))
	body, _ := io.ReadAll(rec.Body)
	fmt.Println("lookup:", rec.Code, strings.Contains(string(body), `"name":"Alice Anderson"`))
	// Output:
	// login: 200
	// lookup: 200 true
}

// Metrics and readiness: the server records into m, and the program mounts
// m.Handler() where its scraper (not the browser client) reaches it.
func ExampleWithMetrics() {
	dir, _ := os.MkdirTemp("", "httpserver-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "crmbridge.db"))
	if err != nil {
		panic(err)
	}
	defer st.Close()
	jwts, _ := auth.NewJWTIssuer([]byte("an example secret of at least 32 bytes"))
	key, _ := auth.GenerateSealingKey("k1")
	sealing, _ := auth.NewSealingKeyRing(key)

	m := httpserver.NewMetrics()
	srv, err := httpserver.New(httpserver.Config{
		Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())},
		Store:    st, JWTIssuer: jwts, SealingKeys: sealing,
	}, httpserver.WithMetrics(m), httpserver.WithHashKey("an example hash key of at least 32 bytes"))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("/", srv)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	fmt.Println("readyz:", rec.Code)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	fmt.Println(strings.Contains(rec.Body.String(), `crmbridge_http_request_duration_seconds_count{method="GET",platform="none",route="GET /readyz",status_class="2xx"} 1`))
	// Output:
	// readyz: 200
	// true
}
