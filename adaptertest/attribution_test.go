package adaptertest

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// attributionChild, set in the environment, makes TestAttributionChild run
// a failing suite; TestFailuresNameTheCaller runs it in a child process.
const attributionChild = "ADAPTERTEST_ATTRIBUTION_CHILD"

// TestAttributionChild is the child of TestFailuresNameTheCaller: a suite
// against an adapter with the five required methods only, whose
// CreateCallLog returns no id. It does nothing in a normal run.
func TestAttributionChild(t *testing.T) {
	if os.Getenv(attributionChild) != "1" {
		t.Skip("runs only as the child of TestFailuresNameTheCaller")
	}
	crm := newMemCRM(flaws{emptyCallLogID: true})
	Run(t, crm.config(memRequired{memBasic{crm}})) // the line every report names
}

// TestFailuresNameTheCaller checks the file:line go test prints before
// each failure and skip of the suite: the adapter author's call of Run,
// never a line inside this package, which would mean nothing to them (and
// moves with every change here; the guide quotes such a line).
func TestFailuresNameTheCaller(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAttributionChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), attributionChild+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child suite passed; want the failure of callLog/create:\n%s", out)
	}
	src, err := os.ReadFile("attribution_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for i, line := range strings.Split(string(src), "\n") {
		if strings.HasSuffix(line, "// the line every report names") {
			want = fmt.Sprintf("attribution_test.go:%d", i+1)
		}
	}
	reported := regexp.MustCompile(`^\s+([A-Za-z0-9_]+\.go:\d+): (.*)$`)
	var lines int
	for _, line := range strings.Split(string(out), "\n") {
		m := reported.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		lines++
		if m[1] != want {
			t.Errorf("%q is reported at %s; want %s, the line that calls Run", m[2], m[1], want)
		}
	}
	for _, want := range []string{
		"CreateCallLog returned an empty log id",
		"the adapter is not an adapter.ContactCreator (optional): skipped",
		"the adapter is not an adapter.MessageLogger (optional): skipped",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the child's output lacks %q:\n%s", want, out)
		}
	}
	if lines == 0 {
		t.Errorf("no reported line in the child's output:\n%s", out)
	}
}
