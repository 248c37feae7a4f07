package credential

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/crmbridge/crmbridge/auth"
)

// Credentials put a credential on an adapter's outgoing requests.
type Credentials interface {
	// Apply sets the credential header on r, a clone the transport owns.
	Apply(ctx context.Context, r *http.Request) error
	// Renew is called after the CRM answered 401; it reports whether new
	// credentials are available, so that a retry can succeed.
	Renew(ctx context.Context) (bool, error)
}

// Credentials returns the OAuth credentials of user key:
// "Authorization: Bearer <access token>" from r.Token. Its Renew calls
// r.Renew with the access token last applied; NewTransport instead passes
// the token of the very request that was refused.
func (r *Refresher) Credentials(key string) Credentials {
	return &bearerCredentials{r: r, key: key}
}

type bearerCredentials struct {
	r   *Refresher
	key string

	mu   sync.Mutex
	last string
}

// String names the user key; the access token last applied stays hidden.
func (c *bearerCredentials) String() string {
	return "credential.Credentials{user: " + c.key + ", token: redacted}"
}

// Format prints String for every verb, so no verb reaches the token.
func (c *bearerCredentials) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

func (c *bearerCredentials) Apply(ctx context.Context, req *http.Request) error {
	t, err := c.r.Token(ctx, c.key)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.last = t.AccessToken
	c.mu.Unlock()
	req.Header.Set("Authorization", "Bearer "+t.AccessToken)
	return nil
}

func (c *bearerCredentials) Renew(ctx context.Context) (bool, error) {
	c.mu.Lock()
	rejected := c.last
	c.mu.Unlock()
	return c.renew(ctx, rejected)
}

// renewRejected renews after req, as sent, was refused: with concurrent
// requests the last applied token may not be the one refused.
func (c *bearerCredentials) renewRejected(ctx context.Context, req *http.Request) (bool, error) {
	rejected, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return c.Renew(ctx)
	}
	return c.renew(ctx, rejected)
}

func (c *bearerCredentials) renew(ctx context.Context, rejected string) (bool, error) {
	t, err := c.r.Renew(ctx, c.key, rejected)
	if err != nil {
		return false, err
	}
	return t.AccessToken != rejected, nil
}

// rejectedRenewer is implemented by credentials that can renew knowing
// exactly which request was refused.
type rejectedRenewer interface {
	renewRejected(ctx context.Context, req *http.Request) (bool, error)
}

// APIKey returns credentials applying an API key with scheme,
// for example auth.HeaderScheme("x-api-token") or auth.BasicAuthScheme; a nil scheme
// is auth.BearerScheme. An API key cannot be renewed: Renew is always
// (false, nil), so a 401 goes back to the adapter.
func APIKey(key string, scheme func(*http.Request, string)) Credentials {
	if scheme == nil {
		scheme = auth.BearerScheme
	}
	return apiKeyCredentials{key: key, scheme: scheme}
}

type apiKeyCredentials struct {
	key    string
	scheme func(*http.Request, string)
}

func (c apiKeyCredentials) Apply(_ context.Context, r *http.Request) error {
	c.scheme(r, c.key)
	return nil
}

func (apiKeyCredentials) Renew(context.Context) (bool, error) { return false, nil }

// String hides the key.
func (apiKeyCredentials) String() string { return "credential.APIKey{key: redacted}" }

// GoString hides the key.
func (c apiKeyCredentials) GoString() string { return c.String() }

// Format prints String for every verb, so %d or %t cannot reach the key.
func (c apiKeyCredentials) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// maxDrain bounds how much of a refused response is read so that its
// connection can be reused.
const maxDrain = 64 << 10

// NewTransport returns a RoundTripper that applies c to a clone of each
// request and sends it with base (http.DefaultTransport when nil).
//
// A request an http.Client makes to follow a redirect gets the credentials
// only while every hop stays on the first request's host (or a subdomain of
// it) and port, and never goes from https down to http; otherwise it is
// sent as it is and its answer returned untouched. net/http drops the
// Authorization header on such redirects, and a transport that applies
// credentials on every hop would undo that.
//
// On a 401 it renews c once and, when Renew reports new credentials and the
// request body can be sent again (no body, http.NoBody, or GetBody set),
// retries once; a second 401 is returned as it is. When Renew fails with ErrRevoked
// the 401 is returned; any other Renew error is returned as the error.
func NewTransport(base http.RoundTripper, c Credentials) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, c: c}
}

type transport struct {
	base http.RoundTripper
	c    Credentials
}

// String names the transport without its credentials: fmt prints a
// struct's unexported fields without calling their own String or Format,
// so the credentials' redaction alone would not keep a printed transport
// (%v of an http.Client's Transport, say) from showing the key.
func (t *transport) String() string { return "credential.Transport{credentials: redacted}" }

// GoString hides the credentials too.
func (t *transport) GoString() string { return t.String() }

// Format prints String for every verb, so %x or %d cannot reach the key.
func (t *transport) Format(f fmt.State, _ rune) { io.WriteString(f, t.String()) }

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !sameOriginChain(req) {
		// Not the CRM the adapter addressed: no credentials, and a 401 from
		// there says nothing about the user's token.
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	first := req.Clone(ctx)
	if err := t.c.Apply(ctx, first); err != nil {
		closeBody(req)
		return nil, fmt.Errorf("credential: apply credentials: %w", err)
	}
	resp, err := t.base.RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !replayable(req) {
		return resp, err
	}

	var renewed bool
	if rr, ok := t.c.(rejectedRenewer); ok {
		renewed, err = rr.renewRejected(ctx, first)
	} else {
		renewed, err = t.c.Renew(ctx)
	}
	switch {
	case errors.Is(err, ErrRevoked):
		return resp, nil
	case err != nil:
		drain(resp)
		return nil, fmt.Errorf("credential: renew credentials after 401: %w", err)
	case !renewed:
		return resp, nil
	}

	retry := req.Clone(ctx)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return resp, nil // cannot replay after all: the 401 stands
		}
		retry.Body = body
	}
	if err := t.c.Apply(ctx, retry); err != nil {
		closeBody(retry)
		drain(resp)
		return nil, fmt.Errorf("credential: apply credentials: %w", err)
	}
	drain(resp)
	return t.base.RoundTrip(retry)
}

// maxRedirectChain bounds how far back sameOriginChain walks; http.Client
// stops after 10 redirects unless CheckRedirect says otherwise.
const maxRedirectChain = 64

// sameOriginChain reports whether req is the adapter's own request or a
// redirect whose every hop stayed within the origin of the first request.
// http.Client links a redirect to the response that caused it
// (req.Response) and that response to its request (Response.Request); a
// chain that cannot be followed back is not trusted.
func sameOriginChain(req *http.Request) bool {
	if req.Response == nil {
		return true
	}
	hops := []*url.URL{req.URL}
	for r := req; r.Response != nil; {
		r = r.Response.Request
		if r == nil || r.URL == nil || len(hops) > maxRedirectChain {
			return false
		}
		hops = append(hops, r.URL)
	}
	origin := hops[len(hops)-1]
	for _, u := range hops[:len(hops)-1] {
		if !withinOrigin(origin, u) {
			return false
		}
	}
	return true
}

// withinOrigin reports whether credentials meant for origin may go to u:
// the same host or a subdomain of it (the rule net/http applies to
// Authorization on redirects), the same port, and no downgrade from https.
func withinOrigin(origin, u *url.URL) bool {
	if u == nil || origin.Scheme == "https" && u.Scheme != "https" {
		return false
	}
	if effectivePort(origin) != effectivePort(u) {
		return false
	}
	oh := strings.TrimSuffix(strings.ToLower(origin.Hostname()), ".")
	uh := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if oh == "" || uh == "" {
		return false
	}
	if uh == oh {
		return true
	}
	// An IP address has no subdomains.
	if net.ParseIP(oh) != nil || strings.Contains(uh, ":") {
		return false
	}
	return strings.HasSuffix(uh, "."+oh)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// replayable reports whether req's body can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	_ = resp.Body.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
