package serve

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// Requests are counted at /metrics on the main address by default, and
// /readyz answers.
func TestServerServesMetricsOnTheMainAddress(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "c.db")})
	jwt := walkThrough(t, base)
	if again := post(t, base+"/callLog?jwtToken="+jwt, `{"logInfo":{"sessionId":"demo-1"},"contactId":"1001"}`); again["successful"] != false {
		t.Fatalf("second callLog: %v", again)
	}
	if code, body := get(t, base+"/readyz"); code != 200 || body != "OK" {
		t.Fatalf("readyz: %d %q", code, body)
	}
	code, body := scrape(t, base+"/metrics")
	// One call log was posted twice; the lookups all succeeded.
	if code != 200 || !strings.Contains(body, `crmbridge_dedupe_total{kind="call_log",outcome="duplicate"} 1`) ||
		!strings.Contains(body, `crmbridge_http_request_duration_seconds_count{method="GET",platform="testcrm",route="GET /contact",status_class="2xx"} `) ||
		strings.Contains(body, `route="GET /contact",status_class="4xx"`) {
		t.Fatalf("metrics: %d\n%s", code, body)
	}
}

// With METRICS_ADDR the metrics move to their own listener; "off" turns
// them off, and /metrics is then an unknown route of the main address.
func TestServerMetricsAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base, _, _ := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "c.db"), "METRICS_ADDR": addr})
	if code, body := scrape(t, "http://"+addr+"/metrics"); code != 200 || !strings.Contains(body, "crmbridge_cache_requests_total") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("own address: %d %.200s", code, body)
	}
	if code, _ := scrape(t, base+"/metrics"); code == 200 {
		t.Errorf("metrics also on the main address")
	}

	base, _, _ = start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "d.db")}, "-metrics-addr", "off")
	if code, _ := scrape(t, base+"/metrics"); code == 200 {
		t.Errorf("metrics served with -metrics-addr off")
	}
}

// Tracing follows the standard variables: off unless asked for, "none"
// makes spans without exporting them, unsupported settings fail at start.
func TestSetupTracingFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		env     map[string]string
		on      bool
		wantErr string
	}{
		{"nothing set", nil, false, ""},
		{"sdk disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false, ""},
		{"no exporter", map[string]string{"OTEL_TRACES_EXPORTER": "none"}, true, ""},
		{"otlp endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true, ""},
		{"grpc", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, false, "http/protobuf"},
		{"unknown exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, "supported are otlp and none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp, _, err := setupTracing(context.Background(), func(k string) string { return c.env[k] })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tp != nil) != c.on {
				t.Fatalf("tracer provider %v, want on=%v", tp, c.on)
			}
			if tp != nil {
				tp.Shutdown(context.Background())
			}
		})
	}
}

// scrape fetches a metrics page: an operational route that no API document
// describes, so the answer is not checked against the contract.
func scrape(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}
