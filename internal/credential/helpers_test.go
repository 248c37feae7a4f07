package credential

import (
	"fmt"
	"time"
)

// sprintAll formats v with the verbs that print a value's fields (%d and
// %t reach the fields of a struct that only has a String method), for
// checks that no secret leaks into logs or error messages.
func sprintAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s %q %x %d %t", v, v, v, v, v, v, v, v)
}

// testNow is the fixed time of the tests' clocks.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }
