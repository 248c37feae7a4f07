package clientwire

import "time"

// Party is one end of a call: a phone number and the caller-id name.
type Party struct {
	PhoneNumber string
	Name        string
}

// wire is the party as the client sends it.
func (p Party) wire() map[string]any {
	return map[string]any{"phoneNumber": p.PhoneNumber, "name": p.Name}
}

// Call is the part of a call that the client describes the same way in
// POST /callLog's logInfo and in the recording sweep's PATCH /callLog.
type Call struct {
	// Start is when the call started; sent in Unix milliseconds.
	Start time.Time
	// Duration is sent in whole seconds.
	Duration time.Duration
	// Direction is "Inbound" or "Outbound"; Result is e.g. "Call connected".
	Direction, Result string
	// From and To are the two ends: the contact is From for an inbound
	// call.
	From, To Party
}

// Details returns the call's fields as the client sends them: startTime,
// duration, direction, result, from and to. The map is new on every call:
// callers add the fields of their request (sessionId, note, ...) to it.
func (c Call) Details() map[string]any {
	return map[string]any{
		"startTime": c.Start.UnixMilli(),
		"duration":  int64(c.Duration / time.Second),
		"direction": c.Direction,
		"result":    c.Result,
		"from":      c.From.wire(),
		"to":        c.To.wire(),
	}
}

// LogInfo returns POST /callLog's logInfo for the call: its Details and the
// telephony record's id, the call session's id, the telephony session's id
// and, when link is not empty, the recording ("(pending...)" while the
// telephony system still processes it).
func (c Call) LogInfo(recordID, sessionID, telephonySessionID, recordingLink string) map[string]any {
	info := c.Details()
	info["id"] = recordID
	info["sessionId"] = sessionID
	info["telephonySessionId"] = telephonySessionID
	if recordingLink != "" {
		info["recording"] = map[string]any{"link": recordingLink}
	}
	return info
}
