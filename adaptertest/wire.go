package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/crmbridge/crmbridge/internal/servertest"
)

// client speaks the wire protocol to the server under test as the softphone
// client does: the session JWT in the jwtToken query parameter, phone
// numbers unencoded (so a "+" arrives as a space, which the server must
// restore).
type client struct {
	srv *servertest.Server
	jwt string
}

// answer is a response of the server.
type answer struct {
	method, target string
	status         int
	contentType    string
	body           []byte
}

// do sends a request. pathQuery is sent as it is; body is JSON-encoded
// unless nil. withJWT adds the session JWT to the query.
func (c *client) do(ctx context.Context, method, pathQuery string, body any, withJWT bool) (answer, error) {
	if withJWT {
		sep := "?"
		if strings.Contains(pathQuery, "?") {
			sep = "&"
		}
		pathQuery += sep + "jwtToken=" + c.jwt
	}
	var payload any
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{}, fmt.Errorf("encoding the %s %s body: %w", method, routeOf(pathQuery), err)
		}
		payload = b
	}
	res, err := c.srv.SendContext(ctx, method, pathQuery, payload)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // its text repeats the URL, session JWT and all
		}
		return answer{}, fmt.Errorf("%s %s: %w", method, routeOf(pathQuery), err)
	}
	return answer{
		method: method, target: routeOf(pathQuery),
		status: res.Status, contentType: res.Header.Get("Content-Type"), body: res.Body,
	}, nil
}

// routeOf is the path without the query: what failure messages name, so
// that they never carry a JWT.
func routeOf(pathQuery string) string {
	p, _, _ := strings.Cut(pathQuery, "?")
	return p
}

// decode reads the body as JSON into v.
func (a answer) decode(v any) error {
	if err := json.Unmarshal(a.body, v); err != nil {
		return fmt.Errorf("%s %s answered HTTP %d with a body that is not the expected JSON (%v): %.300s",
			a.method, a.target, a.status, err, a.body)
	}
	return nil
}

// String describes the answer for a failure message.
func (a answer) String() string {
	var e envelope
	if json.Unmarshal(a.body, &e) == nil && (e.Successful != nil || e.ReturnMessage != nil) {
		s := fmt.Sprintf("%s %s answered HTTP %d", a.method, a.target, a.status)
		if e.Successful != nil {
			s += fmt.Sprintf(" successful:%t", *e.Successful)
		}
		if e.ReturnMessage != nil {
			s += fmt.Sprintf(" %s %q", e.ReturnMessage.MessageType, e.ReturnMessage.Message)
		}
		return s
	}
	return fmt.Sprintf("%s %s answered HTTP %d %.300q", a.method, a.target, a.status, a.body)
}

// envelope is the common part of the data routes' answers.
type envelope struct {
	Successful    *bool          `json:"successful"`
	ReturnMessage *returnMessage `json:"returnMessage"`
}

func (e envelope) ok() bool { return e.Successful != nil && *e.Successful }

func (e envelope) message() string {
	if e.ReturnMessage == nil {
		return ""
	}
	return e.ReturnMessage.Message
}

type returnMessage struct {
	Message     string `json:"message"`
	MessageType string `json:"messageType"`
}

type loginAnswer struct {
	JWTToken      string         `json:"jwtToken"`
	Name          string         `json:"name"`
	ReturnMessage *returnMessage `json:"returnMessage"`
}

type wireContact struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	IsNewContact bool   `json:"isNewContact"`
}

type contactsAnswer struct {
	envelope
	Contact []wireContact `json:"contact"`
}

type createContactAnswer struct {
	envelope
	Contact *wireContact `json:"contact"`
}

type callLogAnswer struct {
	envelope
	LogID string `json:"logId"`
}

type callLogLookup struct {
	SessionID string `json:"sessionId"`
	Matched   bool   `json:"matched"`
	LogID     string `json:"logId"`
	LogData   *struct {
		Subject      string         `json:"subject"`
		Note         string         `json:"note"`
		Dispositions map[string]any `json:"dispositions"`
	} `json:"logData"`
}

type callLogsAnswer struct {
	envelope
	Logs []callLogLookup `json:"logs"`
}

type messageLogAnswer struct {
	envelope
	LogIDs []string `json:"logIds"`
}

type revokedAnswer struct {
	envelope
	ErrorCode string `json:"errorCode"`
}
