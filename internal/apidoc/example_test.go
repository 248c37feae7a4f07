package apidoc_test

import (
	"encoding/json"
	"fmt"

	"github.com/crmbridge/crmbridge/internal/apidoc"
)

// The document is plain JSON: any OpenAPI tool reads it.
func Example() {
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]json.RawMessage
	}
	if err := json.Unmarshal(apidoc.JSON, &doc); err != nil {
		panic(err)
	}
	_, ok := doc.Paths["/contact"]
	fmt.Println(doc.OpenAPI, ok)
	// Output: 3.0.3 true
}
