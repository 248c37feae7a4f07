package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSimExitStatus: the command prints one JSON report with --json, a
// closing "N passed, N failed" line without, and exits 1 when a step fails.
func TestSimExitStatus(t *testing.T) {
	t.Parallel()
	// A server that is alive but refuses every login.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/isAlive" {
			w.Write([]byte("OK"))
			return
		}
		http.Error(w, "Unknown platform", http.StatusBadRequest)
	}))
	defer srv.Close()

	var out, errOut bytes.Buffer
	code := dispatch(context.Background(), []string{"sim", "--server", srv.URL, "--api-key", "k", "--platform", "x", "--json"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut.String())
	}
	var rep struct {
		Passed, Failed int
		Scenarios      []struct{ Name string }
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out.String())
	}
	if rep.Passed != 1 || rep.Failed == 0 || len(rep.Scenarios) == 0 {
		t.Errorf("report %+v, want isAlive passed and the login failed", rep)
	}

	out.Reset()
	code = dispatch(context.Background(), []string{"sim", "--server", srv.URL, "--jwt", "not-a-jwt", "--keep-session"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, " failed") || !strings.Contains(last, " passed, ") {
		t.Errorf("last line %q, want \"N passed, N failed\"", last)
	}
	if strings.Contains(out.String(), "== logout") {
		t.Error("--keep-session still logged out")
	}
}

func TestSimUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"sim"},
		{"sim", "--server", "http://x"},
		{"sim", "--server", "ftp://x", "--jwt", "j"},
		{"sim", "--server", "http://x", "--api-key", "k"},
		{"nope"},
		{},
	} {
		var out, errOut bytes.Buffer
		if code := dispatch(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage)", args, code)
		}
		if errOut.Len() == 0 {
			t.Errorf("%q: no message on stderr", args)
		}
	}
}
