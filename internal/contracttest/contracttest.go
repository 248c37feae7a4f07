package contracttest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// File is the contract's file name in the shared spec folder.
const File = "app-connect-openapi-1.7.42.json"

var (
	once   sync.Once
	router routers.Router
	err    error
)

// path is CRMBRIDGE_OPENAPI, or shared/contract/File beside the repository
// root (found from this source file, so it works from any package).
func path() string {
	if p := os.Getenv("CRMBRIDGE_OPENAPI"); p != "" {
		return p
	}
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..")
	return filepath.Join(root, "..", "shared", "contract", File)
}

// Router returns the contract's router, or nil when the document is not
// available outside CI.
func Router(t testing.TB) routers.Router {
	t.Helper()
	once.Do(func() {
		doc, lerr := openapi3.NewLoader().LoadFromFile(path())
		if lerr != nil {
			err = lerr
			return
		}
		doc.Servers = nil // match paths wherever the test server listens
		router, err = legacy.NewRouter(doc)
	})
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("OpenAPI contract not loadable in CI: %v", err)
		}
		return nil
	}
	return router
}

// Check validates one response (status, header, body) of the request
// method pathAndQuery against the contract. Undocumented statuses (500,
// 503) pass, as kin-openapi treats them by default.
func Check(t testing.TB, method, pathAndQuery string, status int, header http.Header, body []byte) {
	t.Helper()
	r := Router(t)
	if r == nil || method == http.MethodOptions {
		return
	}
	u, perr := url.Parse("http://contract.invalid" + pathAndQuery)
	if perr != nil {
		return // a deliberately malformed URL; nothing to match
	}
	req, _ := http.NewRequest(method, u.String(), nil)
	route, params, ferr := r.FindRoute(req)
	if ferr != nil {
		t.Errorf("contract: no route for %s %s: %v", method, u.Path, ferr)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{MultiError: true},
	}
	if verr := openapi3filter.ValidateResponse(context.Background(), in); verr != nil {
		t.Errorf("contract: %s %s -> %d does not validate: %v\nbody: %s", method, u.Path, status, verr, body)
	}
}
