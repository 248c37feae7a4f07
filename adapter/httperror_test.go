package adapter

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestResponseError(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	long := strings.Repeat("é", 10*maxSafeMessage)
	type want struct {
		nilErr       bool
		is           error  // errors.Is target
		user         string // *UserError's Message
		rateLimit    bool
		retryAfter   time.Duration
		plainContain string
	}
	tests := []struct {
		name    string
		code    int
		header  http.Header
		message string
		want    want
	}{
		{"200", 200, nil, "", want{nilErr: true}},
		{"204", 204, nil, "ignored", want{nilErr: true}},
		{"401", 401, nil, "token expired", want{is: ErrUnauthorized}},
		{"404", 404, nil, "", want{is: ErrNotFound}},
		{"410", 410, nil, "", want{is: ErrNotFound}},
		{"400 with message", 400, nil, "Subject is too long", want{user: "Subject is too long"}},
		{"422 with message", 422, nil, " Phone\x00 is invalid\n", want{user: "Phone  is invalid"}},
		{"422 without message", 422, nil, "", want{user: "The CRM refused the request (HTTP 422 Unprocessable Entity)."}},
		{"403", 403, nil, "", want{user: "The CRM refused the request (HTTP 403 Forbidden)."}},
		{"409", 409, nil, "duplicate", want{user: "duplicate"}},
		{"400 with a long message", 400, nil, long, want{user: strings.Repeat("é", maxSafeMessage) + "…"}},
		{"429 seconds", 429, http.Header{"Retry-After": {"7"}}, "", want{rateLimit: true, retryAfter: 7 * time.Second}},
		{"429 date", 429, http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, "", want{rateLimit: true, retryAfter: 90 * time.Second}},
		{"429 past date", 429, http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, "", want{rateLimit: true}},
		{"429 garbage", 429, http.Header{"Retry-After": {"soon"}}, "", want{rateLimit: true}},
		{"429 negative", 429, http.Header{"Retry-After": {"-3"}}, "", want{rateLimit: true}},
		{"429 absurd", 429, http.Header{"Retry-After": {"99999999999"}}, "", want{rateLimit: true}},
		{"429 none", 429, nil, "", want{rateLimit: true}},
		{"500", 500, nil, "boom", want{plainContain: "HTTP 500: boom"}},
		{"503", 503, nil, "", want{plainContain: "HTTP 503"}},
		{"302", 302, nil, "", want{plainContain: "HTTP 302"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := responseError(&http.Response{StatusCode: tt.code, Header: tt.header}, tt.message, now)
			w := tt.want
			if w.nilErr {
				if err != nil {
					t.Fatalf("got %v; want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got nil; want an error")
			}
			ue, isUser := errors.AsType[*UserError](err)
			rl, isRate := errors.AsType[*RateLimitError](err)
			switch {
			case w.is != nil:
				if !errors.Is(err, w.is) || isUser || isRate {
					t.Errorf("got %v; want it to wrap %v only", err, w.is)
				}
			case w.user != "":
				if !isUser || ue.Message != w.user {
					t.Errorf("got %#v; want *UserError with message %q", err, w.user)
				}
			case w.rateLimit:
				if !isRate || rl.RetryAfter != w.retryAfter {
					t.Errorf("got %#v; want *RateLimitError with RetryAfter %v", err, w.retryAfter)
				}
			default:
				if isUser || isRate || errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), w.plainContain) {
					t.Errorf("got %v; want a plain error containing %q", err, w.plainContain)
				}
			}
		})
	}
}
