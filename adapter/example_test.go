package adapter_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// Adapters report what went wrong with the errors of this package, wrapped
// as they like; the server classifies them with errors.Is and errors.As.
func Example_errors() {
	errs := []error{
		fmt.Errorf("deal 7: %w", adapter.ErrNotFound),
		&adapter.RateLimitError{RetryAfter: 2 * time.Second},
		&adapter.UserError{Message: "Subject is too long"},
	}
	for _, err := range errs {
		var rl *adapter.RateLimitError
		var ue *adapter.UserError
		switch {
		case errors.Is(err, adapter.ErrNotFound):
			fmt.Println("not found:", err)
		case errors.As(err, &rl):
			fmt.Println("rate limited, wait", rl.RetryAfter)
		case errors.As(err, &ue):
			fmt.Println("shown to the user:", ue.Message)
		}
	}
	// Output:
	// not found: deal 7: crm record not found
	// rate limited, wait 2s
	// shown to the user: Subject is too long
}

// The contact's end of a call is the caller for inbound calls and the
// callee otherwise.
func ExampleCall_ContactPhone() {
	call := adapter.Call{
		Direction: "Inbound",
		From:      adapter.Party{PhoneNumber: "+16505551212", Name: "Alice"},
		To:        adapter.Party{PhoneNumber: "+14155550199"},
	}
	fmt.Println(call.ContactPhone().PhoneNumber)
	// Output: +16505551212
}

// An adapter reads the user's effective settings from its Session: here a
// custom setting of its own manifest and the user's phone format.
func ExampleSettings() {
	settings := adapter.Settings{
		"mycrmLogOwner":            json.RawMessage(`{"value":"team"}`),
		adapter.SettingPhoneFormat: json.RawMessage(`{"value":"(***) ***-****","customizable":false}`),
		"autoLogCall":              json.RawMessage(`{"value":true}`),
		"mycrmUnsetSetting":        json.RawMessage(`{"options":["a","b"]}`),
	}
	fmt.Println(settings.String("mycrmLogOwner"))
	fmt.Println(settings.String(adapter.SettingPhoneFormat))
	fmt.Println(settings.Bool("autoLogCall"), settings.Bool("absent"))
	fmt.Printf("%q\n", settings.Value("mycrmUnsetSetting"))
	// Output:
	// team
	// (***) ***-****
	// true false
	// ""
}

// ResponseError turns a CRM's error answer into the error class the server
// maps for the client; an adapter wraps it to say which call failed.
func ExampleResponseError() {
	res := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"30"}}}
	err := fmt.Errorf("mycrm GET /contacts: %w", adapter.ResponseError(res, ""))
	if rl, ok := errors.AsType[*adapter.RateLimitError](err); ok {
		fmt.Println("wait", rl.RetryAfter)
	}
	res = &http.Response{StatusCode: http.StatusUnprocessableEntity}
	if ue, ok := errors.AsType[*adapter.UserError](adapter.ResponseError(res, "Subject is too long")); ok {
		fmt.Println(ue.Message)
	}
	// Output:
	// wait 30s
	// Subject is too long
}
