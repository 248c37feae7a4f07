package serve

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// rawRequest sends one request over a fresh connection and returns the
// status code (0 when the server closed the connection without one).
func rawRequest(t *testing.T, base, req string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	go func() { fmt.Fprint(conn, req) }() // the server may answer before reading it all
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// TestHeaderLimitTenTimes: request headers (and the request line with its
// query) of ten times the 64 KiB limit are refused by the server before
// the handler runs, and the next ordinary request is served.
func TestHeaderLimitTenTimes(t *testing.T) {
	t.Parallel()
	base, stop, _ := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "c.db")})
	defer stop()
	if got := debug.SetMemoryLimit(-1); got != memoryLimit {
		t.Errorf("soft memory limit %d, want %d", got, memoryLimit)
	}
	huge := strings.Repeat("a", 10*maxHeaderBytes)
	for name, req := range map[string]string{
		"header": "GET /isAlive HTTP/1.1\r\nHost: x\r\nX-Big: " + huge + "\r\n\r\n",
		"query":  "GET /contact?phoneNumber=+1" + strings.Repeat("6", 10*maxHeaderBytes) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		if code := rawRequest(t, base, req); code != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s of %d KiB: status %d, want 431", name, 10*maxHeaderBytes>>10, code)
		}
		if code, body := get(t, base+"/isAlive"); code != 200 || body != "OK" {
			t.Errorf("after the %s: %d %q", name, code, body)
		}
	}
}

// TestServerLimitsSet: every limit of the listening server is set.
func TestServerLimitsSet(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if srv.MaxHeaderBytes != 64<<10 || srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 ||
		srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("limits: %+v", srv)
	}
}
