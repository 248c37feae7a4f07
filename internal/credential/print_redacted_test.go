package credential

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A transport carrying credentials prints no secret with any verb: the
// server keeps users' API-key transports (httpserver's credential cache),
// and one printed by a log line or an error must not reveal the key.
func TestTransportPrintsNoSecret(t *testing.T) {
	t.Parallel()
	const secret = "very-secret-api-key"
	for _, rt := range []http.RoundTripper{
		NewTransport(http.DefaultTransport, APIKey(secret, nil)),
		NewTransport(nil, APIKey(secret, func(r *http.Request, k string) { r.Header.Set("X-Key", k) })),
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			if got := fmt.Sprintf(verb, rt); strings.Contains(got, secret) || strings.Contains(got, fmt.Sprintf("%x", secret)) {
				t.Errorf("%s of the transport shows the key: %s", verb, got)
			}
		}
		if got := fmt.Sprint(&http.Client{Transport: rt}); strings.Contains(got, secret) {
			t.Errorf("a client over the transport prints the key: %s", got)
		}
	}
}
