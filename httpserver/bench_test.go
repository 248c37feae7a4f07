package httpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// benchServer is the real handler over SQLite and testcrm, called in
// process (no network), with a logged-in user.
func benchServer(b *testing.B, opts ...httpserver.Option) (http.Handler, string) {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	srv, err := httpserver.New(httpserver.Config{
		Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())},
		Store:    st, JWTIssuer: newJWTIssuer(b), SealingKeys: newSealingKeys(b),
	}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", "/apiKeyLogin", strings.NewReader(`{"platform":"testcrm","apiKey":"bench"}`)))
	var login struct{ JWTToken string }
	if err := json.Unmarshal(rec.Body.Bytes(), &login); err != nil || login.JWTToken == "" {
		b.Fatalf("login: %s", rec.Body)
	}
	return srv, login.JWTToken
}

// BenchmarkGetContact is the hot path of every incoming call: JWT, user row,
// key unsealing, phone parsing with three formats, adapter lookup, JSON.
func BenchmarkGetContact(b *testing.B) {
	// Repeated lookups of one number are answered by the contact-match
	// cache (the default); "uncached" asks the adapter every time.
	b.Run("quiet", func(b *testing.B) { benchGetContact(b) })
	b.Run("uncached", func(b *testing.B) { benchGetContact(b, httpserver.WithContactCacheTTL(0)) })
	// With the request log line a server writes in production.
	b.Run("logged", func(b *testing.B) {
		benchGetContact(b, httpserver.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	})
	// With metrics and tracing on (spans made and ended, exported nowhere):
	// what operations cost per request.
	b.Run("metrics+tracing", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider()
		b.Cleanup(func() { tp.Shutdown(context.Background()) })
		benchGetContact(b, httpserver.WithMetrics(httpserver.NewMetrics()), httpserver.WithTracerProvider(tp))
	})
	// All of it, as bench/load.sh's "ops on" server runs: metrics, tracing
	// without an exporter, and the request line (serve's text handler).
	b.Run("ops-on+logged", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider()
		b.Cleanup(func() { tp.Shutdown(context.Background()) })
		benchGetContact(b, httpserver.WithMetrics(httpserver.NewMetrics()), httpserver.WithTracerProvider(tp),
			httpserver.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	})
}

func benchGetContact(b *testing.B, opts ...httpserver.Option) {
	srv, jwt := benchServer(b, opts...)
	target := "/contact?jwtToken=" + jwt + "&phoneNumber=+16505551212&overridingFormat=(***)%20***-****,***-***-****,%2B1**********"
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"id":"1001"`)) {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkPostCallLog logs a new call each iteration: reserve, CRM create,
// confirm.
func BenchmarkPostCallLog(b *testing.B) {
	srv, jwt := benchServer(b)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		body, _ := json.Marshal(callLogBody(fmt.Sprint("bench-", i), "1001"))
		req := httptest.NewRequest("POST", "/callLog", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+jwt)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"successful":true`)) {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
