// Package logbody composes and updates the bodies of call and message logs
// that an adapter writes into its CRM: plain text, HTML or Markdown
// ([adapter.LogFormat]).
//
// A call log body has up to four sections: the user's note first, then
// "AI note", "Transcript" and "Call details" (subject, date and time in the
// user's time zone, duration, result, recording link, call session id,
// contact number). Which details appear follows the user's settings
// (PROTOCOL.md §3, [adapter.Session].Settings): addCallLogNote,
// addCallLogSubject, addCallLogDateTime with logDateFormat,
// addCallLogDuration, addCallLogResult, addCallLogRecording,
// addCallSessionId and addCallLogContactNumber, each on unless the user
// turned it off.
//
// [Parse] reads a body back into its sections, so that an update replaces
// only its own part: [Body.Update] applies the PATCH /callLog rule (an empty
// value never erases, a recording link is added once, a new note keeps the
// recording and the call details), and [Body.Note] is the user's own note,
// what GET /callLog shows. Text that users type (the note, the AI note, the
// transcript, the subject) is escaped for the format, so it can never
// produce or alter a section. Parsing is linear in the body's size and
// refuses bodies over [MaxBodyBytes].
//
// The smallest use, in CreateCallLog and UpdateCallLog:
//
//	body := logbody.New(adapter.LogFormatHTML, req).String()
//	...
//	b, err := logbody.Parse(adapter.LogFormatHTML, stored)
//	if err != nil { return err }
//	if b.Update(req) { stored = b.String() }
//
// The package imports only adapter and the standard library.
package logbody
