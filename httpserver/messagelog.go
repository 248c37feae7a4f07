package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/store"
)

type messageLogResponse struct {
	envelope
	LogIDs []string `json:"logIds"`
}

// createMessageLog is POST /messageLog. The client re-sends the whole day
// each time: messages already logged for this user are skipped, the rest are
// logged oldest first; the first new message of a conversation day creates
// one CRM record and later ones are appended to it. A lock per (user, day)
// serialises concurrent re-posts, and each message is reserved before the
// CRM is called, so no message is logged twice. When the store fails after
// the CRM call, the ids are kept and recorded later (see logMessage).
func (s *Server) createMessageLog(w http.ResponseWriter, r *http.Request, sess *session) {
	var req messageLogRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if sess.platform.messenger == nil {
		writeJSON(w, http.StatusOK, messageLogResponse{envelope: failure(msgWarning(sess.claims.Platform + " does not support logging messages")), LogIDs: []string{}})
		return
	}
	info := req.LogInfo
	if info == nil || len(info.Messages) == 0 {
		writeJSON(w, http.StatusOK, messageLogResponse{envelope: failure(msgWarning("No message to log.")), LogIDs: []string{}})
		return
	}
	if info.ConversationLogID == "" {
		badRequest(w, "logInfo.conversationLogId is required")
		return
	}
	for i := range info.Messages {
		if info.Messages[i].ID == "" {
			badRequest(w, fmt.Sprintf("logInfo.messages[%d].id is required", i))
			return
		}
	}
	if req.ContactID == "" {
		number := ""
		if len(info.Correspondents) > 0 {
			number = info.Correspondents[0].PhoneNumber
		}
		writeJSON(w, http.StatusOK, messageLogResponse{envelope: failure(msgWarning("Contact not found for number " + number)), LogIDs: []string{}})
		return
	}

	ctx := r.Context()
	key := sess.user.Key
	if s.allMessagesKept(key, info.Messages) {
		// A re-post of messages this server logged and the store has not
		// yet recorded: they count as logged (PROTOCOL.md §7), and nothing
		// here needs the store, which may still be down.
		writeJSON(w, http.StatusOK, messageLogResponse{envelope: envelope{Successful: true}, LogIDs: []string{}})
		return
	}
	if p := sess.platform; p.refresher != nil {
		// Refresh a token that is due before taking the conversation lock,
		// so the refresh lock is not taken while holding another: a store
		// may hold a connection per lock (store/postgres does), and nested
		// locks under load could wait for each other's connections.
		if _, err := p.refresher.Token(ctx, key); err != nil {
			s.fail(w, r, opMessageLog, sess.claims.Platform, err)
			return
		}
	}
	unlock, err := s.store.Lock(ctx, "conversation:"+key+":"+info.ConversationLogID)
	if err != nil {
		if ctx.Err() == nil {
			err = storeErr(err)
		}
		s.fail(w, r, opMessageLog, sess.claims.Platform, err)
		return
	}
	defer unlock()

	// The day's CRM record: one this server created and the store has not
	// yet recorded comes first, so a re-post meanwhile appends to it.
	dayLogID, ok := s.unconfirmed.get(keptConversation, key, info.ConversationLogID)
	if !ok {
		dayLogID, err = s.store.ConversationLogID(ctx, key, info.ConversationLogID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, opMessageLog, sess.claims.Platform, storeErr(err))
			return
		}
	}
	day := &messageDay{
		sess: sess, req: &req, conv: info.conversation(), logID: dayLogID,
		contact: adapter.ContactRef{ID: string(req.ContactID), Type: req.ContactType, Name: req.ContactName},
	}
	logged := []string{}
	// Messages arrive newest first; log oldest first.
	for i := len(info.Messages) - 1; i >= 0; i-- {
		m := info.Messages[i].message()
		if _, kept := s.unconfirmed.get(keptMessage, key, m.ID); kept {
			continue // logged by this server; the store records it when it answers
		}
		done, err := s.logMessage(ctx, day, m)
		if unsupported(err) {
			requestInfo(ctx).err = err
			writeJSON(w, http.StatusOK, messageLogResponse{envelope: failure(msgWarning(sess.claims.Platform + " does not support logging messages")), LogIDs: logged})
			return
		}
		if err != nil {
			s.failWith(w, r, opMessageLog, sess.claims.Platform, err, logged)
			return
		}
		if done {
			logged = append(logged, m.ID)
		}
	}
	out := messageLogResponse{envelope: envelope{Successful: true}, LogIDs: logged}
	if len(logged) > 0 {
		out.ReturnMessage = msgSuccess(fmt.Sprintf("%d message(s) logged", len(logged)))
	}
	writeJSON(w, http.StatusOK, out)
}

// messageDay is the state of one POST /messageLog across its messages.
type messageDay struct {
	sess    *session
	req     *messageLogRequest
	conv    adapter.Conversation
	contact adapter.ContactRef
	// logID is the day's CRM record, "" until one exists.
	logID string
}

// allMessagesKept reports whether every message is one this server logged
// and the store has not yet recorded.
func (s *Server) allMessagesKept(userKey string, msgs []wireMessage) bool {
	for i := range msgs {
		if _, ok := s.unconfirmed.get(keptMessage, userKey, string(msgs[i].ID)); !ok {
			return false
		}
	}
	return true
}

// logMessage logs one message into the day's CRM record, creating the
// record for the day's first one. It reports whether this call logged it
// (false when it was logged before, or is being logged by another request).
// The message is reserved before the CRM is called and released if the
// call fails. Once the CRM holds the message, it is never logged again: an
// id the store fails to record is kept (PROTOCOL.md §7) and the message
// counts as logged.
func (s *Server) logMessage(ctx context.Context, day *messageDay, m adapter.Message) (bool, error) {
	sess, key := day.sess, day.sess.user.Key
	convLogID := day.conv.LogID
	// Places for the ids the store may fail to record: the message's and,
	// when this call creates the day's record, the day's.
	places := 1
	if day.logID == "" {
		places = 2
	}
	if !s.unconfirmed.admit(places) {
		return false, storeErr(errTooManyUnconfirmed)
	}
	defer s.unconfirmed.done(places)
	res, err := s.store.ReserveMessage(ctx, key, m.ID, s.reservationLease())
	if err != nil {
		return false, storeErr(err)
	}
	if !res.Won && res.LogID == "" && day.logID == "" {
		// Pending while this request holds the day's lock: a request that
		// ended without recording it, most likely on another replica whose
		// store failed after the CRM call (it keeps the id and records it
		// when its store answers, PROTOCOL.md §7). The day's CRM record
		// may exist already: wait for it to be recorded, as call logs do,
		// instead of creating a second one.
		var logID string
		logID, res.Won, err = s.reserve(ctx, dedupeMessage, func(ctx context.Context) (bool, string, error) {
			r, err := s.store.ReserveMessage(ctx, key, m.ID, s.reservationLease())
			res.TakenOver = r.TakenOver
			return r.Won, r.LogID, err
		})
		if err != nil {
			return false, err
		}
		if !res.Won {
			day.logID, err = s.dayRecordOf(ctx, key, convLogID, logID)
			return false, err
		}
	} else {
		s.opts.metrics.observeDedupe(dedupeMessage, dedupeOutcome(res.Won, false))
	}
	if !res.Won {
		return false, nil // logged before (or being logged by a request that holds a stale lock)
	}
	if res.TakenOver {
		s.log.LogAttrs(ctx, slog.LevelWarn,
			"taking over a stale message reservation; its holder may have logged the message already",
			slog.String("request_id", requestInfo(ctx).id), slog.String("platform", sess.claims.Platform))
	}
	created := false
	if day.logID == "" {
		var out adapter.CreateMessageLogResult
		out, err = sess.platform.messenger.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{
			Session: sess.crmSession(), Contact: day.contact, Conversation: day.conv, Message: m,
			AdditionalSubmission: day.req.AdditionalSubmission, FaxAccessToken: day.req.LogInfo.RCAccessToken,
		})
		if err == nil && out.LogID == "" {
			err = fmt.Errorf("%w: CreateMessageLog returned an empty log id", errAdapterContract)
		}
		if err == nil {
			day.logID, created = out.LogID, true
		}
	} else {
		_, err = sess.platform.messenger.UpdateMessageLog(ctx, adapter.UpdateMessageLogRequest{
			Session: sess.crmSession(), LogID: day.logID, Contact: day.contact, Conversation: day.conv, Message: m,
			AdditionalSubmission: day.req.AdditionalSubmission, FaxAccessToken: day.req.LogInfo.RCAccessToken,
		})
	}
	if err != nil {
		cctx, cancel := detached(ctx)
		if rerr := s.store.ReleaseMessage(cctx, key, m.ID); rerr != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "releasing message reservation failed; it expires with its lease",
				slog.String("request_id", requestInfo(ctx).id), slog.String("error", rerr.Error()))
		}
		cancel()
		return false, err
	}
	// The CRM holds the message now: from here on nothing fails the request.
	keepAll := func(err error) {
		s.log.LogAttrs(ctx, slog.LevelError, "CRM message log written but the store cannot record it yet; retrying in the background",
			slog.String("request_id", requestInfo(ctx).id), slog.String("log_id", day.logID), slog.String("error", err.Error()))
		if created {
			s.keep(keptConversation, key, convLogID, day.logID)
		}
		s.keep(keptMessage, key, m.ID, day.logID)
	}
	if created {
		if err := s.confirm(ctx, func(cctx context.Context) error {
			_, err := s.store.PutConversationLogID(cctx, key, convLogID, day.logID)
			return err
		}); err != nil {
			// The store is failing: keep both ids without trying the
			// message's confirm too.
			keepAll(err)
			return true, nil
		}
		created = false // recorded
	}
	if err := s.confirm(ctx, func(cctx context.Context) error {
		return s.store.ConfirmMessage(cctx, key, m.ID, day.logID)
	}); err != nil {
		keepAll(err)
	}
	return true, nil
}

// dayRecordOf is the CRM record of a conversation day after a message of
// the day was found recorded into logID: the day's recorded record, or
// logID itself while the store holds none (the process that created it
// records the day's mapping when its store answers).
func (s *Server) dayRecordOf(ctx context.Context, userKey, convLogID, logID string) (string, error) {
	got, err := s.store.ConversationLogID(ctx, userKey, convLogID)
	switch {
	case err == nil:
		return got, nil
	case errors.Is(err, store.ErrNotFound):
		return logID, nil
	default:
		return "", storeErr(err)
	}
}
