package template_test

import (
	"encoding/json"
	"fmt"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/template"
)

// New checks the configuration; the adapter then tells the server how
// users log in and which optional capabilities it has.
func ExampleNew() {
	a, err := template.New(template.Config{BaseURL: "https://api.templatecrm.example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var x adapter.Adapter = a
	_, search := x.(adapter.ContactSearcher)
	_, dispositions := x.(adapter.DispositionSetter)
	fmt.Println(a.Platform(), a.Auth().Type, "search:", search, "dispositions:", dispositions)
	fmt.Println("manifest is JSON:", json.Valid(a.Manifest()))

	_, err = template.New(template.Config{BaseURL: "api.templatecrm.example"})
	fmt.Println(err)
	// Output:
	// templatecrm apiKey search: true dispositions: false
	// manifest is JSON: true
	// templatecrm: invalid config: BaseURL "api.templatecrm.example" is not an absolute http(s) URL
}
