package fakepipedrive_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
)

// A test adds data, gets a token and talks to the fake as to Pipedrive.
func Example() {
	srv := fakepipedrive.New()
	defer srv.Close()
	uid := srv.AddUser(fakepipedrive.User{Name: "Ada Lovelace"})
	srv.AddPerson(fakepipedrive.Person{Name: "Alan Turing", Phones: []string{"+16505551212"}})
	access, _ := srv.IssueToken(uid)

	req, _ := http.NewRequest("GET", srv.URL()+"/api/v2/persons/search?term=%2B16505551212&fields=phone&exact_match=true", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Items []struct {
				Item struct {
					Name string `json:"name"`
				} `json:"item"`
			} `json:"items"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, body.Data.Items[0].Item.Name, srv.Stats().PersonSearches)
	// Output: 200 Alan Turing 1
}

// Rate limiting answers 429 with Retry-After once a window's requests are
// used up.
func ExampleWithRateLimit() {
	srv := fakepipedrive.New(fakepipedrive.WithRateLimit(fakepipedrive.RateLimit{Requests: 1}))
	defer srv.Close()
	access, _ := srv.IssueToken(srv.AddUser(fakepipedrive.User{Name: "Ada"}))
	for range 2 {
		req, _ := http.NewRequest("GET", srv.URL()+"/api/v1/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Output:
	// 200 Retry-After=""
	// 429 Retry-After="2"
}
