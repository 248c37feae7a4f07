package auth

import (
	"fmt"
	"log/slog"
	"strings"
)

// sprintAll formats v with the verbs that print a value's fields (%d and
// %t reach the fields of a struct that only has a String method), for
// checks that no secret leaks into logs or error messages.
func sprintAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s %q %x %d %t", v, v, v, v, v, v, v, v)
}

// logAll logs v with slog's text and JSON handlers and returns the output.
// The JSON handler marshals a struct without LogValue field by field.
func logAll(v any) string {
	var b strings.Builder
	for _, h := range []slog.Handler{slog.NewTextHandler(&b, nil), slog.NewJSONHandler(&b, nil)} {
		slog.New(h).Info("probe", "v", v)
	}
	return b.String()
}
