package main

import (
	"bytes"
	"fmt"
	"strings"
)

// The keys command prints one NAME=value line per key.
func Example_keys() {
	var out bytes.Buffer
	if err := run([]string{"keys"}, &out, &out); err != nil {
		panic(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		name, _, _ := strings.Cut(line, "=")
		fmt.Println(name)
	}
	// Output:
	// APP_SERVER_SECRET_KEY
	// TOKEN_ENCRYPTION_KEY
	// HASH_KEY
}
