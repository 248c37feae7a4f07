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
)

// DefaultMaxBody is how many bytes of a CRM's answer [JSONClient] reads
// when its MaxBody is 0: 4 MiB.
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
	// (without a trailing slash).
	BaseURL string
	// Name starts every error, e.g. "mycrm": "mycrm: GET /contacts: HTTP
	// 404: crm record not found".
	Name string
	// MaxBody bounds how many bytes of an answer are read, error answers
	// included; DefaultMaxBody when 0. A longer answer is cut there and
	// then fails to decode.
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
	// and the path. When nil, json.Unmarshal, and nothing when out is nil.
	Decode func(body []byte, out any) error
}

// Do sends method BaseURL+path, with query (when not empty) as its query
// string and in (when not nil) JSON-encoded as its body, and decodes a 2xx
// answer into out (when not nil). The request accepts application/json and,
// with a body, says so; the body can be replayed, so the client may retry
// it after refreshing a token.
//
// A non-2xx answer becomes the error of the Error hook (by default
// [ResponseError]: [ErrUnauthorized], [ErrNotFound], [*RateLimitError],
// [*UserError] or a plain error), wrapped as "Name: METHOD path: ...".
// Every error names the method and the path, never the query or the
// body (they may hold a phone number) nor a credential: a transport error's
// URL is dropped.
func (c JSONClient) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s %s: "+format, append([]any{c.Name, method, path}, args...)...)
	}
	target := c.BaseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
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
		return fail("%w", err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // its text repeats the URL, query and all
		}
		return fail("%w", err)
	}
	defer res.Body.Close()
	limit := c.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, limit))
	if err != nil {
		return fail("reading the answer: %w", err)
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
	if c.Decode != nil {
		if err := c.Decode(raw, out); err != nil {
			return fail("%w", err)
		}
		return nil
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fail("decoding the answer: %w", err)
	}
	return nil
}
