package adaptertest

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// suiteTB is what the suite needs from a test: the part of *testing.T it uses,
// with Run taking a func(suiteTB) so that something other than *testing.T can
// drive it. [Run] adapts a *testing.T; [report] is a suiteTB that collects
// failures instead of failing a test, for testing the suite itself or for a
// tool that prints a conformance report.
//
// The suite never calls Fatal or FailNow: after a failure that makes later
// checks meaningless it reports why and returns. It calls Skipf for a check
// of a capability the adapter lacks, and returns right after, so an
// implementation may record the skip and return. It must be safe for
// concurrent use.
type suiteTB interface {
	// Helper marks the calling function as a test helper.
	Helper()
	// Errorf reports a failed check and lets the suite go on.
	Errorf(format string, args ...any)
	// Logf records information that helps read a failure.
	Logf(format string, args ...any)
	// Skipf marks the test as skipped, saying why.
	Skipf(format string, args ...any)
	// Run runs f as the subtest name and reports whether it passed.
	Run(name string, f func(suiteTB)) bool
	// TempDir returns a directory removed when the test and its subtests
	// are done.
	TempDir() string
	// Cleanup registers f to run when the test and its subtests are done,
	// last registered first.
	Cleanup(f func())
}

// testingT adapts a *testing.T to suiteTB.
type testingT struct{ *testing.T }

func (t testingT) Run(name string, f func(suiteTB)) bool {
	t.Helper()
	return t.T.Run(name, func(t *testing.T) {
		t.Helper()
		f(testingT{t})
	})
}

// failure is one check that failed, as a [report] recorded it.
type failure struct {
	// Test is the subtest the check ran in, slash-separated as go test
	// names it: "callLog/recordingLink".
	Test string
	// Message says what went wrong.
	Message string
}

// String returns "test: message", or the message alone for a failure of
// the whole run.
func (f failure) String() string {
	if f.Test == "" {
		return f.Message
	}
	return f.Test + ": " + f.Message
}

// report is a [suiteTB] that records failures and log lines instead of failing a
// test. Subtests share their parent's records. Temporary directories it
// hands out and functions given to Cleanup live until [report.Close]. A
// report is safe for concurrent use; the zero value is not usable, call
// [newReport].
type report struct {
	root *reportRoot
	name string
}

type reportRoot struct {
	mu       sync.Mutex
	failures []failure
	logs     []string
	cleanups []func()
	closed   bool
}

// newReport returns an empty report.
func newReport() *report { return &report{root: &reportRoot{}} }

// Helper does nothing: a report has no source lines to hide.
func (r *report) Helper() {}

// Errorf records a failure of the current subtest.
func (r *report) Errorf(format string, args ...any) {
	m := fmt.Sprintf(format, args...)
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	r.root.failures = append(r.root.failures, failure{Test: r.name, Message: m})
}

// Logf records a log line, prefixed with the subtest's name.
func (r *report) Logf(format string, args ...any) {
	m := fmt.Sprintf(format, args...)
	if r.name != "" {
		m = r.name + ": " + m
	}
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	r.root.logs = append(r.root.logs, m)
}

// Skipf records a log line "SKIP: ..." for the current subtest; the suite
// returns right after calling it.
func (r *report) Skipf(format string, args ...any) {
	r.Logf("SKIP: "+format, args...)
}

// Run runs f as a subtest, synchronously, and reports whether it recorded
// no failure. Spaces in name become underscores, as in go test.
func (r *report) Run(name string, f func(suiteTB)) bool {
	name = strings.ReplaceAll(name, " ", "_")
	if r.name != "" {
		name = r.name + "/" + name
	}
	child := &report{root: r.root, name: name}
	before := r.countFailures(name)
	f(child)
	return r.countFailures(name) == before
}

// countFailures counts the failures of test name and its subtests.
func (r *report) countFailures(name string) int {
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	n := 0
	for _, f := range r.root.failures {
		if f.Test == name || strings.HasPrefix(f.Test, name+"/") {
			n++
		}
	}
	return n
}

// TempDir creates a new directory, removed by Close. It panics when the
// system cannot create one, as there is no test to fail.
func (r *report) TempDir() string {
	dir, err := os.MkdirTemp("", "adaptertest-")
	if err != nil {
		panic(fmt.Sprintf("adaptertest: creating a temporary directory: %v", err))
	}
	r.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Cleanup registers f to run at Close.
func (r *report) Cleanup(f func()) {
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	r.root.cleanups = append(r.root.cleanups, f)
}

// Close runs the registered cleanups, last registered first: it stops the
// suite's server, closes its store and removes its files. Calling it again
// does nothing.
func (r *report) Close() {
	r.root.mu.Lock()
	if r.root.closed {
		r.root.mu.Unlock()
		return
	}
	r.root.closed = true
	fs := r.root.cleanups
	r.root.cleanups = nil
	r.root.mu.Unlock()
	for _, f := range slices.Backward(fs) {
		f()
	}
}

// Failures returns the recorded failures in the order they happened.
func (r *report) Failures() []failure {
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	return slices.Clone(r.root.failures)
}

// Failed reports whether any check failed.
func (r *report) Failed() bool {
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	return len(r.root.failures) > 0
}

// Logs returns the recorded log lines in order.
func (r *report) Logs() []string {
	r.root.mu.Lock()
	defer r.root.mu.Unlock()
	return slices.Clone(r.root.logs)
}

// String lists the failures, one "test: message" per line.
func (r *report) String() string {
	var b strings.Builder
	for _, f := range r.Failures() {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}
