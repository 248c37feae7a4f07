package adapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// An adapter sends its CRM calls through a JSONClient built from the
// request's credentialed client; error statuses come back as the errors of
// this package, named by method and path. Phone numbers go in the query,
// which no error repeats; an id from the client goes in the path escaped.
func ExampleJSONClient() {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/contacts" && r.URL.Query().Get("phone") == "+16505551212":
			fmt.Fprint(w, `[{"id":"1001","name":"Bob Brown"}]`)
		case r.URL.EscapedPath() == "/api/contacts/1001":
			fmt.Fprint(w, `{"id":"1001","name":"Bob Brown"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer crm.Close()
	// In an adapter: Client is req.Client (the Session's client).
	c := adapter.JSONClient{Client: crm.Client(), BaseURL: crm.URL, Name: "mycrm"}
	ctx := context.Background()

	var found []struct{ ID, Name string }
	err := c.Do(ctx, "GET", "/api/contacts", url.Values{"phone": {"+16505551212"}}, nil, &found)
	fmt.Println(found, err)
	err = c.Do(ctx, "GET", "/api/contacts", url.Values{"phone": {"+4930123456"}}, nil, &found)
	fmt.Println(errors.Is(err, adapter.ErrNotFound), err)

	for _, id := range []string{"1001", "1001/../admin"} {
		var one struct{ ID, Name string }
		err = c.Do(ctx, "GET", "/api/contacts/"+url.PathEscape(id), nil, nil, &one)
		fmt.Printf("%q %v\n", one.Name, err)
	}
	// Output:
	// [{1001 Bob Brown}] <nil>
	// true mycrm: GET /api/contacts: HTTP 404: crm record not found
	// "Bob Brown" <nil>
	// "" mycrm: GET /api/contacts/1001%2F..%2Fadmin: HTTP 404: crm record not found
}

// Discover finds an adapter's optional capabilities; Names lists them, for
// a test that pins what an adapter offers or a log line at start-up.
func ExampleCapabilities_Names() {
	fmt.Println(adapter.Discover(exampleAdapter{}).Names())
	// Output: [ContactSearcher]
}

// exampleAdapter has the five required methods and contact search.
type exampleAdapter struct{}

func (exampleAdapter) Platform() string { return "example" }
func (exampleAdapter) Auth() adapter.AuthConfig {
	return adapter.AuthConfig{Type: adapter.AuthAPIKey, APIKeyScheme: func(*http.Request, string) {}}
}
func (exampleAdapter) GetUserInfo(context.Context, adapter.UserInfoRequest) (adapter.UserInfo, error) {
	return adapter.UserInfo{}, nil
}
func (exampleAdapter) FindContacts(context.Context, adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	return adapter.FindContactsResult{}, nil
}
func (exampleAdapter) CreateCallLog(context.Context, adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	return adapter.CreateCallLogResult{}, nil
}
func (exampleAdapter) SearchContacts(context.Context, adapter.SearchContactsRequest) (adapter.FindContactsResult, error) {
	return adapter.FindContactsResult{}, nil
}
