package pipedrive

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/crmbridge/crmbridge/adapter"
)

// contactType is the only contact type: Pipedrive's persons.
const contactType = "Person"

// pageLimit is the page size of deal lists, and exactLimit that of exact
// phone searches. An exact phone match or a person's open deals beyond one
// page are not expected; further pages are not fetched.
const (
	pageLimit  = "100"
	exactLimit = 100
)

type searchResult struct {
	Items []struct {
		Item searchPerson `json:"item"`
	} `json:"items"`
}

type searchPerson struct {
	ID           int64    `json:"id"`
	Type         string   `json:"type"`
	Name         string   `json:"name"`
	Phones       []string `json:"phones"`
	Organization *struct {
		Name string `json:"name"`
	} `json:"organization"`
}

type deal struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// broadLimit is the page size of the one broad phone search: Pipedrive's
// maximum. A full page may leave matches on the next one, so the lookup then
// falls back to the exact searches.
const broadLimit = 500

// minBroadTerm is the shortest common term the broad search is sent with.
// Pipedrive accepts 2 characters; below 4 a term like "55" would match a
// large share of any company's persons, so the exact searches are cheaper.
const minBroadTerm = 4

// FindContacts finds the persons with a phone equal (case-insensitively, as
// Pipedrive's exact_match compares) to one of the candidate strings, and
// lists each match's open deals.
//
// Pipedrive's person search without exact_match returns the persons whose
// searched field contains the term anywhere (its API reference, GET
// /api/v2/persons/search). Every stored phone equal to a candidate contains
// whatever string all candidates share, so one search on the longest
// substring common to every candidate ("1212" for "+16505551212",
// "(650) 555-1212", "650-555-1212" and "650.555.1212") returns every exact
// match and some near ones; the results are re-checked against the
// candidates here, keeping exact matches only. A lookup is then one search
// instead of one per candidate. The exact searches (one per candidate,
// exact_match, concurrently and bounded by WithLookupConcurrency) remain
// when there is a single candidate, when the candidates share fewer than
// minBroadTerm characters, when the broad search fills its page (500
// persons: matches may be on the next page), and when it finds no exact
// match (so a lookup never misses a contact the exact searches find).
//
// Each match's open deals are one more request per matched person (the
// deals list filters by one person_id), fetched concurrently: a lookup
// costs two round trips. Matches are merged in candidate order without
// duplicates.
func (a *Adapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	c, _, err := userAPI(req.Session)
	if err != nil {
		return adapter.FindContactsResult{}, err
	}
	candidates := uniqueNonEmpty(req.Phone.Candidates)

	found, broad, err := a.searchBroad(ctx, c, candidates)
	if err != nil {
		return adapter.FindContactsResult{}, err
	}
	if !broad {
		if found, err = a.searchExact(ctx, c, candidates); err != nil {
			return adapter.FindContactsResult{}, err
		}
	}

	var order []searchPerson
	var terms []string
	seen := map[int64]bool{}
	for i, persons := range found {
		for _, p := range persons {
			if !seen[p.ID] {
				seen[p.ID] = true
				order = append(order, p)
				terms = append(terms, candidates[i])
			}
		}
	}
	deals := make([][]deal, len(order))
	g := newGroup(ctx, a.concurrency)
	for i, p := range order {
		g.Go(func(ctx context.Context) error {
			d, err := openDeals(ctx, c, p.ID)
			deals[i] = d
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return adapter.FindContactsResult{}, err
	}
	contacts := make([]adapter.Contact, 0, len(order))
	for i, p := range order {
		contacts = append(contacts, toContact(p, terms[i], deals[i]))
	}
	a.log.DebugContext(ctx, "pipedrive lookup", "phone", req.Phone.Number,
		"candidates", len(candidates), "broad", broad, "contacts", len(contacts))
	return adapter.FindContactsResult{Contacts: contacts}, nil
}

// searchBroad runs the one broad search when the candidates allow it (see
// FindContacts) and returns, per candidate, the persons with a phone equal
// to it. ok is false when the exact searches must run instead.
func (a *Adapter) searchBroad(ctx context.Context, c api, candidates []string) (found [][]searchPerson, ok bool, err error) {
	if len(candidates) < 2 {
		return nil, false, nil
	}
	term := commonTerm(candidates)
	if utf8.RuneCountInString(term) < minBroadTerm {
		return nil, false, nil
	}
	persons, err := searchPhone(ctx, c, term, false, broadLimit)
	if err != nil {
		return nil, false, err
	}
	if len(persons) >= broadLimit {
		return nil, false, nil
	}
	found = make([][]searchPerson, len(candidates))
	matched := false
	for i, cand := range candidates {
		for _, p := range persons {
			if slices.ContainsFunc(p.Phones, func(ph string) bool { return strings.EqualFold(ph, cand) }) {
				found[i] = append(found[i], p)
				matched = true
			}
		}
	}
	// No exact match among the broad results: confirm with the exact
	// searches before answering "not found", so a Pipedrive whose broad
	// search matched less than the reference says (whole words, prefixes)
	// can cost a request, never a contact.
	return found, matched, nil
}

// searchExact searches persons by phone with exact_match once per
// candidate, concurrently (bounded by WithLookupConcurrency).
func (a *Adapter) searchExact(ctx context.Context, c api, candidates []string) ([][]searchPerson, error) {
	found := make([][]searchPerson, len(candidates))
	g := newGroup(ctx, a.concurrency)
	for i, term := range candidates {
		g.Go(func(ctx context.Context) error {
			persons, err := searchPhone(ctx, c, term, true, exactLimit)
			found[i] = persons
			return err
		})
	}
	return found, g.Wait()
}

// The bounds of commonTerm's scan: at most maxBroadCandidates candidates of
// at most maxBroadCandidateLen bytes (the server sends at most 16 formats of
// 64 bytes, plus the E.164 forms); beyond them the lookup searches exactly.
const (
	maxBroadCandidates   = 32
	maxBroadCandidateLen = 128
)

// commonTerm returns the longest string that every candidate contains,
// compared case-insensitively (both of Pipedrive's matches ignore case),
// without leading or trailing spaces (a search term's edges are not
// reliably significant) and valid UTF-8. Among equally long terms the one
// nearest the end of the shortest candidate wins: a number's last digits
// are more selective than its area code. The scan is of every substring of
// the shortest candidate, so its work is bounded by maxBroadCandidates and
// maxBroadCandidateLen; it returns "" beyond them and when nothing
// qualifies.
func commonTerm(candidates []string) string {
	if len(candidates) > maxBroadCandidates {
		return ""
	}
	for _, c := range candidates {
		if len(c) > maxBroadCandidateLen {
			return ""
		}
	}
	lower := make([]string, len(candidates))
	shortest := 0
	for i, c := range candidates {
		lower[i] = strings.ToLower(c)
		if len(lower[i]) < len(lower[shortest]) {
			shortest = i
		}
	}
	s := lower[shortest]
	for n := len(s); n > 0; n-- {
		for at := len(s) - n; at >= 0; at-- {
			t := s[at : at+n]
			if t != strings.TrimSpace(t) || !utf8.ValidString(t) {
				continue
			}
			if !slices.ContainsFunc(lower, func(o string) bool { return !strings.Contains(o, t) }) {
				return t
			}
		}
	}
	return ""
}

func searchPhone(ctx context.Context, c api, term string, exact bool, limit int) ([]searchPerson, error) {
	q := url.Values{
		"term":   {term},
		"fields": {"phone"},
		"limit":  {strconv.Itoa(limit)},
	}
	if exact {
		q.Set("exact_match", "true")
	}
	var res searchResult
	if err := c.Do(ctx, "GET", "/api/v2/persons/search", q, nil, &res); err != nil {
		return nil, err
	}
	persons := make([]searchPerson, 0, len(res.Items))
	for _, it := range res.Items {
		if it.Item.ID != 0 && (it.Item.Type == "" || it.Item.Type == "person") {
			persons = append(persons, it.Item)
		}
	}
	return persons, nil
}

func openDeals(ctx context.Context, c api, personID int64) ([]deal, error) {
	q := url.Values{
		"person_id": {strconv.FormatInt(personID, 10)},
		"status":    {"open"},
		"limit":     {pageLimit},
	}
	var ds []deal
	if err := c.Do(ctx, "GET", "/api/v2/deals", q, nil, &ds); err != nil {
		return nil, err
	}
	return ds, nil
}

func toContact(p searchPerson, term string, deals []deal) adapter.Contact {
	ct := adapter.Contact{
		ID:    strconv.FormatInt(p.ID, 10),
		Name:  p.Name,
		Phone: term,
		Type:  contactType,
	}
	// Show the number as stored; exact_match compares case-insensitively.
	for _, ph := range p.Phones {
		if strings.EqualFold(ph, term) {
			ct.Phone = ph
			break
		}
	}
	if p.Organization != nil {
		ct.Organization = p.Organization.Name
	}
	if len(deals) > 0 {
		opts := make([]adapter.Option, 0, len(deals))
		for _, d := range deals {
			opts = append(opts, adapter.Option{Const: strconv.FormatInt(d.ID, 10), Title: d.Title})
		}
		ct.AdditionalInfo = map[string][]adapter.Option{dealsField: opts}
	}
	return ct
}

func uniqueNonEmpty(ss []string) []string {
	out := make([]string, 0, len(ss))
	seen := map[string]bool{}
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

type personWrite struct {
	Name   string       `json:"name"`
	Phones []phoneWrite `json:"phones,omitempty"`
}

type phoneWrite struct {
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
	Label   string `json:"label"`
}

// CreateContact creates a person with the number in E.164 form as its
// primary work phone.
func (a *Adapter) CreateContact(ctx context.Context, req adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	c, _, err := userAPI(req.Session)
	if err != nil {
		return adapter.CreateContactResult{}, err
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return adapter.CreateContactResult{}, &adapter.UserError{Message: "A contact needs a name."}
	}
	number := req.Phone.Number.E164()
	if number == "" && len(req.Phone.Candidates) > 0 {
		number = req.Phone.Candidates[0]
	}
	if number == "" {
		number = req.Phone.Raw
	}
	body := personWrite{Name: name}
	if number != "" {
		body.Phones = []phoneWrite{{Value: number, Primary: true, Label: "work"}}
	}
	var created struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := c.Do(ctx, "POST", "/api/v2/persons", nil, body, &created); err != nil {
		return adapter.CreateContactResult{}, err
	}
	if created.ID == 0 {
		return adapter.CreateContactResult{}, fmt.Errorf("pipedrive: POST /api/v2/persons: no id in the answer")
	}
	return adapter.CreateContactResult{Contact: adapter.Contact{
		ID:    strconv.FormatInt(created.ID, 10),
		Name:  cmp.Or(created.Name, name),
		Phone: number,
		Type:  contactType,
	}}, nil
}
