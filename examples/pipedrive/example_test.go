package pipedrive_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/phone"
)

// The whole life of a user against a fake Pipedrive: the OAuth code
// exchange the server performs, login, a lookup and a call log.
func Example() {
	fake := fakepipedrive.New()
	defer fake.Close()
	uid := fake.AddUser(fakepipedrive.User{Name: "Ada Lovelace", Timezone: "Europe/London"})
	pid := fake.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"(650) 555-1212"}})
	fake.AddDeal(fakepipedrive.Deal{Title: "Enigma", PersonID: pid})

	pd, err := pipedrive.New(pipedrive.Config{OAuth: auth.Provider{
		ClientID:     fakepipedrive.DefaultClientID,
		ClientSecret: fakepipedrive.DefaultClientSecret,
		RedirectURL:  "https://bridge.example/oauth-callback",
		AuthURL:      fake.AuthURL(),
		TokenURL:     fake.TokenURL(),
		RevokeURL:    fake.RevokeURL(),
	}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// The server exchanges the code with the adapter's provider...
	tok, err := credential.Exchange(ctx, *pd.Auth().OAuth, nil, fake.Authorize(uid))
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: credential.NewTransport(nil, credential.APIKey(tok.AccessToken, auth.BearerScheme))}

	// ...and asks the adapter who logged in.
	info, err := pd.GetUserInfo(ctx, adapter.UserInfoRequest{Client: client, TokenExtra: tok.Extra})
	if err != nil {
		panic(err)
	}
	fmt.Println("logged in:", info.Name, "at", info.Hostname)
	sess := adapter.Session{User: adapter.User{ID: info.ID, Extra: info.Extra}, Client: client}

	// A call from +16505551212; the user's CRM stores numbers as (***) ***-****.
	n, _ := phone.Parse("+16505551212")
	q := adapter.PhoneQuery{Raw: n.E164(), Number: n, Candidates: phone.Candidates(n, phone.CompileFormats("(***) ***-****"), 0)}
	found, err := pd.FindContacts(ctx, adapter.FindContactsRequest{Session: sess, Phone: q})
	if err != nil {
		panic(err)
	}
	c := found.Contacts[0]
	fmt.Println("caller:", c.Name, c.Phone, "deals:", c.AdditionalInfo["deals"])

	logged, err := pd.CreateCallLog(ctx, adapter.CreateCallLogRequest{
		Session:              sess,
		Contact:              adapter.ContactRef{ID: c.ID, Name: c.Name},
		Call:                 adapter.Call{Direction: "Inbound", Result: "Call connected"},
		Note:                 "Wants a demo",
		AdditionalSubmission: map[string]any{"deals": c.AdditionalInfo["deals"][0].Const},
	})
	if err != nil {
		panic(err)
	}
	got, err := pd.GetCallLog(ctx, adapter.GetCallLogRequest{Session: sess, LogID: logged.LogID})
	if err != nil {
		panic(err)
	}
	fmt.Printf("logged: %q, %q\n", got.Subject, got.Note)
	// Output:
	// logged in: Ada Lovelace at acme.pipedrive.com
	// caller: Alan Turing (650) 555-1212 deals: [{1 Enigma}]
	// logged: "Inbound call from Alan Turing", "Wants a demo"
}

// When a user disconnects, the server (not the adapter, whose Unauthorize
// does nothing) revokes the user's refresh token with the provider that
// Auth returns, which ends the grant at Pipedrive.
func ExampleAdapter_Auth() {
	fake := fakepipedrive.New()
	defer fake.Close()
	uid := fake.AddUser(fakepipedrive.User{Name: "Ada"})
	_, refresh := fake.IssueToken(uid)

	pd, err := pipedrive.New(pipedrive.Config{OAuth: auth.Provider{
		ClientID:     fakepipedrive.DefaultClientID,
		ClientSecret: fakepipedrive.DefaultClientSecret,
		RedirectURL:  "https://bridge.example/oauth-callback",
		TokenURL:     fake.TokenURL(),
		RevokeURL:    fake.RevokeURL(),
	}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	p := pd.Auth().OAuth
	err = credential.Revoke(ctx, *p, nil, refresh, "refresh_token")
	fmt.Println("revoked:", err == nil, "revocations:", fake.Stats().Revocations)
	_, err = credential.Refresh(ctx, *p, nil, refresh)
	fmt.Println("refresh refused afterwards:", errors.Is(err, credential.ErrInvalidGrant))
	// Output:
	// revoked: true revocations: 1
	// refresh refused afterwards: true
}
