package httpserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// Message types of the envelope's returnMessage. "danger" is legacy and
// never emitted.
const (
	typeSuccess = "success"
	typeWarning = "warning"
	typeError   = "error"
)

// returnMessage is the toast the client shows.
type returnMessage struct {
	Message     string   `json:"message"`
	MessageType string   `json:"messageType"`
	TTL         int      `json:"ttl"`
	Details     []detail `json:"details,omitempty"`
}

type detail struct {
	Title string       `json:"title"`
	Items []detailItem `json:"items"`
}

type detailItem struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Text string `json:"text"`
}

func msgSuccess(text string) *returnMessage {
	return &returnMessage{Message: text, MessageType: typeSuccess, TTL: 2000}
}

func msgWarning(text string) *returnMessage {
	return &returnMessage{Message: text, MessageType: typeWarning, TTL: 5000}
}

func msgError(text string) *returnMessage {
	return &returnMessage{Message: text, MessageType: typeError, TTL: 5000}
}

// envelope is the common part of every data-route response.
type envelope struct {
	Successful    bool           `json:"successful"`
	ReturnMessage *returnMessage `json:"returnMessage,omitempty"`
}

func failure(m *returnMessage) envelope { return envelope{Successful: false, ReturnMessage: m} }

// writeJSON writes v with the given status. Encoding our own response types
// cannot fail short of a broken connection, which the client sees anyway.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBufs.Get().(*bytes.Buffer)
	defer putJSONBuf(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	var b []byte
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"successful":false,"returnMessage":{"message":"Internal server error","messageType":"error","ttl":5000}}`)
	} else {
		// Encode ends the value with a newline json.Marshal does not
		// write; the body stays byte for byte what Marshal made.
		b = bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	}
	writeJSONBytes(w, status, b)
}

// writeJSONBytes writes b, a JSON value encoded by encoding/json, with the
// headers of writeJSON.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = headerJSON
	h["Cache-Control"] = headerNoStore
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Header values every JSON or text answer carries, shared so that setting
// them allocates nothing. The slices' capacity equals their length, so an
// Add by a later handler copies rather than writes into them; nothing
// writes into a header value slice in place.
var (
	headerJSON    = []string{"application/json; charset=utf-8"}[:1:1]
	headerText    = []string{"text/plain; charset=utf-8"}[:1:1]
	headerNoStore = []string{"no-store"}[:1:1]
	headerNoSniff = []string{"nosniff"}[:1:1]
)

// jsonBufs holds the buffers writeJSON encodes into; a buffer that grew past
// maxPooledJSONBuf (a large answer) is left to the garbage collector so the
// pool's memory stays bounded.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledJSONBuf = 64 << 10

func putJSONBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledJSONBuf {
		jsonBufs.Put(b)
	}
}

// writeText writes a text/plain body. The client shows the body of a non-2xx
// text answer as a toast, so these strings are user-facing.
func writeText(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h["Content-Type"] = headerText
	h["Cache-Control"] = headerNoStore
	h["X-Content-Type-Options"] = headerNoSniff
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}
