package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/phone"
)

// contactsResponse answers GET /contact and GET /custom/contact/search.
// Contact is always an array, never null.
type contactsResponse struct {
	envelope
	Contact []wireContact `json:"contact"`
}

// newContactPlaceholder lets the client offer "create contact" when nothing
// matched. (additionalInfo is left out rather than null: the published
// contract types it as an object.)
var newContactPlaceholder = wireContact{ID: "createNewContact", Name: "Create new contact...", IsNewContact: true}

// errAdapterContract marks an adapter result that breaks the contract (a
// contact without an id, an empty log id): a bug to fix in the adapter.
var errAdapterContract = errors.New("adapter broke the contract")

// errPhoneTooLong refuses a phoneNumber over maxPhoneNumberBytes unparsed.
var errPhoneTooLong = fmt.Errorf("%w: longer than %d bytes", phone.ErrInvalid, maxPhoneNumberBytes)

// phoneQuery builds the adapter's PhoneQuery from the raw query values. A
// number with digits is never refused (PROTOCOL.md §5): a dial string with
// an extension or pause ("+16505551212 x5", ";ext=5", "#5", ",5") or a
// doubled '+' is searched by its main number (and as received); anything
// else the phone library cannot read (no '+', letters, '*', too many
// digits) is searched exactly as received. Only input without digits, or
// over maxPhoneNumberBytes, is an error. The caller has checked
// overridingFormat against its bounds (formatListProblem).
func (s *Server) phoneQuery(ctx context.Context, raw, overridingFormat string, isExtension bool) (adapter.PhoneQuery, error) {
	if len(raw) > maxPhoneNumberBytes {
		return adapter.PhoneQuery{}, errPhoneTooLong
	}
	if isExtension {
		ext := strings.TrimSpace(raw)
		if ext == "" {
			return adapter.PhoneQuery{}, phone.ErrEmpty
		}
		return adapter.PhoneQuery{Raw: ext, IsExtension: true, Candidates: []string{ext}}, nil
	}
	var kb [256]byte
	key := candidateKey(kb[:0], raw, overridingFormat)
	if e, ok := s.candidates.get(key); ok {
		return adapter.PhoneQuery{Raw: e.norm, Number: e.number, Candidates: e.candidates}, nil
	}
	norm := phone.Normalize(raw)
	n, err := s.numbers.parse(raw)
	asReceived := ""
	if err != nil {
		if !hasDigit(norm) {
			return adapter.PhoneQuery{}, err
		}
		asReceived = norm
		main := mainNumber(norm)
		if main == norm {
			return adapter.PhoneQuery{Raw: norm, Candidates: []string{norm}}, nil
		}
		if n, err = s.numbers.parse(main); err != nil {
			return adapter.PhoneQuery{Raw: norm, Candidates: []string{norm}}, nil
		}
	}
	cands, err := phone.CandidatesContext(ctx, n, s.formats.compile(overridingFormat), 0)
	if err != nil {
		return adapter.PhoneQuery{}, err
	}
	if asReceived != "" && !slices.Contains(cands, asReceived) {
		cands = append(cands, asReceived)
	}
	if asReceived == "" {
		// Read as it arrived (not by its main number), so the same raw
		// value and formats expand the same way next time.
		s.candidates.keep(key, phoneLookup{norm: norm, number: n, candidates: cands})
		cands = slices.Clone(cands) // the cache's copy stays its own
	}
	return adapter.PhoneQuery{
		Raw:        norm,
		Number:     n,
		Candidates: cands,
	}, nil
}

// mainNumber is s without what follows its main number: an extension or
// pause ("x5", "ext. 5", ";ext=5", "#5", ",5"), and with a doubled leading
// '+' made single. It returns s when there is nothing to take off.
func mainNumber(s string) string {
	if strings.HasPrefix(s, "++") {
		s = "+" + strings.TrimLeft(s, "+")
	}
	if i := strings.IndexAny(s, "xX#,;eE"); i > 0 && hasDigit(s[:i]) {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}

// findContact is GET /contact.
func (s *Server) findContact(w http.ResponseWriter, r *http.Request, sess *session) {
	q := sess.query
	requested := q.Get("overridingFormat")
	if problem := formatListProblem(requested); problem != "" {
		refuseField(w, r, "overridingFormat", problem)
		return
	}
	// The user's stored formats apply when the request has none; they are
	// the user's own, so over-long ones are cut to the bounds, not refused.
	format := boundFormatList(effectiveOverridingFormat(requested, sess.settings))
	pq, err := s.phoneQuery(r.Context(), q.Get("phoneNumber"), format, q.Get("isExtension") == "true")
	if err != nil {
		if r.Context().Err() != nil {
			s.fail(w, r, opFindContact, sess.claims.Platform, err)
			return
		}
		requestInfo(r.Context()).err = err
		writeJSON(w, http.StatusOK, contactsResponse{
			envelope: failure(msgWarning("Invalid phone number")),
			Contact:  []wireContact{},
		})
		return
	}
	cache := s.matchCacheFor(sess)
	if res, body, ok := cache.lookupAnswer(sess.user.Key, sess.settingsFP, pq); ok {
		if body != nil {
			// The answer these matches made when they were stored.
			writeJSONBytes(w, http.StatusOK, body)
			return
		}
		s.writeContacts(w, r, sess, res, opFindContact, true)
		return
	}
	gen := cache.generation()
	res, err := sess.platform.adapter.FindContacts(r.Context(), adapter.FindContactsRequest{Session: sess.crmSession(), Phone: pq})
	if err != nil {
		s.fail(w, r, opFindContact, sess.claims.Platform, err)
		return
	}
	if !cache.on() || len(res.Contacts) == 0 {
		s.writeContacts(w, r, sess, res, opFindContact, true)
		return
	}
	// Matches the cache keeps: the answer is encoded once, written, and
	// kept with them, so the repeated lookups of the call write it as it
	// is.
	out, ok := s.contactsAnswer(res, sess, true)
	if !ok {
		s.fail(w, r, opFindContact, sess.claims.Platform, errAdapterContract)
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		writeJSON(w, http.StatusOK, out) // answers the encoding failure
		return
	}
	writeJSONBytes(w, http.StatusOK, body)
	cache.storeAnswer(sess.user.Key, sess.settingsFP, pq, res, body, gen)
}

// searchContacts is GET /custom/contact/search (ContactSearcher).
func (s *Server) searchContacts(w http.ResponseWriter, r *http.Request, sess *session) {
	if sess.platform.searcher == nil {
		writeJSON(w, http.StatusOK, contactsResponse{
			envelope: failure(msgWarning(sess.claims.Platform + " does not support searching contacts by name")),
			Contact:  []wireContact{},
		})
		return
	}
	name := strings.TrimSpace(sess.query.Get("name"))
	if name == "" {
		writeJSON(w, http.StatusOK, contactsResponse{envelope: failure(msgWarning("Please enter a name to search")), Contact: []wireContact{}})
		return
	}
	res, err := sess.platform.searcher.SearchContacts(r.Context(), adapter.SearchContactsRequest{Session: sess.crmSession(), Name: name})
	if unsupported(err) {
		writeJSON(w, http.StatusOK, contactsResponse{
			envelope: failure(msgWarning(sess.claims.Platform + " does not support searching contacts by name")),
			Contact:  []wireContact{},
		})
		return
	}
	if err != nil {
		s.fail(w, r, opSearchContacts, sess.claims.Platform, err)
		return
	}
	s.writeContacts(w, r, sess, res, opSearchContacts, false)
}

// writeContacts answers a contact lookup; false when the adapter's result
// broke the contract (and a failure was answered instead).
func (s *Server) writeContacts(w http.ResponseWriter, r *http.Request, sess *session, res adapter.FindContactsResult, op operation, placeholder bool) bool {
	out, ok := s.contactsAnswer(res, sess, placeholder)
	if !ok {
		s.fail(w, r, op, sess.claims.Platform, errAdapterContract)
		return false
	}
	writeJSON(w, http.StatusOK, out)
	return true
}

// contactsAnswer is the answer of a contact lookup; false when the
// adapter's result broke the contract (a contact without an id).
func (s *Server) contactsAnswer(res adapter.FindContactsResult, sess *session, placeholder bool) (contactsResponse, bool) {
	out := contactsResponse{envelope: envelope{Successful: true}, Contact: make([]wireContact, 0, len(res.Contacts)+1)}
	for _, c := range res.Contacts {
		if c.ID == "" {
			return contactsResponse{}, false
		}
		out.Contact = append(out.Contact, toWireContact(c))
	}
	if res.Message != "" {
		out.ReturnMessage = msgSuccess(res.Message)
	}
	if len(out.Contact) == 0 {
		out.ReturnMessage = msgWarning("Contact not found")
		if placeholder && sess.platform.creator != nil {
			out.Contact = append(out.Contact, newContactPlaceholder)
		}
	}
	return out, true
}

type contactResponse struct {
	envelope
	Contact *wireContact `json:"contact,omitempty"`
}

// createContact is POST /contact.
func (s *Server) createContact(w http.ResponseWriter, r *http.Request, sess *session) {
	var req createContactRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	name := strings.TrimSpace(req.NewContactName)
	if name == "" {
		writeJSON(w, http.StatusOK, failure(msgWarning("Please enter a name for the new contact")))
		return
	}
	pq, err := s.phoneQuery(r.Context(), req.PhoneNumber, "", false)
	if err != nil {
		requestInfo(r.Context()).err = err
		writeJSON(w, http.StatusOK, failure(msgWarning("Invalid phone number")))
		return
	}
	if sess.platform.creator == nil {
		writeJSON(w, http.StatusOK, failure(msgWarning(sess.claims.Platform+" does not support creating contacts")))
		return
	}
	res, err := sess.platform.creator.CreateContact(r.Context(), adapter.CreateContactRequest{
		Session:              sess.crmSession(),
		Phone:                pq,
		Name:                 name,
		Type:                 req.NewContactType,
		AdditionalSubmission: req.AdditionalSubmission,
	})
	if err == nil && res.Contact.ID == "" {
		err = errAdapterContract
	}
	// Whatever the outcome (a timeout may still have created it), cached
	// answers of this user may now miss a contact.
	s.matches.invalidate(sess.user.Key)
	if unsupported(err) {
		writeJSON(w, http.StatusOK, failure(msgWarning(sess.claims.Platform+" does not support creating contacts")))
		return
	}
	if err != nil {
		s.fail(w, r, opCreateContact, sess.claims.Platform, err)
		return
	}
	c := wireContact{ID: res.Contact.ID, Name: res.Contact.Name, Type: res.Contact.Type}
	if c.Name == "" {
		c.Name = name
	}
	msg := res.Message
	if msg == "" {
		msg = "Contact created"
	}
	writeJSON(w, http.StatusOK, contactResponse{envelope: envelope{Successful: true, ReturnMessage: msgSuccess(msg)}, Contact: &c})
}
