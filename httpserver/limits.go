package httpserver

import (
	"fmt"
	"strings"
)

// Bounded work per request (PROTOCOL.md §1): every client input that sizes
// a loop, a cache or an allocation has a limit, checked before the input is
// parsed. The request body (WithBodyLimit) and the headers (the HTTP
// server's MaxHeaderBytes, which also bounds the query string) are bounded
// by the transport.
const (
	// maxPhoneNumberBytes bounds phoneNumber; a longer value is answered
	// "Invalid phone number" without being parsed.
	maxPhoneNumberBytes = 64
	// maxFormatPatterns and maxFormatPatternBytes bound overridingFormat.
	maxFormatPatterns     = 16
	maxFormatPatternBytes = 64
	// maxSessionIDs bounds GET /callLog (the reference server looked at 5).
	maxSessionIDs = 100
	// maxMessages bounds POST /messageLog; it is enforced by the `max` tag
	// of conversationInfo.Messages (see checkFields), which must say the
	// same number.
	maxMessages = 1000
)

// formatListProblem checks an overridingFormat list against its bounds
// without allocating: "" when it is within them.
func formatListProblem(list string) string {
	if len(list) == 0 {
		return ""
	}
	n := 0
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if n++; n > maxFormatPatterns {
			return fmt.Sprintf("has more than %d patterns", maxFormatPatterns)
		}
		if len(item) > maxFormatPatternBytes {
			return fmt.Sprintf("has a pattern longer than %d bytes", maxFormatPatternBytes)
		}
	}
	return ""
}

// boundFormatList keeps the first maxFormatPatterns patterns of list that
// are at most maxFormatPatternBytes long, for formats that come from stored
// settings rather than from the request.
func boundFormatList(list string) string {
	if formatListProblem(list) == "" {
		return list
	}
	kept := make([]string, 0, maxFormatPatterns)
	for item := range strings.SplitSeq(list, ",") {
		if t := strings.TrimSpace(item); t != "" && len(t) <= maxFormatPatternBytes {
			// Keep the item untrimmed: a leading space may be a lost '+'.
			kept = append(kept, item)
			if len(kept) == maxFormatPatterns {
				break
			}
		}
	}
	return strings.Join(kept, ",")
}

// splitList splits a comma-separated list into its trimmed non-empty
// items, refusing (over = true, nil items) a list of more than max items
// before allocating anything for it.
func splitList(list string, max int) (items []string, over bool) {
	n := 0
	for item := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(item) != "" {
			if n++; n > max {
				return nil, true
			}
		}
	}
	items = make([]string, 0, n)
	for item := range strings.SplitSeq(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items, false
}
