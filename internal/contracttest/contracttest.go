package contracttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
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

	"github.com/crmbridge/crmbridge/internal/apidoc"
)

// File is the reference contract's file name in the shared spec folder.
const File = "app-connect-openapi-1.7.42.json"

// OwnOnly are the paths crmbridge serves that the reference contract does
// not describe: operational routes of our own. Responses on them are checked
// against our document only.
var OwnOnly = map[string]bool{"/readyz": true, "/openapi.json": true}

type loaded struct {
	once   sync.Once
	router routers.Router
	err    error
}

var own, ref loaded

// load reads a document once; validate checks it is well-formed OpenAPI
// (ours must be; the reference's examples are not ours to police).
func load(l *loaded, validate bool, read func() (*openapi3.T, error)) (routers.Router, error) {
	l.once.Do(func() {
		doc, err := read()
		if err != nil {
			l.err = err
			return
		}
		if err := doc.Validate(context.Background()); validate && err != nil {
			l.err = fmt.Errorf("document is not valid OpenAPI: %w", err)
			return
		}
		doc.Servers = nil // match paths wherever the test server listens
		l.router, l.err = legacy.NewRouter(doc)
	})
	return l.router, l.err
}

// Reporter is what a check needs from a test: [testing.TB] has it, and so
// has a harness that collects failures instead of failing a test.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// Own returns the router of crmbridge's own document (internal/apidoc). It
// is always available: the document is compiled into the test binary.
func Own(t testing.TB) routers.Router {
	t.Helper()
	r, err := ownRouter()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ownRouter() (routers.Router, error) {
	r, err := load(&own, true, func() (*openapi3.T, error) { return openapi3.NewLoader().LoadFromData(apidoc.JSON) })
	if err != nil {
		return nil, fmt.Errorf("crmbridge's OpenAPI document: %w", err)
	}
	return r, nil
}

// referencePath is CRMBRIDGE_OPENAPI, or shared/contract/File beside the
// repository root (found from this source file, so it works from any
// package). explicit reports whether the environment named it.
func referencePath() (path string, explicit bool) {
	if p := os.Getenv("CRMBRIDGE_OPENAPI"); p != "" {
		return p, true
	}
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..")
	return filepath.Join(root, "..", "shared", "contract", File), false
}

// Reference returns the router of the reference contract, or nil when it is
// not there: CRMBRIDGE_OPENAPI unset and no shared/contract beside the
// repository (a plain clone). A file named by CRMBRIDGE_OPENAPI that cannot
// be loaded fails the test.
func Reference(t testing.TB) routers.Router {
	t.Helper()
	r, err := referenceRouter()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func referenceRouter() (routers.Router, error) {
	path, explicit := referencePath()
	if !explicit {
		if _, err := os.Stat(path); err != nil {
			return nil, nil
		}
	}
	r, err := load(&ref, false, func() (*openapi3.T, error) { return openapi3.NewLoader().LoadFromFile(path) })
	if err != nil {
		return nil, fmt.Errorf("reference OpenAPI contract %s not loadable: %w", path, err)
	}
	return r, nil
}

// Check validates one response (status, header, body) of the request
// method pathAndQuery against crmbridge's own document and, when it is
// present, against the reference contract. A 404 on a path no document
// describes is the protocol's answer to an unknown route and passes;
// any other answer on an undocumented route fails. Preflight (OPTIONS)
// answers are not checked. A document that cannot be loaded is reported as
// a failure of t.
func Check(t Reporter, method, pathAndQuery string, status int, header http.Header, body []byte) {
	t.Helper()
	if method == http.MethodOptions {
		return
	}
	u, perr := url.Parse("http://contract.invalid" + pathAndQuery)
	if perr != nil {
		return // a deliberately malformed URL; nothing to match
	}
	key := answerKey(method, u.Path, status, header.Get("Content-Type"), body)
	if passed.has(key) {
		return // these very bytes validated before
	}
	w := &watch{Reporter: t}
	checkBoth(w, method, u, status, header, body)
	if !w.failed {
		passed.add(key)
	}
}

// checkBoth is Check without the memory of answers that passed.
func checkBoth(t Reporter, method string, u *url.URL, status int, header http.Header, body []byte) {
	t.Helper()
	// Our document lists every status we answer; the reference leaves
	// out some we answer deliberately (401, 503), which pass there.
	own, err := ownRouter()
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if !check(t, "crmbridge's document", own, true, method, u, status, header, body) {
		return
	}
	ref, err := referenceRouter()
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if ref != nil && !OwnOnly[u.Path] {
		check(t, "reference contract", ref, false, method, u, status, header, body)
	}
}

// watch notes whether a check reported a failure.
type watch struct {
	Reporter
	failed bool
}

func (w *watch) Errorf(format string, args ...any) {
	w.Reporter.Helper()
	w.failed = true
	w.Reporter.Errorf(format, args...)
}

// maxPassed bounds the memory of answers that passed: past it, answers are
// validated every time.
const maxPassed = 1 << 14

// passed remembers the answers (method, path, status, content type, body)
// that validated against every document: the same bytes on the same
// route validate the same way, and suites send many identical answers
// (concurrent lookups, repeated polls). Failures are never remembered.
var passed = passedSet{m: map[[sha256.Size]byte]struct{}{}}

type passedSet struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]struct{}
}

func (p *passedSet) has(k [sha256.Size]byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.m[k]
	return ok
}

func (p *passedSet) add(k [sha256.Size]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) < maxPassed {
		p.m[k] = struct{}{}
	}
}

func answerKey(method, path string, status int, contentType string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00", method, path, status, contentType)
	h.Write(body)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// check validates against one document; it reports false when the route is
// not in it (an unknown route answered 404).
func check(t Reporter, name string, r routers.Router, exactStatus bool, method string, u *url.URL, status int, header http.Header, body []byte) bool {
	t.Helper()
	req, _ := http.NewRequest(method, u.String(), nil)
	route, params, ferr := r.FindRoute(req)
	if ferr != nil {
		if status != http.StatusNotFound {
			t.Errorf("%s: no route for %s %s (answered %d): %v", name, method, u.Path, status, ferr)
		}
		return false
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: exactStatus},
	}
	if verr := openapi3filter.ValidateResponse(context.Background(), in); verr != nil {
		t.Errorf("%s: %s %s -> %d does not validate: %v\nbody: %s", name, method, u.Path, status, verr, body)
	}
	return true
}
