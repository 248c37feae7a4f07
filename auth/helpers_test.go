package auth

import "fmt"

// sprintAll formats v every way fmt offers, for checks that no secret
// leaks into logs or error messages.
func sprintAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
}
