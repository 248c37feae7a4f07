package httpserver

import (
	"encoding/json"
	"net/http"
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
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"successful":false,"returnMessage":{"message":"Internal server error","messageType":"error","ttl":5000}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeText writes a text/plain body. The client shows the body of a non-2xx
// text answer as a toast, so these strings are user-facing.
func writeText(w http.ResponseWriter, status int, text string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}
