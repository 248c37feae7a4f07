package hubspot_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/hubspot"
	"github.com/crmbridge/crmbridge/examples/hubspot/fakehubspot"
	"github.com/crmbridge/crmbridge/internal/credential"
	"github.com/crmbridge/crmbridge/phone"
)

// A user's life against a fake HubSpot: the code exchange the server
// performs, login, a lookup with three phone formats (one search request)
// and a call log.
func Example() {
	fake := fakehubspot.New()
	defer fake.Close()
	ada := fake.AddOwner(fakehubspot.Owner{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com"})
	fake.AddContact(map[string]string{"firstname": "Alan", "lastname": "Turing", "phone": "650.555.1212"})

	hs, err := hubspot.New(hubspot.Config{
		OAuth: auth.Provider{
			ClientID:     fakehubspot.DefaultClientID,
			ClientSecret: fakehubspot.DefaultClientSecret,
			RedirectURL:  "https://bridge.example/oauth-callback",
			AuthURL:      fake.AuthURL(),
			TokenURL:     fake.TokenURL(),
			RevokeURL:    fake.RevokeURL(),
		},
		APIBase: fake.URL(),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	tok, err := credential.Exchange(ctx, *hs.Auth().OAuth, nil, fake.Authorize(ada.UserID))
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: credential.NewTransport(nil, credential.APIKey(tok.AccessToken, auth.BearerScheme))}
	info, err := hs.GetUserInfo(ctx, adapter.UserInfoRequest{Client: client, TokenExtra: tok.Extra})
	if err != nil {
		panic(err)
	}
	fmt.Println("logged in:", info.Name)
	sess := adapter.Session{User: adapter.User{ID: info.ID, Platform: hubspot.Platform, Extra: info.Extra}, Client: client}

	n, _ := phone.Parse("+16505551212")
	res, err := hs.FindContacts(ctx, adapter.FindContactsRequest{Session: sess, Phone: adapter.PhoneQuery{
		Number:     n,
		Candidates: phone.Candidates(n, phone.CompileFormats("(***) ***-****,***-***-****,***.***.****"), 0),
	}})
	if err != nil {
		panic(err)
	}
	fmt.Println("found:", res.Contacts[0].Name, res.Contacts[0].Phone, "in", fake.Stats().Searches, "search")

	logged, err := hs.CreateCallLog(ctx, adapter.CreateCallLogRequest{
		Session: sess,
		Contact: adapter.ContactRef{ID: res.Contacts[0].ID, Name: res.Contacts[0].Name},
		Call:    adapter.Call{SessionID: "s-1", Direction: "Outbound", Duration: 95e9},
		Note:    "Talked about Enigma",
	})
	if err != nil {
		panic(err)
	}
	var id int
	fmt.Sscan(logged.LogID, &id)
	call, _ := fake.Call(id)
	fmt.Println("call:", call.Properties["hs_call_title"], call.Properties["hs_call_direction"], call.Properties["hs_call_duration"], "ms")
	// Output:
	// logged in: Ada Lovelace
	// found: Alan Turing 650.555.1212 in 1 search
	// call: Outbound call to Alan Turing OUTBOUND 95000 ms
}
