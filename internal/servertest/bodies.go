package servertest

import (
	"encoding/json"
	"fmt"
	"time"
)

// CallLogBody is a POST /callLog body as the client sends it: an inbound
// call from Alice (+16505551212) logged against contactID, with a field
// the server does not know (the client sends many).
func CallLogBody(sessionID, contactID string) map[string]any {
	return map[string]any{
		"logInfo": map[string]any{
			"id":                 "rec-" + sessionID,
			"sessionId":          sessionID,
			"telephonySessionId": "tel-" + sessionID,
			"startTime":          1764300000000,
			"duration":           95,
			"direction":          "Inbound",
			"result":             "Call connected",
			"from":               map[string]any{"phoneNumber": "+16505551212", "name": "Alice"},
			"to":                 map[string]any{"phoneNumber": "+14155550199", "name": "Me"},
			"recording":          map[string]any{"link": "(pending...)"},
		},
		"note":                      "Discussed renewal",
		"contactId":                 json.Number(contactID),
		"contactType":               "Contact",
		"contactName":               "Alice Anderson",
		"additionalSubmission":      map[string]any{"deals": "deal-1"},
		"unknownFieldTheClientAdds": map[string]any{"x": 1},
	}
}

// MessageLogBody is a POST /messageLog body for one conversation day with
// Alice (contact 1001), its messages ids newest first as the client sends
// them.
func MessageLogBody(convLogID string, ids ...int64) map[string]any {
	msgs := make([]map[string]any, 0, len(ids))
	for i, id := range ids {
		msgs = append(msgs, map[string]any{
			"id":           id,
			"direction":    "Inbound",
			"subject":      fmt.Sprintf("message %d", id),
			"creationTime": time.Date(2026, 11, 27, 10, 0, len(ids)-i, 0, time.UTC).Format(time.RFC3339),
			"from":         map[string]any{"phoneNumber": "+16505551212"},
			"to":           []any{map[string]any{"phoneNumber": "+14155550199"}},
			"type":         "SMS",
		})
	}
	return map[string]any{
		"logInfo": map[string]any{
			"conversationId":    "conv-1",
			"conversationLogId": convLogID,
			"type":              "SMS",
			"messages":          msgs,
			"correspondents":    []any{map[string]any{"phoneNumber": "+16505551212"}},
		},
		"contactId":   "1001",
		"contactType": "Contact",
		"contactName": "Alice Anderson",
	}
}
