package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Edge validation (PROTOCOL.md §1): every field of a request body that can
// reach a store or an adapter is checked once, right after decoding, by one
// walker over the decoded value, so a new request type is covered by
// declaring it:
//
//   - every string, map key and map value, at any depth, must be valid UTF-8
//     without NUL bytes (PostgreSQL refuses both; SQLite would store them);
//   - a value whose type implements fieldChecker (times, durations) must
//     pass its check: finite, in range;
//   - a slice field tagged `max:"N"` holds at most N items, checked before
//     any of its items is acted on.
//
// A refusal is HTTP 400 text/plain naming the field, the same whatever the
// store: nothing reaches the store first.

// fieldChecker is a decoded value that knows its own valid range. check
// returns "" when the value is acceptable, otherwise what is wrong with it,
// phrased to follow the field's name ("is more than 10 days").
type fieldChecker interface {
	check() string
}

var (
	checkerType    = reflect.TypeFor[fieldChecker]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

// badRequest answers a request the server cannot act on with HTTP 400 and
// a text/plain body: the client shows the body of a non-2xx text answer as
// a toast, so text must be a fixed, human sentence.
func badRequest(w http.ResponseWriter, text string) {
	writeText(w, http.StatusBadRequest, text)
}

// maxFieldName bounds how much of a field's path a refusal quotes.
const maxFieldName = 100

// refuseField answers 400 text/plain naming the refused field.
func refuseField(w http.ResponseWriter, r *http.Request, field, problem string) {
	if len(field) > maxFieldName {
		// A map key is client text of any length; the name only has to
		// point the developer at the place.
		field = strings.ToValidUTF8(field[:maxFieldName], "") + "..."
	}
	msg := "Invalid request: " + field + " " + problem
	requestInfo(r.Context()).err = errors.New(msg)
	badRequest(w, msg)
}

// decodeJSON reads a JSON body into v and validates it (see checkFields).
// Unknown fields are ignored (the client sends many). It answers the
// request itself and returns false on failure: 413 for an oversized body,
// 400 text/plain with a fixed reason otherwise. Decoder and read errors go to
// the log only: they can quote Go type names and socket addresses.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	ri := requestInfo(r.Context())
	body, err := io.ReadAll(r.Body)
	if err != nil {
		ri.err = err
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeText(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body is larger than %d bytes", tooBig.Limit))
			return false
		}
		badRequest(w, "Request body could not be read")
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		badRequest(w, "Request body is empty; expected a JSON object")
		return false
	}
	if at := invalidUTF8At(body); at >= 0 {
		refuseField(w, r, fieldAtOffset(body, at), "is not valid UTF-8")
		return false
	}
	err = json.NewDecoder(bytes.NewReader(body)).Decode(v)
	if err != nil {
		ri.err = err
		var (
			syntax  *json.SyntaxError
			typeErr *json.UnmarshalTypeError
		)
		switch {
		case errors.As(err, &syntax):
			badRequest(w, fmt.Sprintf("Request body is not valid JSON (at byte %d)", syntax.Offset))
		case errors.Is(err, io.ErrUnexpectedEOF):
			badRequest(w, "Request body is not valid JSON (it ends too early)")
		case errors.As(err, &typeErr):
			field := typeErr.Field
			if field == "" {
				field = "body"
			}
			badRequest(w, fmt.Sprintf("Invalid request: %s has the wrong type (got %s, expected %s)", field, typeErr.Value, jsonKind(typeErr.Type)))
		default:
			badRequest(w, "Request body is not valid JSON")
		}
		return false
	}
	if field, problem := checkFields(reflect.ValueOf(v), ""); field != "" {
		refuseField(w, r, field, problem)
		return false
	}
	return true
}

// jsonKind names what JSON value a Go type takes, for error messages that
// must not show Go type names.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	if t.Implements(reflect.TypeFor[json.Unmarshaler]()) || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return "a string or a number"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "another value"
	}
}

// checkFields walks a decoded request and returns the path and problem of
// the first field that fails edge validation, or "" when all pass. Paths
// use the JSON names: "logInfo.messages[3].subject".
func checkFields(v reflect.Value, path string) (field, problem string) {
	if !v.IsValid() {
		return "", ""
	}
	if v.CanInterface() && v.Type().Implements(checkerType) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return "", ""
		}
		if p := v.Interface().(fieldChecker).check(); p != "" {
			return nameOr(path), p
		}
		return "", ""
	}
	if v.Type() == rawMessageType {
		// Kept raw for later (settings): check what it will decode to,
		// where a "\u0000" escape becomes a NUL.
		var decoded any
		if err := json.Unmarshal(v.Bytes(), &decoded); err != nil {
			return nameOr(path), "is not valid JSON"
		}
		return checkFields(reflect.ValueOf(decoded), path)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", ""
		}
		return checkFields(v.Elem(), path)
	case reflect.String:
		if !cleanText(v.String()) {
			return nameOr(path), "contains a NUL byte or invalid UTF-8"
		}
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return nameOr(path), "is not a finite number"
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			fv := v.Field(i)
			if limit := sf.Tag.Get("max"); limit != "" && fv.Kind() == reflect.Slice {
				if n, err := strconv.Atoi(limit); err == nil && fv.Len() > n {
					return join(path, name), fmt.Sprintf("has more than %d items", n)
				}
			}
			if f, p := checkFields(fv, join(path, name)); f != "" {
				return f, p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", "" // bytes, not text
		}
		for i := range v.Len() {
			if f, p := checkFields(v.Index(i), path+"["+strconv.Itoa(i)+"]"); f != "" {
				return f, p
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			if k.Kind() == reflect.String && !cleanText(k.String()) {
				return join(path, "(key)"), "contains a NUL byte or invalid UTF-8"
			}
			name := "(key)"
			if k.Kind() == reflect.String {
				name = k.String()
			}
			if f, p := checkFields(iter.Value(), join(path, name)); f != "" {
				return f, p
			}
		}
	}
	return "", ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func nameOr(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// invalidUTF8At returns the offset of the first byte of b that is not part
// of valid UTF-8, or -1.
func invalidUTF8At(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// fieldAtOffset names the JSON field whose key or value contains byte
// offset off of body, walking the token stream (the decoder itself replaces
// invalid UTF-8 silently, so it cannot tell). Used on the failure path only.
func fieldAtOffset(body []byte, off int) string {
	type frame struct {
		object  bool
		wantKey bool
		key     string
		index   int
	}
	var stack []*frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		return nameOr(b.String())
	}
	valueDone := func() {
		if n := len(stack); n > 0 {
			if top := stack[n-1]; top.object {
				top.wantKey = true
			} else {
				top.index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		end := int(dec.InputOffset())
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				stack = append(stack, &frame{object: t == '{', wantKey: true})
				continue
			}
			stack = stack[:len(stack)-1]
			valueDone()
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				if end > off {
					return path()
				}
				continue
			}
			if end > off {
				return path()
			}
			valueDone()
		default:
			if end > off {
				return path()
			}
			valueDone()
		}
	}
}
