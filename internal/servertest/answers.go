package servertest

import (
	"encoding/json"
	"net/http"

	"github.com/crmbridge/crmbridge/adapter"
)

// ReturnMessage is an answer's returnMessage as the client reads it.
type ReturnMessage struct {
	Message     string `json:"message"`
	MessageType string `json:"messageType"`
	Details     []struct {
		Title string `json:"title"`
		Items []struct {
			Text string `json:"text"`
		} `json:"items"`
	} `json:"details"`
}

// Contact is one entry of GET /contact's "contact" array.
type Contact struct {
	ID             string                      `json:"id"`
	Name           string                      `json:"name"`
	Phone          string                      `json:"phone"`
	Type           string                      `json:"type"`
	Organization   string                      `json:"organization"`
	AdditionalInfo map[string][]adapter.Option `json:"additionalInfo"`
	IsNewContact   bool                        `json:"isNewContact"`
}

// ContactAnswer is the answer of GET /contact.
type ContactAnswer struct {
	Successful    bool          `json:"successful"`
	ReturnMessage ReturnMessage `json:"returnMessage"`
	Contact       []Contact     `json:"contact"`
}

// FindContact sends GET /contact?jwtToken=jwt&query as the client does
// (query unencoded: "phoneNumber=+16505551212&overridingFormat=...") and
// decodes a 200 answer; another status leaves the ContactAnswer empty.
func (s *Server) FindContact(jwt, query string) (Response, ContactAnswer) {
	s.env.Helper()
	r := s.Do("GET", "/contact?jwtToken="+jwt+"&"+query, nil)
	var a ContactAnswer
	if r.Status == http.StatusOK {
		if err := json.Unmarshal(r.Body, &a); err != nil {
			s.fatal("GET /contact: %v: %s", err, r.Body)
		}
	}
	return r, a
}
