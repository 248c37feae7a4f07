package fakehubspot_test

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/crmbridge/crmbridge/examples/hubspot/fakehubspot"
)

// A search beyond HubSpot's limits is refused as HubSpot refuses it.
func Example() {
	fake := fakehubspot.New()
	defer fake.Close()
	owner := fake.AddOwner(fakehubspot.Owner{Email: "ada@example.com"})
	access, _ := fake.IssueToken(owner.UserID)
	fake.AddContact(map[string]string{"firstname": "Alan", "phone": "+16505551212"})

	search := func(body string) int {
		req, _ := http.NewRequest("POST", fake.URL()+"/crm/objects/2026-03/contacts/search", bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+access)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	group := `{"filters":[{"propertyName":"phone","operator":"EQ","value":"+16505551212"}]}`
	fmt.Println(search(`{"filterGroups":[` + group + `]}`))
	fmt.Println(search(`{"filterGroups":[` + group + `,` + group + `,` + group + `,` + group + `,` + group + `,` + group + `]}`))
	fmt.Println(fake.Stats().Searches, fake.Stats().BadRequests)
	// Output:
	// 200
	// 400
	// 1 1
}
