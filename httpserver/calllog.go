package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/internal/credential"
)

// reservationLease is how long a pending reservation protects its slot
// before another request may assume its owner died: longer than any adapter
// call can take.
func (s *Server) reservationLease() time.Duration { return s.opts.adapterTimeout + 30*time.Second }

// detached gives cleanup work (releasing a reservation, confirming a CRM
// record that now exists) a context that survives the request's end.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

type callLogResponse struct {
	envelope
	LogID string `json:"logId,omitempty"`
}

// createCallLog is POST /callLog: one CRM record per (user, sessionId), also
// under concurrent identical requests. The slot is reserved before the CRM
// is called and released if the call fails.
func (s *Server) createCallLog(w http.ResponseWriter, r *http.Request, sess *session) {
	var req createCallLogRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.LogInfo == nil || req.LogInfo.SessionID == "" {
		badRequest(w, "logInfo.sessionId is required")
		return
	}
	call := req.LogInfo.call()
	if req.ContactID == "" {
		writeJSON(w, http.StatusOK, failure(msgWarning("Contact not found for number "+call.ContactPhone().PhoneNumber)))
		return
	}
	ctx := r.Context()
	key, sid := sess.user.Key, call.SessionID
	note := req.Note
	if note == "" {
		// The note the user typed during the call (POST /callLog/cacheNote).
		note = s.cachedNote(ctx, key, sid)
	}
	if logID, ok := s.unconfirmed.get(keptCallLog, key, sid); ok {
		// A CRM record this server created and the store has not yet
		// recorded answers for the session, whatever the store says.
		writeJSON(w, http.StatusOK, callLogResponse{envelope: failure(msgWarning("Existing log for session " + sid)), LogID: logID})
		return
	}
	// A place for the id, should the store fail to record it; held until
	// it is recorded or kept.
	if !s.unconfirmed.admit(1) {
		s.fail(w, r, opCreateCallLog, sess.claims.Platform, storeErr(errTooManyUnconfirmed))
		return
	}
	defer s.unconfirmed.done(1)
	var takenOver bool
	logID, won, err := s.reserve(ctx, dedupeCallLog, func(ctx context.Context) (bool, string, error) {
		// Kept by a concurrent request while this one waited.
		if logID, ok := s.unconfirmed.get(keptCallLog, key, sid); ok {
			return false, logID, nil
		}
		res, err := s.store.ReserveCallLog(ctx, key, sid, s.reservationLease())
		takenOver = res.TakenOver
		return res.Won, res.LogID, err
	})
	if err != nil {
		s.fail(w, r, opCreateCallLog, sess.claims.Platform, err)
		return
	}
	contact := adapter.ContactRef{ID: string(req.ContactID), Type: req.ContactType, Name: req.ContactName}
	if won && takenOver && sess.platform.finder != nil {
		// The previous holder may have died after creating the record.
		logID, err = s.findCallLog(ctx, sess, contact, call)
		if err != nil {
			s.fail(w, r, opCreateCallLog, sess.claims.Platform, err)
			return
		}
		won = logID == ""
	} else if won && takenOver {
		s.log.LogAttrs(ctx, slog.LevelWarn,
			"taking over a stale call-log reservation; its holder may have created a CRM record already, and this adapter cannot tell (adapter.CallLogFinder)",
			slog.String("request_id", requestInfo(ctx).id), slog.String("platform", sess.claims.Platform))
	}
	if !won {
		writeJSON(w, http.StatusOK, callLogResponse{envelope: failure(msgWarning("Existing log for session " + sid)), LogID: logID})
		return
	}
	res, err := sess.platform.adapter.CreateCallLog(ctx, adapter.CreateCallLogRequest{
		Session:              sess.crmSession(),
		Contact:              contact,
		Call:                 call,
		Note:                 note,
		AINote:               req.AINote,
		Transcript:           req.Transcript,
		AdditionalSubmission: req.AdditionalSubmission,
	})
	if err == nil && res.LogID == "" {
		err = fmt.Errorf("%w: CreateCallLog returned an empty log id", errAdapterContract)
	}
	if err != nil {
		cctx, cancel := detached(ctx)
		if rerr := s.store.ReleaseCallLog(cctx, key, sid); rerr != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "releasing call-log reservation failed; it expires with its lease",
				slog.String("request_id", requestInfo(ctx).id), slog.String("error", rerr.Error()))
		}
		cancel()
		s.fail(w, r, opCreateCallLog, sess.claims.Platform, err)
		return
	}
	if err := s.confirm(ctx, func(ctx context.Context) error { return s.store.ConfirmCallLog(ctx, key, sid, res.LogID) }); err != nil {
		// The CRM record exists: forgetting its id would let a retry create
		// a second one once the lease runs out (PROTOCOL.md §7). Keep it,
		// record it when the store answers, and tell the client it is
		// logged, which is true.
		s.log.LogAttrs(ctx, slog.LevelError, "CRM call log created but the store cannot record it yet; retrying in the background",
			slog.String("request_id", requestInfo(ctx).id), slog.String("log_id", res.LogID), slog.String("error", err.Error()))
		s.keep(keptCallLog, key, sid, res.LogID)
	}
	s.callLoggedTo(sess, call, string(req.ContactID))
	msg := res.Message
	if msg == "" {
		msg = "Call logged"
	}
	writeJSON(w, http.StatusOK, callLogResponse{envelope: envelope{Successful: true, ReturnMessage: msgSuccess(msg)}, LogID: res.LogID})
}

// findCallLog asks the CRM for the record of a call session whose
// reservation was taken over, and records the id found. On any failure the
// reservation is released and nothing is created: a retry later is better
// than a second record.
func (s *Server) findCallLog(ctx context.Context, sess *session, contact adapter.ContactRef, call adapter.Call) (string, error) {
	key, sid := sess.user.Key, call.SessionID
	res, err := sess.platform.finder.FindCallLog(ctx, adapter.FindCallLogRequest{Session: sess.crmSession(), Contact: contact, Call: call})
	if unsupported(err) {
		res, err = adapter.FindCallLogResult{}, nil // as without a CallLogFinder: create it again
	}
	if err == nil && res.LogID != "" {
		err = s.confirm(ctx, func(ctx context.Context) error { return s.store.ConfirmCallLog(ctx, key, sid, res.LogID) })
		if err != nil {
			// The record exists either way: keep its id like a fresh one.
			s.keep(keptCallLog, key, sid, res.LogID)
			err = nil
		}
	}
	if err != nil {
		cctx, cancel := detached(ctx)
		defer cancel()
		if rerr := s.store.ReleaseCallLog(cctx, key, sid); rerr != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "releasing call-log reservation failed; it expires with its lease",
				slog.String("request_id", requestInfo(ctx).id), slog.String("error", rerr.Error()))
		}
		return "", err
	}
	if res.LogID != "" {
		s.log.LogAttrs(ctx, slog.LevelWarn, "a stale call-log reservation's CRM record was found and recorded",
			slog.String("request_id", requestInfo(ctx).id), slog.String("log_id", res.LogID))
	}
	return res.LogID, nil
}

// reserve claims a dedupe slot. While another request holds it pending, it
// waits (polling, bounded by ctx) for that request to confirm (then the
// existing id is returned) or release (then it tries to claim it again).
func (s *Server) reserve(ctx context.Context, kind string, try func(context.Context) (won bool, logID string, err error)) (string, bool, error) {
	wait := 10 * time.Millisecond
	for waited := false; ; waited = true {
		won, logID, err := try(ctx)
		if err != nil {
			return "", false, storeErr(err)
		}
		if won || logID != "" {
			s.opts.metrics.observeDedupe(kind, dedupeOutcome(won, waited))
			return logID, won, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", false, fmt.Errorf("waiting for a concurrent request to log the same item: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, 250*time.Millisecond)
	}
}

// confirm records a CRM id after the CRM record exists. It must not be lost
// to a request that is ending, so it runs detached and is retried briefly.
func (s *Server) confirm(ctx context.Context, f func(context.Context) error) error {
	cctx, cancel := detached(ctx)
	defer cancel()
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
		if err = f(cctx); err == nil {
			return nil
		}
	}
	return err
}

type callLogLookup struct {
	SessionID string       `json:"sessionId"`
	Matched   bool         `json:"matched"`
	LogID     string       `json:"logId,omitempty"`
	LogData   *callLogData `json:"logData,omitempty"`
}

type callLogData struct {
	Subject      string         `json:"subject"`
	Note         string         `json:"note"`
	Dispositions map[string]any `json:"dispositions,omitempty"`
}

type callLogsResponse struct {
	envelope
	Logs []callLogLookup `json:"logs"`
}

// getCallLogs is GET /callLog: one entry per requested session id, in
// request order, with the CRM record's subject and note when asked.
func (s *Server) getCallLogs(w http.ResponseWriter, r *http.Request, sess *session) {
	ids, over := splitList(sess.query.Get("sessionIds"), maxSessionIDs)
	if over {
		refuseField(w, r, "sessionIds", fmt.Sprintf("has more than %d ids", maxSessionIDs))
		return
	}
	if len(ids) == 0 {
		badRequest(w, "sessionIds is required")
		return
	}
	found, err := s.store.CallLogIDs(r.Context(), sess.user.Key, ids)
	if err != nil {
		s.fail(w, r, opGetCallLog, sess.claims.Platform, storeErr(err))
		return
	}
	found = s.unconfirmed.overlay(keptCallLog, sess.user.Key, ids, found)
	out := callLogsResponse{envelope: envelope{Successful: true}, Logs: make([]callLogLookup, len(ids))}
	for i, id := range ids {
		logID, ok := found[id]
		out.Logs[i] = callLogLookup{SessionID: id, Matched: ok, LogID: logID}
	}
	if sess.query.Get("requireDetails") == "true" {
		if err := s.fillCallLogDetails(r.Context(), sess, out.Logs); err != nil {
			s.fail(w, r, opGetCallLog, sess.claims.Platform, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// fillCallLogDetails reads the matched CRM records concurrently (bounded).
// A record the CRM cannot return stays without logData; a revoked session
// fails the whole request.
func (s *Server) fillCallLogDetails(ctx context.Context, sess *session, logs []callLogLookup) error {
	if sess.platform.reader == nil {
		return nil // the logs are matched, without logData
	}
	const parallel = 8
	var (
		wg    sync.WaitGroup
		sem   = make(chan struct{}, parallel)
		mu    sync.Mutex
		fatal error
	)
	for i := range logs {
		if !logs[i].Matched {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// recoverPanics guards the request's goroutine only: a panic
			// here would take the whole process down.
			defer func() {
				if v := recover(); v != nil {
					s.log.LogAttrs(ctx, slog.LevelError, "panic in GetCallLog",
						slog.String("request_id", requestInfo(ctx).id), slog.Any("panic", v),
						slog.String("stack", string(debug.Stack())))
				}
			}()
			res, err := sess.platform.reader.GetCallLog(ctx, adapter.GetCallLogRequest{Session: sess.crmSession(), LogID: logs[i].LogID})
			if unsupported(err) {
				return // as without a CallLogReader: matched, no logData
			}
			if err != nil {
				if isSessionFailure(err) {
					mu.Lock()
					fatal = err
					mu.Unlock()
				} else {
					s.log.LogAttrs(ctx, slog.LevelWarn, "reading call log failed",
						slog.String("request_id", requestInfo(ctx).id), slog.String("error", logSafe(err)))
				}
				return
			}
			logs[i].LogData = &callLogData{Subject: res.Subject, Note: res.Note, Dispositions: res.Dispositions}
		})
	}
	wg.Wait()
	return fatal
}

// unsupported reports an adapter's "not available for this user": the
// server then answers as if the adapter lacked the capability.
func unsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }

// isSessionFailure reports errors that end the request whatever else
// succeeded: the user must reconnect, or the store is down.
func isSessionFailure(err error) bool {
	return errors.Is(err, errSessionGone) || errors.Is(err, adapter.ErrUnauthorized) ||
		errors.Is(err, errStore) || errors.Is(err, credential.ErrRevoked)
}

type callLogUpdateResponse struct {
	envelope
	LogID       string `json:"logId,omitempty"`
	UpdatedNote string `json:"updatedNote,omitempty"`
}

// lookupLogID finds the user's confirmed CRM id for a call session.
func (s *Server) lookupLogID(ctx context.Context, userKey, sessionID string) (string, bool, error) {
	found, err := s.store.CallLogIDs(ctx, userKey, []string{sessionID})
	if err != nil {
		return "", false, storeErr(err)
	}
	found = s.unconfirmed.overlay(keptCallLog, userKey, []string{sessionID}, found)
	id, ok := found[sessionID]
	return id, ok, nil
}

// sessionLog finds the CRM log of the call session that a PATCH /callLog or
// PUT /callDisposition names. When there is none to work on it answers the
// client itself and returns false: 400 without a sessionId, the store's
// failure as op's, and a warning saying notFound for a session never
// logged.
func (s *Server) sessionLog(w http.ResponseWriter, r *http.Request, sess *session, op operation, sessionID, notFound string) (string, bool) {
	if sessionID == "" {
		badRequest(w, "sessionId is required")
		return "", false
	}
	logID, ok, err := s.lookupLogID(r.Context(), sess.user.Key, sessionID)
	if err != nil {
		s.fail(w, r, op, sess.claims.Platform, err)
		return "", false
	}
	if !ok {
		writeJSON(w, http.StatusOK, failure(msgWarning(notFound)))
		return "", false
	}
	return logID, true
}

// update is the adapter's view of a PATCH /callLog: only keys present with a
// non-empty value are set (PROTOCOL.md §3, "an empty string never erases").
// The client's 5-minute recording sweep sends "note":"" with the recording
// link and the call's details; a note the user saved earlier must survive
// it, so an empty string, a zero time or duration, a party without number
// and name, and an empty additionalSubmission all mean "not sent". The
// server applies the rule once here for every adapter.
func (req *updateCallLogRequest) update(sess adapter.Session, logID string) adapter.UpdateCallLogRequest {
	u := adapter.UpdateCallLogRequest{
		Session:               sess,
		LogID:                 logID,
		SessionID:             string(req.SessionID),
		Subject:               nonEmpty(req.Subject),
		Note:                  nonEmpty(req.Note),
		AINote:                nonEmpty(req.AINote),
		Transcript:            nonEmpty(req.Transcript),
		RecordingLink:         nonEmpty(req.RecordingLink),
		RecordingDownloadLink: nonEmpty(req.RecordingDownloadLink),
		Result:                nonEmpty(req.Result),
		Direction:             nonEmpty(req.Direction),
	}
	if len(req.AdditionalSubmission) > 0 {
		u.AdditionalSubmission = req.AdditionalSubmission
	}
	if req.StartTime != nil && !req.StartTime.IsZero() {
		u.StartTime = &req.StartTime.Time
	}
	if req.Duration != nil && req.Duration.Duration > 0 {
		u.Duration = &req.Duration.Duration
	}
	if req.From != nil && (req.From.PhoneNumber != "" || req.From.Name != "") {
		p := req.From.party()
		u.From = &p
	}
	if req.To != nil && (req.To.PhoneNumber != "" || req.To.Name != "") {
		p := req.To.party()
		u.To = &p
	}
	return u
}

// nonEmpty is v unless it is absent or blank.
func nonEmpty(v *string) *string {
	if v == nil || strings.TrimSpace(*v) == "" {
		return nil
	}
	return v
}

// updateCallLog is PATCH /callLog: only the fields present with a value
// change.
func (s *Server) updateCallLog(w http.ResponseWriter, r *http.Request, sess *session) {
	var req updateCallLogRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	logID, ok := s.sessionLog(w, r, sess, opUpdateCallLog, string(req.SessionID), "Cannot find log for session "+string(req.SessionID))
	if !ok {
		return
	}
	if sess.platform.updater == nil {
		writeJSON(w, http.StatusOK, failure(msgWarning(sess.claims.Platform+" does not support updating call logs")))
		return
	}
	res, err := sess.platform.updater.UpdateCallLog(r.Context(), req.update(sess.crmSession(), logID))
	if unsupported(err) {
		writeJSON(w, http.StatusOK, failure(msgWarning(sess.claims.Platform+" does not support updating call logs")))
		return
	}
	if err != nil {
		s.fail(w, r, opUpdateCallLog, sess.claims.Platform, err)
		return
	}
	msg := res.Message
	if msg == "" {
		msg = "Call log updated"
	}
	writeJSON(w, http.StatusOK, callLogUpdateResponse{
		envelope:    envelope{Successful: true, ReturnMessage: msgSuccess(msg)},
		LogID:       logID,
		UpdatedNote: res.UpdatedNote,
	})
}

// setCallDisposition is PUT /callDisposition (DispositionSetter).
func (s *Server) setCallDisposition(w http.ResponseWriter, r *http.Request, sess *session) {
	var req dispositionRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if sess.platform.disposer == nil {
		writeJSON(w, http.StatusOK, failure(msgWarning(sess.claims.Platform+" does not support call dispositions")))
		return
	}
	logID, ok := s.sessionLog(w, r, sess, opDisposition, string(req.SessionID), "Cannot find log")
	if !ok {
		return
	}
	_, err := sess.platform.disposer.SetCallDisposition(r.Context(), adapter.SetCallDispositionRequest{
		Session:              sess.crmSession(),
		LogID:                logID,
		Dispositions:         req.Dispositions,
		AdditionalSubmission: req.AdditionalSubmission,
	})
	if unsupported(err) {
		writeJSON(w, http.StatusOK, failure(msgWarning(sess.claims.Platform+" does not support call dispositions")))
		return
	}
	if err != nil {
		s.fail(w, r, opDisposition, sess.claims.Platform, err)
		return
	}
	writeJSON(w, http.StatusOK, envelope{Successful: true, ReturnMessage: msgSuccess("Disposition saved")})
}
