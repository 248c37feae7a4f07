package credential

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
)

// The token and revocation endpoints redirect to another origin (307 and
// 308 keep the POST body, so following would replay the code, refresh
// token or client secret there): Exchange, Refresh and Revoke fail instead,
// also when the caller's client follows redirects, and the other origin
// receives nothing.
func TestTokenRequestsNeverFollowRedirects(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int64
	elsewhere := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"a","token_type":"Bearer","expires_in":3600}`))
	})
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		redirecting := newTokenServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/token", code)
		})
		p := testProvider(redirecting.URL + "/token")
		p.RevokeURL = redirecting.URL + "/revoke"
		following := &http.Client{} // the default policy follows up to 10 redirects
		for _, hc := range []*http.Client{nil, following} {
			ctx := context.Background()
			_, err := Exchange(ctx, p, hc, "the-code")
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != code {
				t.Errorf("%d: Exchange: %v, want *StatusError %d", code, err, code)
			}
			if _, err := Refresh(ctx, p, hc, "the-refresh-token"); !errors.As(err, &se) {
				t.Errorf("%d: Refresh: %v, want *StatusError", code, err)
			}
			if err := Revoke(ctx, p, hc, "the-refresh-token", "refresh_token"); err == nil {
				t.Errorf("%d: Revoke through a redirect succeeded", code)
			}
		}
		if following.CheckRedirect != nil {
			t.Errorf("the caller's client was changed")
		}
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
}
