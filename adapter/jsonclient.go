package adapter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultMaxBody is how many bytes of a CRM's answer [JSONClient] reads
// when its MaxBody is 0 or negative: 4 MiB.
const DefaultMaxBody = 4 << 20

// JSONClient sends one user's requests to a CRM's JSON API: it encodes the
// request body, sends it with the user's credentialed client, reads a
// bounded answer, turns an error status into the errors of this package and
// decodes the answer. Most adapters need nothing else to talk to their CRM;
// the hooks fit a CRM whose error bodies or envelopes have a shape of their
// own. The zero hooks do what most JSON APIs need. A JSONClient is a value:
// build one per call from the request's [Session], e.g.
//
//	c := adapter.JSONClient{Client: req.Client, BaseURL: "https://api.mycrm.example", Name: "mycrm"}
//
// It is safe for concurrent use when its hooks are.
type JSONClient struct {
	// Client sends the requests: the Session's Client (or the
	// UserInfoRequest's at login), which adds the user's credentials and
	// refreshes an OAuth token once on a 401. Required.
	Client *http.Client
	// BaseURL is put before every path, e.g. "https://api.mycrm.example"
	// or "https://mycrm.example/api"; a trailing slash is dropped.
	BaseURL string
	// Name starts every error, e.g. "mycrm": "mycrm: GET /contacts: HTTP
	// 404: crm record not found".
	Name string
	// MaxBody bounds how many bytes of an answer are read, error answers
	// included; DefaultMaxBody when 0 or negative. A longer 2xx answer is
	// an error (see Do); a longer error answer reaches the Error hook cut
	// at MaxBody.
	MaxBody int64
	// Error turns a non-2xx answer into an error, given the answer's
	// (bounded) body, for example to show the CRM's own message:
	//
	//	func(res *http.Response, body []byte) error {
	//		var e struct{ Message string }
	//		_ = json.Unmarshal(body, &e)
	//		return adapter.ResponseError(res, e.Message)
	//	}
	//
	// Do wraps what it returns with Name, the method and the path. When
	// nil, or when it returns nil, ResponseError(res, "").
	Error func(res *http.Response, body []byte) error
	// Decode decodes a 2xx answer's body into the out of Do (which may be
	// nil), for a CRM that wraps its data in an envelope or reports
	// failures in a 2xx answer; Do wraps its error with Name, the method
	// and the path. It is not called for a 204 No Content. When nil,
	// json.Unmarshal, and nothing when out is nil.
	Decode func(body []byte, out any) error
}

// Do sends method BaseURL+path, with query (when not empty) as its query
// string and in (when not nil) JSON-encoded as its body, and decodes a 2xx
// answer into out (when not nil). The request accepts application/json and,
// with a body, says so; the body can be replayed, so the client may retry
// it after refreshing a token.
//
// path starts with "/" and is sent as it is: escape every piece of user
// input put in it with [url.PathEscape] (a CRM id "7/../../admin" would
// otherwise name another resource), and pass phone numbers and search
// terms in query, which no error or log repeats. Do refuses, before
// sending anything, a path that does not start with "/" (BaseURL+path
// could then name another host, which would receive the user's
// credentials) or that has a "." or ".." segment, escaped or not. A path
// may carry its own query; query is then appended to it. A trailing slash
// of BaseURL is dropped.
//
// A non-2xx answer becomes the error of the Error hook (by default
// [ResponseError]: [ErrUnauthorized], [ErrNotFound], [*RateLimitError],
// [*UserError] or a plain error), wrapped as "Name: METHOD path: ...". A
// 204 No Content decodes nothing (out is left as it is). A 2xx answer
// longer than MaxBody is an error when there is something to decode it
// into (out or the Decode hook), and is ignored otherwise.
//
// Every error names the method and the path without its query, never a
// query or the body (they may hold a phone number) nor a credential: the
// URL of a transport or parse error is dropped.
func (c JSONClient) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	route, _, hasQuery := strings.Cut(path, "?")
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s %s: "+format, append([]any{c.Name, method, route}, args...)...)
	}
	if err := checkPath(route); err != nil {
		return fail("%w", err)
	}
	target := strings.TrimSuffix(c.BaseURL, "/") + path
	if len(query) > 0 {
		sep := "?"
		if hasQuery {
			sep = "&"
		}
		target += sep + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fail("encoding the request: %w", err)
		}
		body = bytes.NewReader(b) // replayable after a token refresh
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fail("%w", withoutURL(err))
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Client.Do(req)
	if err != nil {
		return fail("%w", withoutURL(err))
	}
	defer res.Body.Close()
	limit := c.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	// One byte more than the limit tells a long answer from one of exactly
	// limit bytes.
	raw, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return fail("reading the answer: %w", err)
	}
	tooLong := int64(len(raw)) > limit
	if tooLong {
		raw = raw[:limit]
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		if c.Error != nil {
			err = c.Error(res, raw)
		}
		if err == nil {
			err = ResponseError(res, "")
		}
		return fail("%w", err)
	}
	if res.StatusCode == http.StatusNoContent || (out == nil && c.Decode == nil) {
		return nil
	}
	if tooLong {
		return fail("the answer is longer than %d bytes", limit)
	}
	if c.Decode != nil {
		if err := c.Decode(raw, out); err != nil {
			return fail("%w", err)
		}
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fail("decoding the answer: %w", err)
	}
	return nil
}

// checkPath refuses a path that BaseURL+path could turn into another host
// or another resource than the one written.
func checkPath(path string) error {
	if !strings.HasPrefix(path, "/") {
		return errors.New(`the path does not start with "/"`)
	}
	for seg := range strings.SplitSeq(path, "/") {
		if u, err := url.PathUnescape(seg); seg == "." || seg == ".." || (err == nil && (u == "." || u == "..")) {
			return errors.New(`the path has a "." or ".." segment`)
		}
	}
	return nil
}

// withoutURL drops the URL a *url.Error quotes: its query may hold a phone
// number.
func withoutURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
