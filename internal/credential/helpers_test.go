package credential

import (
	"fmt"
	"time"
)

// sprintAll formats v every way fmt offers, for checks that no secret
// leaks into logs or error messages.
func sprintAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
}

// testNow is the fixed time of the tests' clocks.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }
