package credential

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/auth"
)

func TestRevoke(t *testing.T) {
	t.Parallel()
	var got struct {
		token, hint, user, pass, bodyID string
		calls                           int
	}
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.calls++
		got.token, got.hint, got.bodyID = r.PostFormValue("token"), r.PostFormValue("token_type_hint"), r.PostFormValue("client_id")
		got.user, got.pass, _ = r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusBadRequest {
			w.Write([]byte(`{"error":"invalid_request","error_description":"bad token rt-secret"}`))
		}
	}))
	defer srv.Close()
	p := auth.Provider{RevokeURL: srv.URL, ClientID: "cid", ClientSecret: "csecret"}

	if err := Revoke(context.Background(), p, srv.Client(), "rt-secret", "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if got.token != "rt-secret" || got.hint != "refresh_token" || got.user != "cid" || got.pass != "csecret" || got.bodyID != "" {
		t.Errorf("request: %+v", got)
	}

	p.AuthStyle = auth.AuthInBody
	if err := Revoke(context.Background(), p, srv.Client(), "rt-secret", ""); err != nil {
		t.Fatal(err)
	}
	if got.bodyID != "cid" || got.user != "" || got.hint != "" {
		t.Errorf("body auth: %+v", got)
	}

	status = http.StatusBadRequest
	err := Revoke(context.Background(), p, srv.Client(), "rt-secret", "refresh_token")
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_request" || strings.Contains(err.Error(), "rt-secret") {
		t.Errorf("error answer: %v", err)
	}
	status = http.StatusInternalServerError
	var se *StatusError
	if err := Revoke(context.Background(), p, srv.Client(), "rt-secret", ""); !errors.As(err, &se) || se.StatusCode != 500 {
		t.Errorf("500: %v", err)
	}

	calls := got.calls
	if err := Revoke(context.Background(), auth.Provider{}, nil, "x", ""); !errors.Is(err, ErrNoRevokeURL) {
		t.Errorf("no URL: %v", err)
	}
	if got.calls != calls {
		t.Errorf("no URL must not call anything")
	}
}
