package servertest_test

import (
	"fmt"
	"os"
	"slices"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/internal/servertest"
)

// env is the smallest servertest.Env: a test's failures printed, its
// temporary directories and cleanups kept until done runs.
type env struct{ cleanups []func() }

func (e *env) Helper()                           {}
func (e *env) Errorf(format string, args ...any) { fmt.Printf("error: "+format+"\n", args...) }
func (e *env) Cleanup(f func())                  { e.cleanups = append(e.cleanups, f) }

func (e *env) TempDir() string {
	dir, err := os.MkdirTemp("", "servertest-example-")
	if err != nil {
		panic(err)
	}
	e.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (e *env) done() {
	for _, f := range slices.Backward(e.cleanups) {
		f()
	}
}

// A test calls servertest.New(t, cfg); Start is the same for something
// that is not a *testing.T. The server runs testcrm on SQLite, and every
// answer is checked against the OpenAPI document.
func ExampleStart() {
	e := &env{}
	defer e.done()
	s, err := servertest.Start(e, servertest.Config{Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())}})
	if err != nil {
		fmt.Println(err)
		return
	}
	jwt := s.LoginAPIKey("testcrm", "key-1", "acme.testcrm.local")
	_, answer := s.FindContact(jwt, "phoneNumber=+16505551212")
	for _, c := range answer.Contact {
		fmt.Println(c.ID, c.Name)
	}
	// Output:
	// 1001 Alice Anderson
}
