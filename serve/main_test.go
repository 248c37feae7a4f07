package serve

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this binary as testProgram's Main: the child
// sees SERVE_TEST_MAIN=1 and its arguments are the server's.
func TestMain(m *testing.M) {
	if os.Getenv("SERVE_TEST_MAIN") == "1" {
		testProgram().Main() // exits
	}
	os.Exit(m.Run())
}

// mainProcess starts this test binary as the server's Main with args and
// the variables env (and nothing else of the environment).
func mainProcess(t *testing.T, env map[string]string, args ...string) (*exec.Cmd, *bytes.Buffer, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = []string{"SERVE_TEST_MAIN=1"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = t.TempDir()
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, stderr
}

// exitCode waits for cmd and returns its exit status.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// Main's exit status: 0 for -h, 2 for a command-line mistake, 1 for a bad
// value, each with its message on the right stream.
func TestMainExitStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		env       map[string]string
		args      []string
		code      int
		out, errs string
	}{
		{"help", nil, []string{"-h"}, 0, "Usage: server [flags]", ""},
		{"unknown flag", nil, []string{"-bogus"}, 2, "", "server: invalid command line: flag provided but not defined: -bogus"},
		{"extra argument", nil, []string{"serve"}, 2, "", "unexpected arguments"},
		{"bad value", map[string]string{"LOG_LEVEL": "loud"}, nil, 1, "", `server: LOG_LEVEL: "loud" is not one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, stdout, stderr := mainProcess(t, tc.env, tc.args...)
			errs, _ := io.ReadAll(stderr)
			if code := exitCode(t, cmd); code != tc.code {
				t.Errorf("exit status %d, want %d; stderr %s", code, tc.code, errs)
			}
			if !strings.Contains(stdout.String(), tc.out) || (tc.out == "") != (stdout.Len() == 0) {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.out)
			}
			if !strings.Contains(string(errs), tc.errs) || (tc.errs == "") != (len(errs) == 0) {
				t.Errorf("stderr %q, want %q", errs, tc.errs)
			}
		})
	}
}

// SIGTERM shuts Main's server down gracefully: exit status 0, the store
// closed, the buffered log written out to the end.
func TestMainShutsDownOnSIGTERM(t *testing.T) {
	t.Parallel()
	cmd, _, stderr := mainProcess(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "m.db")}, "-port", "0")
	addr := regexp.MustCompile(`addr=http://(\S+)`)
	lines := bufio.NewScanner(stderr)
	var base string
	var log strings.Builder
	for base == "" && lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if m := addr.FindStringSubmatch(lines.Text()); m != nil {
			base = "http://" + m[1]
		}
	}
	if base == "" {
		cmd.Process.Kill()
		t.Fatalf("no listening address in the log:\n%s", log.String())
	}
	res, err := http.Get(base + "/isAlive")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for lines.Scan() {
			log.WriteString(lines.Text() + "\n")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the server did not stop after SIGTERM")
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0\n%s", code, log.String())
	}
	if !strings.Contains(log.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", log.String())
	}
}
