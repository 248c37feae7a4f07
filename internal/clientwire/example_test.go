package clientwire_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/crmbridge/crmbridge/internal/clientwire"
)

// The logInfo of POST /callLog right after an inbound call, the recording
// still being processed.
func ExampleCall_LogInfo() {
	call := clientwire.Call{
		Start: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), Duration: 42 * time.Second,
		Direction: "Inbound", Result: "Call connected",
		From: clientwire.Party{PhoneNumber: "+16505551212", Name: "Bob"}, To: clientwire.Party{PhoneNumber: "+14155550100"},
	}
	b, _ := json.Marshal(call.LogInfo("r-1", "s-1", "t-1", "(pending...)"))
	fmt.Println(string(b))
	// Output:
	// {"direction":"Inbound","duration":42,"from":{"name":"Bob","phoneNumber":"+16505551212"},"id":"r-1","recording":{"link":"(pending...)"},"result":"Call connected","sessionId":"s-1","startTime":1796029200000,"telephonySessionId":"t-1","to":{"name":"","phoneNumber":"+14155550100"}}
}
