package clientsim_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/crmbridge/crmbridge/internal/clientsim"
)

// Run the client's scenarios against a server and look at the login.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "clientsim-example")
	defer os.RemoveAll(dir)
	h, _, closeStore, err := exampleHandler(filepath.Join(dir, "example.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer closeStore()
	srv := httptest.NewServer(h)
	defer srv.Close()

	rep := clientsim.Run(context.Background(), clientsim.Options{Server: srv.URL, APIKey: "my-key", Platform: "testcrm"})
	for _, st := range rep.Scenarios[0].Steps {
		fmt.Println(st.OK, st.Name)
	}
	// Output:
	// true GET /isAlive
	// true GET /implementedInterfaces
	// true POST /apiKeyLogin
}
