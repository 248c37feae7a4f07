package adapter_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

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
// MaxBody, and then fails to decode; one within it decodes.
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
	if err := c.Do(t.Context(), "GET", "/", url.Values{"size": {strconv.Itoa(10 * limit)}}, nil, &s); err == nil || !strings.Contains(err.Error(), "decoding the answer") {
		t.Fatalf("an answer of 10 × MaxBody: %v; want a decoding error", err)
	}
}
