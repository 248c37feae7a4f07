package pipedrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/logbody"
)

// activityWrite is the writable part of a v2 activity. Persons are linked
// through participants: v2 makes person_id read-only.
type activityWrite struct {
	Subject      *string       `json:"subject,omitempty"`
	Type         string        `json:"type,omitempty"`
	Note         *string       `json:"note,omitempty"`
	DueDate      string        `json:"due_date,omitempty"`
	DueTime      string        `json:"due_time,omitempty"`
	Duration     string        `json:"duration,omitempty"`
	Done         *bool         `json:"done,omitempty"`
	DealID       int64         `json:"deal_id,omitempty"`
	Participants []participant `json:"participants,omitempty"`
}

type participant struct {
	PersonID int64 `json:"person_id"`
	Primary  bool  `json:"primary"`
}

type activityRead struct {
	ID        int64  `json:"id"`
	Subject   string `json:"subject"`
	Note      string `json:"note"`
	IsDeleted bool   `json:"is_deleted"`
}

func activityPath(id int64) string { return "/api/v2/activities/" + strconv.FormatInt(id, 10) }

func getActivity(ctx context.Context, c api, id int64) (activityRead, error) {
	var a activityRead
	if err := c.Do(ctx, "GET", activityPath(id), nil, nil, &a); err != nil {
		return activityRead{}, err
	}
	if a.IsDeleted {
		return activityRead{}, fmt.Errorf("pipedrive: activity %d is deleted: %w", id, adapter.ErrNotFound)
	}
	return a, nil
}

// createActivity posts w with the company's type chosen by pick. A
// validation refusal drops the cached types, in case an admin changed them.
func (a *Adapter) createActivity(ctx context.Context, c api, x userExtra, w activityWrite, pick func(activityTypes) string) (string, error) {
	types, err := a.activityTypes(ctx, c, x)
	if err != nil {
		return "", err
	}
	w.Type = pick(types)
	done := true
	w.Done = &done
	var created activityRead
	if err := c.Do(ctx, "POST", "/api/v2/activities", nil, w, &created); err != nil {
		if _, ok := errors.AsType[*adapter.UserError](err); ok {
			a.types.forget(x.companyKey(), nil)
		}
		return "", err
	}
	if created.ID == 0 {
		return "", errors.New("pipedrive: POST /api/v2/activities: no id in the answer")
	}
	return strconv.FormatInt(created.ID, 10), nil
}

// links returns the person and the chosen deal (from the "deals"
// additional field) an activity is linked to.
func links(contactID string, submission map[string]any) ([]participant, int64, error) {
	personID, err := parseID("person", contactID)
	if err != nil {
		return nil, 0, err
	}
	dealID, err := submittedDeal(submission)
	if err != nil {
		return nil, 0, err
	}
	return []participant{{PersonID: personID, Primary: true}}, dealID, nil
}

// submittedDeal reads the deal id the user picked, 0 for none.
func submittedDeal(submission map[string]any) (int64, error) {
	v, ok := submission[dealsField]
	if !ok || v == nil {
		return 0, nil
	}
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = t.String()
	case float64:
		s = strconv.FormatFloat(t, 'f', -1, 64)
	case int:
		s = strconv.Itoa(t)
	case int64:
		s = strconv.FormatInt(t, 10)
	default:
		return 0, &adapter.UserError{Message: "The chosen deal is not a Pipedrive deal."}
	}
	if s = strings.TrimSpace(s); s == "" || s == "none" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, &adapter.UserError{Message: "The chosen deal is not a Pipedrive deal."}
	}
	return id, nil
}

// CreateCallLog records the call as a done activity of the company's call
// type, due at the call's start (UTC), linked to the person and the chosen
// deal. The note is logbody's HTML body: the user's note, the AI note and
// transcript when sent, and the call details the user's settings ask for.
func (a *Adapter) CreateCallLog(ctx context.Context, req adapter.CreateCallLogRequest) (adapter.CreateCallLogResult, error) {
	c, x, err := userAPI(req.Session)
	if err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	parts, dealID, err := links(req.Contact.ID, req.AdditionalSubmission)
	if err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	call := req.Call
	subject := logbody.Subject(call, req.Contact)
	body := logbody.New(adapter.LogFormatHTML, req)
	if _, ok := body.Detail(logbody.LabelSessionID); !ok {
		// FindCallLog finds the activity by it, so it stays even when the
		// user's addCallSessionId setting is off: a call is never logged
		// twice.
		body.SetDetail(logbody.LabelSessionID, call.SessionID)
	}
	noteHTML := body.String()
	w := activityWrite{
		Subject:      &subject,
		Note:         &noteHTML,
		Duration:     hhmm(call.Duration),
		DealID:       dealID,
		Participants: parts,
	}
	if !call.StartTime.IsZero() {
		w.DueDate, w.DueTime = due(call.StartTime)
	}
	id, err := a.createActivity(ctx, c, x, w, func(t activityTypes) string { return t.call })
	if err != nil {
		return adapter.CreateCallLogResult{}, err
	}
	return adapter.CreateCallLogResult{LogID: id}, nil
}

// LogFormat says that activity notes are HTML.
func (a *Adapter) LogFormat() adapter.LogFormat { return adapter.LogFormatHTML }

// findCallLogLimit is how many of the person's latest activities
// FindCallLog reads: one page. The server asks only about a call whose
// record a server may have created moments to minutes before.
const findCallLogLimit = 100

// FindCallLog looks among the person's latest activities for the one whose
// call details carry the session id (adapter.CallLogFinder). The record
// of a retried call is recent, so one page of the newest suffices.
func (a *Adapter) FindCallLog(ctx context.Context, req adapter.FindCallLogRequest) (adapter.FindCallLogResult, error) {
	if req.Call.SessionID == "" {
		return adapter.FindCallLogResult{}, nil
	}
	c, _, err := userAPI(req.Session)
	if err != nil {
		return adapter.FindCallLogResult{}, err
	}
	personID, err := parseID("person", req.Contact.ID)
	if err != nil {
		return adapter.FindCallLogResult{}, err
	}
	q := url.Values{
		"person_id":      {strconv.FormatInt(personID, 10)},
		"sort_by":        {"add_time"},
		"sort_direction": {"desc"},
		"limit":          {strconv.Itoa(findCallLogLimit)},
	}
	var acts []activityRead
	if err := c.Do(ctx, "GET", "/api/v2/activities", q, nil, &acts); err != nil {
		return adapter.FindCallLogResult{}, err
	}
	for _, act := range acts[:min(len(acts), findCallLogLimit)] {
		if act.IsDeleted {
			continue
		}
		n, err := logbody.Parse(adapter.LogFormatHTML, act.Note)
		if err != nil {
			continue // too large to be one of ours
		}
		if v, ok := n.Detail(logbody.LabelSessionID); ok && v == req.Call.SessionID {
			return adapter.FindCallLogResult{LogID: strconv.FormatInt(act.ID, 10)}, nil
		}
	}
	return adapter.FindCallLogResult{}, nil
}

// GetCallLog reads the activity's subject and the user's part of its note
// as plain text.
func (a *Adapter) GetCallLog(ctx context.Context, req adapter.GetCallLogRequest) (adapter.GetCallLogResult, error) {
	c, _, err := userAPI(req.Session)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	id, err := parseID("activity", req.LogID)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	act, err := getActivity(ctx, c, id)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	note, err := logbody.Parse(adapter.LogFormatHTML, act.Note)
	if err != nil {
		return adapter.GetCallLogResult{}, err
	}
	return adapter.GetCallLogResult{Subject: act.Subject, Note: note.Note()}, nil
}

// UpdateCallLog changes what the client sent: the subject replaces the
// activity's, start time and duration move the activity, a chosen deal
// relinks it, and logbody's Body.Update applies the rest to the note (the
// note replaces only the user's part, keeping the call details; a
// recording link is added once; empty values change nothing). It sends nothing when nothing changes. The note's
// read-modify-write is serialized per activity within this process.
func (a *Adapter) UpdateCallLog(ctx context.Context, req adapter.UpdateCallLogRequest) (adapter.UpdateCallLogResult, error) {
	c, x, err := userAPI(req.Session)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	id, err := parseID("activity", req.LogID)
	if err != nil {
		return adapter.UpdateCallLogResult{}, err
	}
	var w activityWrite
	changed := false
	if req.Subject != nil && strings.TrimSpace(*req.Subject) != "" {
		w.Subject, changed = req.Subject, true
	}
	if req.StartTime != nil && !req.StartTime.IsZero() {
		w.DueDate, w.DueTime = due(*req.StartTime)
		changed = true
	}
	if req.Duration != nil && *req.Duration > 0 {
		w.Duration, changed = hhmm(*req.Duration), true
	}
	if _, ok := req.AdditionalSubmission[dealsField]; ok {
		dealID, err := submittedDeal(req.AdditionalSubmission)
		if err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
		if dealID != 0 {
			w.DealID, changed = dealID, true
		}
	}

	var result adapter.UpdateCallLogResult
	recording := req.RecordingLink != nil && logbody.IsWebLink(*req.RecordingLink)
	if req.Note != nil || req.AINote != nil || req.Transcript != nil || recording || req.Duration != nil ||
		req.Result != nil || req.Direction != nil || req.From != nil || req.To != nil ||
		req.Subject != nil || req.StartTime != nil {
		unlock, err := a.notes.lock(ctx, x.companyKey()+"/"+strconv.FormatInt(id, 10))
		if err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
		defer unlock()
		act, err := getActivity(ctx, c, id)
		if err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
		note, err := logbody.Parse(adapter.LogFormatHTML, act.Note)
		if err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
		if note.Update(req) {
			h := note.String()
			w.Note, changed = &h, true
		}
		result.UpdatedNote = note.Note()
	}
	if changed {
		if err := c.Do(ctx, "PATCH", activityPath(id), nil, w, nil); err != nil {
			return adapter.UpdateCallLogResult{}, err
		}
	}
	return result, nil
}
