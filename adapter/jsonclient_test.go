package adapter_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// TestJSONClient: the body goes out as JSON with its headers, the query
// string is encoded, a 2xx answer is decoded, an error status becomes the
// adapter's error class, and no error text holds the query.
func TestJSONClient(t *testing.T) {
	var gotBody, gotType, gotAccept, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotType, gotAccept, gotQuery = string(b), r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.URL.RawQuery
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte(`{"id":"7"}`))
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/invalid":
			w.WriteHeader(http.StatusUnprocessableEntity)
			w.Write([]byte(`{"message":"Subject is too long"}`))
		case "/garbage":
			w.Write([]byte(`not json`))
		}
	}))
	defer srv.Close()
	c := adapter.JSONClient{Client: srv.Client(), BaseURL: srv.URL, Name: "mycrm"}
	ctx := t.Context()

	var out struct{ ID string }
	if err := c.Do(ctx, "POST", "/ok", url.Values{"phone": {"+16505551212"}}, map[string]string{"a": "b"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != "7" || gotBody != `{"a":"b"}` || gotType != "application/json" || gotAccept != "application/json" || gotQuery != "phone=%2B16505551212" {
		t.Errorf("out %+v, sent body %q, Content-Type %q, Accept %q, query %q", out, gotBody, gotType, gotAccept, gotQuery)
	}
	if err := c.Do(ctx, "GET", "/ok", nil, nil, nil); err != nil || gotType != "" || gotBody != "" {
		t.Errorf("GET without a body: err %v, Content-Type %q, body %q", err, gotType, gotBody)
	}

	err := c.Do(ctx, "GET", "/missing", url.Values{"phone": {"+16505551212"}}, nil, &out)
	if !errors.Is(err, adapter.ErrNotFound) || !strings.HasPrefix(err.Error(), "mycrm: GET /missing: HTTP 404") || strings.Contains(err.Error(), "1650") {
		t.Errorf("404: %v", err)
	}
	c.Error = func(res *http.Response, body []byte) error {
		var e struct{ Message string }
		_ = json.Unmarshal(body, &e)
		return adapter.ResponseError(res, e.Message)
	}
	err = c.Do(ctx, "GET", "/invalid", nil, nil, nil)
	if ue, ok := errors.AsType[*adapter.UserError](err); !ok || ue.Message != "Subject is too long" {
		t.Errorf("422 with the Error hook: %v", err)
	}
	c.Error = func(*http.Response, []byte) error { return nil }
	if err := c.Do(ctx, "GET", "/missing", nil, nil, nil); !errors.Is(err, adapter.ErrNotFound) {
		t.Errorf("an Error hook that returns nil: %v; want ResponseError's", err)
	}
	if err := c.Do(ctx, "GET", "/garbage", nil, nil, &out); err == nil || !strings.Contains(err.Error(), "decoding the answer") {
		t.Errorf("a 2xx answer that is not JSON: %v", err)
	}
	if err := c.Do(ctx, "GET", "/garbage", nil, nil, nil); err != nil {
		t.Errorf("a 2xx answer nobody reads: %v", err)
	}
	c.Decode = func(body []byte, out any) error { return fmt.Errorf("envelope says no (%d bytes)", len(body)) }
	if err := c.Do(ctx, "GET", "/ok", nil, nil, nil); err == nil || err.Error() != "mycrm: GET /ok: envelope says no (10 bytes)" {
		t.Errorf("the Decode hook, out nil: %v", err)
	}

	// A transport error names the path, not the URL with its query.
	srv.Close()
	err = adapter.JSONClient{Client: http.DefaultClient, BaseURL: srv.URL, Name: "mycrm"}.
		Do(ctx, "GET", "/ok", url.Values{"phone": {"+16505551212"}}, nil, nil)
	if err == nil || strings.Contains(err.Error(), "1650") || strings.Contains(err.Error(), srv.URL) {
		t.Errorf("transport error: %v", err)
	}
}

// TestJSONClientMaxBody: an answer ten times MaxBody is read only up to
// MaxBody, and is then refused as too long; one of exactly MaxBody bytes
// decodes.
func TestJSONClientMaxBody(t *testing.T) {
	const limit = 1 << 10
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		io.WriteString(w, `"`+strings.Repeat("a", size-2)+`"`)
	}))
	defer srv.Close()
	c := adapter.JSONClient{Client: srv.Client(), BaseURL: srv.URL, Name: "mycrm", MaxBody: limit}
	var s string
	if err := c.Do(t.Context(), "GET", "/", url.Values{"size": {strconv.Itoa(limit)}}, nil, &s); err != nil || len(s) != limit-2 {
		t.Fatalf("an answer of MaxBody bytes: %d bytes decoded, %v", len(s), err)
	}
	if err := c.Do(t.Context(), "GET", "/", url.Values{"size": {strconv.Itoa(10 * limit)}}, nil, &s); err == nil || !strings.Contains(err.Error(), "longer than 1024 bytes") {
		t.Fatalf("an answer of 10 × MaxBody: %v; want it refused as too long", err)
	}
}

// TestJSONClientPaths: a path that could leave BaseURL's host, or name
// another resource than its author meant, is refused before anything is
// sent; BaseURL's trailing slash and a path's own query are joined
// properly; and no error quotes a query, the path's own included.
func TestJSONClientPaths(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI())
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ctx := t.Context()
	phone := url.Values{"phone": {"+16505551212"}}

	c := adapter.JSONClient{Client: srv.Client(), BaseURL: srv.URL + "/", Name: "mycrm"}
	if err := c.Do(ctx, "GET", "/v1/contacts?kind=person", phone, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "GET", "/v1/contacts/"+url.PathEscape("a/b c"), nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"/v1/contacts?kind=person&phone=%2B16505551212", "/v1/contacts/a%2Fb%20c"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sent %q; want %q", got, want)
	}

	got = nil
	for _, path := range []string{
		"",
		"v1/contacts",        // BaseURL + path would name the host "127.0.0.1:NNNNv1"
		".evil.example/x",    // ... or another host altogether
		"@evil.example/x",    // ... or one with BaseURL's host as its user name
		"/v1/contacts/../me", // a dot segment names another resource
		"/v1/contacts/%2e%2e/me",
		"/v1/./contacts",
	} {
		err := c.Do(ctx, "GET", path, phone, nil, nil)
		if err == nil || !strings.HasPrefix(err.Error(), "mycrm: GET ") || strings.Contains(err.Error(), "1650") {
			t.Errorf("path %q: %v; want it refused", path, err)
		}
	}
	if len(got) != 0 {
		t.Errorf("refused paths reached the server: %q", got)
	}

	// A path that does not parse names neither its own query nor query.
	err := c.Do(ctx, "GET", "/v1/contacts/%zz?phone=+16505551212", phone, nil, nil)
	if err == nil || strings.Contains(err.Error(), "1650") || strings.Contains(err.Error(), srv.URL) {
		t.Errorf("a path that does not parse: %v", err)
	}
	// An error names the path without its own query.
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) })
	err = c.Do(ctx, "GET", "/v1/contacts?phone=%2B16505551212", nil, nil, nil)
	if !errors.Is(err, adapter.ErrNotFound) || err.Error() != "mycrm: GET /v1/contacts: HTTP 404: crm record not found" {
		t.Errorf("404 of a path with its own query: %v", err)
	}
}

// TestJSONClientAnswers: a 429's Retry-After reaches the caller as a
// *RateLimitError through the wrapping; a 204 decodes nothing, out or not;
// an answer longer than MaxBody says so.
func TestJSONClientAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/gone":
			w.WriteHeader(http.StatusNoContent)
		case "/big":
			io.WriteString(w, `["`+strings.Repeat("a", 10<<10)+`"]`)
		}
	}))
	defer srv.Close()
	c := adapter.JSONClient{Client: srv.Client(), BaseURL: srv.URL, Name: "mycrm", MaxBody: 1 << 10}
	ctx := t.Context()

	err := c.Do(ctx, "POST", "/busy", nil, map[string]int{"a": 1}, nil)
	if rl, ok := errors.AsType[*adapter.RateLimitError](err); !ok || rl.RetryAfter != 7*time.Second {
		t.Errorf("429 with Retry-After: 7: %v; want a *RateLimitError of 7s", err)
	}
	out := map[string]string{"kept": "yes"}
	if err := c.Do(ctx, "DELETE", "/gone", nil, nil, &out); err != nil || out["kept"] != "yes" {
		t.Errorf("204 with an out: %v, out %v; want nil and out untouched", err, out)
	}
	c.Decode = func([]byte, any) error { return errors.New("an envelope was expected") }
	if err := c.Do(ctx, "DELETE", "/gone", nil, nil, nil); err != nil {
		t.Errorf("204 with a Decode hook: %v; want nil", err)
	}
	c.Decode = nil
	var big []string
	err = c.Do(ctx, "GET", "/big", nil, nil, &big)
	if err == nil || err.Error() != "mycrm: GET /big: the answer is longer than 1024 bytes" {
		t.Errorf("an answer of 10 × MaxBody: %v", err)
	}
}

// TestJSONClientReusesConnections: every answer within MaxBody is read to
// its end and closed, whatever Do does with it (decoded, ignored, an error
// status, a 204), so one keep-alive connection carries all the calls.
func TestJSONClientReusesConnections(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, `{"id":"7","padding":"`+strings.Repeat("x", 8<<10)+`"}`)
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"`+strings.Repeat("x", 8<<10)+`"}`)
		case "/none":
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	var conns int
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns++ // ConnState runs on the server's accept loop, one at a time
		}
	}
	srv.Start()
	defer srv.Close()
	c := adapter.JSONClient{Client: srv.Client(), BaseURL: srv.URL, Name: "mycrm"}
	ctx := t.Context()
	var out struct{ ID string }
	for range 3 {
		if err := c.Do(ctx, "GET", "/ok", nil, nil, &out); err != nil {
			t.Fatal(err)
		}
		if err := c.Do(ctx, "GET", "/ok", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Do(ctx, "GET", "/missing", nil, nil, &out); !errors.Is(err, adapter.ErrNotFound) {
			t.Fatal(err)
		}
		if err := c.Do(ctx, "DELETE", "/none", nil, nil, &out); err != nil {
			t.Fatal(err)
		}
	}
	srv.Close() // waits for the connections, so conns is final
	if conns != 1 {
		t.Errorf("12 calls opened %d connections; want 1", conns)
	}
}
