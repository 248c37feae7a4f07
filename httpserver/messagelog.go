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
// CRM is called, so no message is logged twice.
func (s *Server) createMessageLog(w http.ResponseWriter, r *http.Request, sess *session) {
	var req messageLogRequest
	if !decodeJSON(w, r, &req) {
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

	dayLogID, err := s.store.ConversationLogID(ctx, key, info.ConversationLogID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, opMessageLog, sess.claims.Platform, storeErr(err))
		return
	}
	conv := info.conversation()
	contact := adapter.ContactRef{ID: string(req.ContactID), Type: req.ContactType, Name: req.ContactName}
	logged := []string{}
	// Messages arrive newest first; log oldest first.
	for i := len(info.Messages) - 1; i >= 0; i-- {
		m := info.Messages[i].message()
		res, err := s.store.ReserveMessage(ctx, key, m.ID, s.reservationLease())
		if err != nil {
			s.failWith(w, r, opMessageLog, sess.claims.Platform, storeErr(err), logged)
			return
		}
		s.opts.metrics.observeDedupe(dedupeMessage, dedupeOutcome(res.Won, false))
		if !res.Won {
			continue // logged before (or being logged by a request that holds a stale lock)
		}
		created := false
		if dayLogID == "" {
			var out adapter.CreateMessageLogResult
			out, err = sess.platform.adapter.CreateMessageLog(ctx, adapter.CreateMessageLogRequest{
				Session: sess.crm, Contact: contact, Conversation: conv, Message: m,
				AdditionalSubmission: req.AdditionalSubmission, FaxAccessToken: info.RCAccessToken,
			})
			if err == nil && out.LogID == "" {
				err = fmt.Errorf("%w: CreateMessageLog returned an empty log id", errAdapterContract)
			}
			dayLogID, created = out.LogID, err == nil
		} else {
			err = sess.platform.adapter.UpdateMessageLog(ctx, adapter.UpdateMessageLogRequest{
				Session: sess.crm, LogID: dayLogID, Contact: contact, Conversation: conv, Message: m,
				AdditionalSubmission: req.AdditionalSubmission, FaxAccessToken: info.RCAccessToken,
			})
		}
		if err != nil {
			cctx, cancel := detached(ctx)
			if rerr := s.store.ReleaseMessage(cctx, key, m.ID); rerr != nil {
				s.log.LogAttrs(ctx, slog.LevelError, "releasing message reservation failed; it expires with its lease",
					slog.String("request_id", requestInfo(ctx).id), slog.String("error", rerr.Error()))
			}
			cancel()
			s.failWith(w, r, opMessageLog, sess.claims.Platform, err, logged)
			return
		}
		err = s.confirm(ctx, func(cctx context.Context) error {
			if created {
				if _, err := s.store.PutConversationLogID(cctx, key, info.ConversationLogID, dayLogID); err != nil {
					return err
				}
			}
			return s.store.ConfirmMessage(cctx, key, m.ID, dayLogID)
		})
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "CRM message log written but its mapping could not be stored",
				slog.String("request_id", requestInfo(ctx).id), slog.String("log_id", dayLogID), slog.String("error", err.Error()))
			s.failWith(w, r, opMessageLog, sess.claims.Platform, storeErr(err), logged)
			return
		}
		logged = append(logged, m.ID)
	}
	out := messageLogResponse{envelope: envelope{Successful: true}, LogIDs: logged}
	if len(logged) > 0 {
		out.ReturnMessage = msgSuccess(fmt.Sprintf("%d message(s) logged", len(logged)))
	}
	writeJSON(w, http.StatusOK, out)
}
