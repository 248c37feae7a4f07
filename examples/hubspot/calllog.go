package hubspot

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

// HubSpot-defined association types from an engagement to a contact.
const (
	assocCallToContact = 194
	assocNoteToContact = 202
)

const callsPath = "/crm/objects/2026-03/calls"

type association struct {
	To    map[string]string `json:"to"`
	Types []assocType       `json:"types"`
}

type assocType struct {
	Category string `json:"associationCategory"`
	TypeID   int    `json:"associationTypeId"`
}

func associationTo(contactID string, typeID int) []association {
	return []association{{To: map[string]string{"id": contactID}, Types: []assocType{{"HUBSPOT_DEFINED", typeID}}}}
}

type record struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

// direction maps the client's "Inbound"/"Outbound" to HubSpot's values.
func direction(d string) string {
	switch strings.ToLower(strings.TrimSpace(d)) {
	case "inbound":
		return "INBOUND"
	case "outbound":
		return "OUTBOUND"
	}
	return ""
}

// callStatus maps the telephony result to HubSpot's call status.
func callStatus(result string) string {
	r := strings.ToLower(result)
	switch {
	case strings.Contains(r, "busy"):
		return "BUSY"
	case strings.Contains(r, "missed"), strings.Contains(r, "no answer"), strings.Contains(r, "hang up"), strings.Contains(r, "rejected"):
		return "NO_ANSWER"
	case strings.Contains(r, "fail"), strings.Contains(r, "error"):
		return "FAILED"
	}
	return "COMPLETED"
}

// LogFormat says that call bodies (hs_call_body) and notes are HTML.
func (a *Adapter) LogFormat() adapter.LogFormat { return adapter.LogFormatHTML }

func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// CreateCallLog creates a completed call engagement associated with the
// contact, owned by the user: title, timestamp (the call's start),
// duration in milliseconds, direction INBOUND/OUTBOUND, the parties'
// numbers, the recording URL, and logbody's HTML body (note, AI note,
// transcript, the call details the user's settings ask for).
func (a *Adapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	contactID, err := parseID("contact", req.Contact.ID)
	if err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	call := req.Call
	start := call.StartTime
	if start.IsZero() {
		start = time.Now()
	}
	props := map[string]string{
		"hs_timestamp":     millis(start),
		"hs_call_title":    logbody.Subject(call, req.Contact),
		"hs_call_duration": strconv.FormatInt(max(call.Duration, 0).Milliseconds(), 10),
		"hs_call_status":   callStatus(call.Result),
	}
	if d := direction(call.Direction); d != "" {
		props["hs_call_direction"] = d
	}
	if n := strings.TrimSpace(call.From.PhoneNumber); n != "" {
		props["hs_call_from_number"] = n
	}
	if n := strings.TrimSpace(call.To.PhoneNumber); n != "" {
		props["hs_call_to_number"] = n
	}
	if call.Recording != nil && logbody.IsWebLink(call.Recording.Link) {
		props["hs_call_recording_url"] = strings.TrimSpace(call.Recording.Link)
	}
	props["hs_call_body"] = logbody.New(adapter.LogFormatHTML, req).String()
	if o := extraOf(req.User).OwnerID; o != "" {
		props["hubspot_owner_id"] = o
	}
	var created record
	if err := a.api(req.Session).Do(ctx, "POST", callsPath, nil, map[string]any{
		"properties":   props,
		"associations": associationTo(contactID, assocCallToContact),
	}, &created); err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	if created.ID == "" {
		return adapter.CreateCallLogResult{}, errors.New("hubspot: POST calls: no id in the answer")
	}
	return adapter.CreateCallLogResult{LogID: created.ID}, nil
}

func (a *Adapter) getCall(ctx context.Context, c api, id string, props ...string) (record, error) {
	var r record
	err := c.Do(ctx, "GET", callsPath+"/"+id, url.Values{"properties": {strings.Join(props, ",")}}, nil, &r)
	if r.Properties == nil {
		r.Properties = map[string]string{}
	}
	return r, err
}

// GetCallLog reads the call's title and the user's part of its body.
func (a *Adapter) GetCallLog(ctx context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	id, err := parseID("call", req.LogID)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	r, err := a.getCall(ctx, a.api(req.Session), id, "hs_call_title", "hs_call_body")
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	body, err := logbody.Parse(adapter.LogFormatHTML, r.Properties["hs_call_body"])
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	return adapter.GetCallLogResult{Subject: r.Properties["hs_call_title"], Note: body.Note()}, nil
}

// nonEmpty is the value of a field the client sent with content: an empty
// string never erases (PROTOCOL.md, PATCH /callLog).
func nonEmpty(p *string) (string, bool) {
	if p == nil || strings.TrimSpace(*p) == "" {
		return "", false
	}
	return *p, true
}

// UpdateCallLog PATCHes only the properties the request changes. Subject,
// start and direction are properties of their own; note, AI note and
// transcript replace their part of the body and keep the rest (logbody's
// Body.Update); duration, result and the contact's number change their
// detail line (and property); a recording link is added once, to
// hs_call_recording_url and to the body. Empty
// values change nothing. The body's read-modify-write is serialized per
// call within this process, and nothing is sent when nothing changed.
func (a *Adapter) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	id, err := parseID("call", req.LogID)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	c := a.api(req.Session)
	props := map[string]string{}
	if s, ok := nonEmpty(req.Subject); ok {
		props["hs_call_title"] = strings.TrimSpace(s)
	}
	if req.StartTime != nil && !req.StartTime.IsZero() {
		props["hs_timestamp"] = millis(*req.StartTime)
	}
	if d, ok := nonEmpty(req.Direction); ok && direction(d) != "" {
		props["hs_call_direction"] = direction(d)
	}
	if req.Duration != nil && *req.Duration > 0 {
		props["hs_call_duration"] = strconv.FormatInt(req.Duration.Milliseconds(), 10)
	}
	if req.From != nil && strings.TrimSpace(req.From.PhoneNumber) != "" {
		props["hs_call_from_number"] = strings.TrimSpace(req.From.PhoneNumber)
	}
	if req.To != nil && strings.TrimSpace(req.To.PhoneNumber) != "" {
		props["hs_call_to_number"] = strings.TrimSpace(req.To.PhoneNumber)
	}
	_, hasNote := nonEmpty(req.Note)
	_, hasAI := nonEmpty(req.AINote)
	_, hasTranscript := nonEmpty(req.Transcript)
	link, hasLink := nonEmpty(req.RecordingLink)
	hasLink = hasLink && logbody.IsWebLink(link)
	link = strings.TrimSpace(link)
	_, hasResult := nonEmpty(req.Result)
	onlyLink := hasLink && len(props) == 0 && !hasNote && !hasAI && !hasTranscript && !hasResult &&
		(req.From == nil || logbody.PartyText(*req.From) == "") && (req.To == nil || logbody.PartyText(*req.To) == "")
	if onlyLink && a.recorded.has(id, link) {
		// The 5-minute recording sweep repeats itself: this process already
		// added this link to this call, so there is nothing to read or send.
		return adapter.UpdateCallLogResult{}, nil
	}

	var out adapter.UpdateCallLogResult
	if hasNote || hasAI || hasTranscript || hasLink || hasResult || len(props) > 0 ||
		(req.From != nil && logbody.PartyText(*req.From) != "") || (req.To != nil && logbody.PartyText(*req.To) != "") {
		unlock, err := a.records.lock(ctx, id)
		if err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
		defer unlock()
		cur, err := a.getCall(ctx, c, id, "hs_call_body", "hs_call_recording_url")
		if err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
		old := cur.Properties["hs_call_body"]
		body, err := logbody.Parse(adapter.LogFormatHTML, old)
		if err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
		body.Update(req)
		if hasLink && cur.Properties["hs_call_recording_url"] != link {
			props["hs_call_recording_url"] = link
		}
		if b := body.String(); b != old {
			props["hs_call_body"] = b
		}
		out.UpdatedNote = body.Note()
	}
	if len(props) > 0 {
		if err := c.Do(ctx, "PATCH", callsPath+"/"+id, nil, map[string]any{"properties": props}, nil); err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
	}
	if hasLink {
		a.recorded.add(id, link)
	}
	return out, nil
}

// maxRecorded bounds the memory of recording links already added.
const maxRecorded = 4096

// recordedLinks remembers which recording link this process added to which
// call, so that the client's repeated recording sweeps cost no CRM request.
// It starts over when full; a forgotten entry only costs one read.
type recordedLinks struct {
	mu sync.Mutex
	m  map[string]string // call id -> link
}

func (r *recordedLinks) has(id, link string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[id] == link
}

func (r *recordedLinks) add(id, link string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil || len(r.m) >= maxRecorded {
		r.m = make(map[string]string)
	}
	r.m[id] = link
}
