package adaptertest

import (
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/crmbridge/crmbridge/adapter"
)

// lookup sends GET /contact as the client does (the number unencoded, so
// its "+" arrives as a space) and returns the answer and FindContacts' call.
func (s *suite) lookup(tb suiteTB, number, overridingFormat string) (contactsAnswer, typedCall[adapter.FindContactsRequest, adapter.FindContactsResult], bool) {
	tb.Helper()
	var none typedCall[adapter.FindContactsRequest, adapter.FindContactsResult]
	a, fc, ok := exchange[adapter.FindContactsRequest, adapter.FindContactsResult](s, tb, "GET", "/contact?phoneNumber="+number+
		"&overridingFormat="+url.QueryEscape(overridingFormat)+"&isExtension=false", nil, mFind)
	if !ok {
		return contactsAnswer{}, none, false
	}
	checkContacts(tb, mFind, fc.res.Contacts)
	var ca contactsAnswer
	if err := a.decode(&ca); err != nil {
		tb.Errorf("%v", err)
		return contactsAnswer{}, fc, false
	}
	return ca, fc, true
}

// wireHas reports whether a GET /contact answer lists the contact id.
func wireHas(ca contactsAnswer, id string) bool {
	for _, c := range ca.Contact {
		if c.ID == id && !c.IsNewContact {
			return true
		}
	}
	return false
}

// findExisting looks up ExistingPhone: FindContacts must return
// ExistingContactID, with a name.
func (s *suite) findExisting(tb suiteTB) {
	tb.Helper()
	s.existingRan = true
	ca, fc, ok := s.lookup(tb, s.cfg.ExistingPhone, "")
	if !ok {
		return
	}
	c, found := hasContact(fc.res.Contacts, s.cfg.ExistingContactID)
	if !found {
		tb.Errorf("FindContacts did not find contact %q for %s; it returned %s (it was asked for the candidates %q)",
			s.cfg.ExistingContactID, s.cfg.ExistingPhone, contactIDs(fc.res.Contacts), fc.req.Phone.Candidates)
		return
	}
	if c.Name == "" {
		tb.Errorf("FindContacts returned contact %q without a name: the client shows the name to pick the contact", c.ID)
	}
	s.existingName = c.Name
	if !ca.ok() || !wireHas(ca, c.ID) {
		tb.Errorf("GET /contact for %s answered %v; want successful:true listing contact %q", s.cfg.ExistingPhone, ca, c.ID)
	}
}

// findFormatted looks up FormatPhone with OverridingFormat: the contact is
// stored only in the formatted form, so FindContacts must try the
// candidates beyond E.164.
func (s *suite) findFormatted(tb suiteTB) {
	tb.Helper()
	ca, fc, ok := s.lookup(tb, s.cfg.FormatPhone, s.cfg.OverridingFormat)
	if !ok {
		return
	}
	if _, found := hasContact(fc.res.Contacts, s.cfg.FormatContactID); !found {
		tb.Errorf("FindContacts did not find contact %q for %s with overridingFormat %q; it returned %s. "+
			"It was asked for the candidates %q: a CRM that matches numbers exactly must try each of them",
			s.cfg.FormatContactID, s.cfg.FormatPhone, s.cfg.OverridingFormat, contactIDs(fc.res.Contacts), fc.req.Phone.Candidates)
		return
	}
	if !ca.ok() || !wireHas(ca, s.cfg.FormatContactID) {
		tb.Errorf("GET /contact for %s answered %v; want successful:true listing contact %q", s.cfg.FormatPhone, ca, s.cfg.FormatContactID)
	}
}

// findAbsent looks up AbsentPhone: FindContacts must return nothing, and
// the client then gets the "create new contact" placeholder when the
// adapter can create contacts, no contact at all otherwise.
func (s *suite) findAbsent(tb suiteTB) {
	tb.Helper()
	ca, fc, ok := s.lookup(tb, s.cfg.AbsentPhone, "")
	if !ok {
		return
	}
	if len(fc.res.Contacts) > 0 {
		tb.Errorf("FindContacts found %s for %s, which no contact has: return an empty list when nothing matches",
			contactIDs(fc.res.Contacts), s.cfg.AbsentPhone)
		return
	}
	if s.rec.caps.ContactCreator == nil {
		if !ca.ok() || len(ca.Contact) != 0 {
			tb.Errorf("GET /contact for %s answered %v; want successful:true with no contact (the adapter is not an adapter.ContactCreator, so no create-contact placeholder)", s.cfg.AbsentPhone, ca)
		}
		return
	}
	if !ca.ok() || len(ca.Contact) != 1 || !ca.Contact[0].IsNewContact {
		tb.Errorf("GET /contact for %s answered %v; want successful:true with only the create-contact placeholder", s.cfg.AbsentPhone, ca)
	}
}

// createContact creates a contact with POST /contact, then finds it by its
// number.
func (s *suite) createContact(tb suiteTB) {
	tb.Helper()
	number := s.cfg.NewContactPhone
	if number == "" {
		number = s.cfg.AbsentPhone
	}
	name := s.cfg.NewContactName
	if name == "" {
		name = "Adaptertest " + s.runID
	}
	a, cc, ok := exchange[adapter.CreateContactRequest, adapter.CreateContactResult](s, tb, "POST", "/contact", map[string]any{
		"phoneNumber":    number,
		"newContactName": name,
		"newContactType": s.cfg.NewContactType,
	}, mCreateContact)
	if !ok {
		return
	}
	id := cc.res.Contact.ID
	if id == "" {
		tb.Errorf("CreateContact returned a contact without an id (CreateContactResult.Contact.ID): the client needs it to log against the new contact")
		return
	}
	var ca createContactAnswer
	if a.decode(&ca) != nil || !ca.ok() || ca.Contact == nil || ca.Contact.ID != id {
		tb.Errorf("%v; want successful:true and contact.id %q", a, id)
	}
	found, fc, ok := s.lookup(tb, number, "")
	if !ok {
		return
	}
	if _, in := hasContact(fc.res.Contacts, id); !in {
		tb.Errorf("FindContacts did not find the contact CreateContact just created (id %q) for %s; it returned %s",
			id, number, contactIDs(fc.res.Contacts))
		return
	}
	if !wireHas(found, id) {
		tb.Errorf("GET /contact for %s answered %v; want it to list contact %q", number, found, id)
	}
}

// concurrentLookups runs several lookups at once: adapters must be safe for
// concurrent use, and under go test -race a data race in the adapter fails
// here.
func (s *suite) concurrentLookups(tb suiteTB) {
	tb.Helper()
	const n = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		problems []string
	)
	for range n {
		wg.Go(func() {
			a, err := s.c.do(s.ctx, "GET", "/contact?phoneNumber="+s.cfg.ExistingPhone, nil, true)
			var ca contactsAnswer
			problem := ""
			switch {
			case err != nil:
				problem = err.Error()
			case a.decode(&ca) != nil || !ca.ok() || !wireHas(ca, s.cfg.ExistingContactID):
				problem = a.String()
			}
			if problem != "" {
				mu.Lock()
				problems = append(problems, problem)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(problems) > 0 {
		tb.Errorf("%d of %d simultaneous lookups of %s did not find contact %q, e.g. %s",
			len(problems), n, s.cfg.ExistingPhone, s.cfg.ExistingContactID, problems[0])
	}
}

// String renders a GET /contact answer for a failure message.
func (ca contactsAnswer) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "successful:%t", ca.ok())
	if m := ca.message(); m != "" {
		fmt.Fprintf(&b, " %q", m)
	}
	b.WriteString(" contact:[")
	for i, c := range ca.Contact {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%q", c.ID)
	}
	b.WriteString("]")
	return b.String()
}
