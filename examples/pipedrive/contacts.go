package pipedrive

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/crmbridge/crmbridge/adapter"
)

// contactType is the only contact type: Pipedrive's persons.
const contactType = "Person"

// pageLimit is the page size of searches and deal lists. An exact phone
// match or a person's open deals beyond one page are not expected; further
// pages are not fetched.
const pageLimit = "100"

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

// FindContacts searches persons by phone with exact_match once per
// candidate string, and lists each match's open deals. All requests run
// concurrently (bounded by WithLookupConcurrency): a person's deals are
// fetched as soon as the search that found it returns, so a lookup costs
// about two round trips whatever the number of candidates. Matches are
// merged in candidate order without duplicates.
func (a *Adapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	c, _, err := userAPI(req.Session)
	if err != nil {
		return adapter.FindContactsResult{}, err
	}
	candidates := uniqueNonEmpty(req.Phone.Candidates)

	g := newGroup(ctx, a.concurrency)
	found := make([][]searchPerson, len(candidates))
	var mu sync.Mutex
	deals := map[int64][]deal{}
	fetchDeals := func(id int64) {
		mu.Lock()
		_, started := deals[id]
		if !started {
			deals[id] = nil
		}
		mu.Unlock()
		if started {
			return
		}
		g.Go(func(ctx context.Context) error {
			d, err := openDeals(ctx, c, id)
			if err != nil {
				return err
			}
			mu.Lock()
			deals[id] = d
			mu.Unlock()
			return nil
		})
	}
	for i, term := range candidates {
		g.Go(func(ctx context.Context) error {
			persons, err := searchPhone(ctx, c, term)
			if err != nil {
				return err
			}
			found[i] = persons
			for _, p := range persons {
				fetchDeals(p.ID)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return adapter.FindContactsResult{}, err
	}

	contacts := []adapter.Contact{}
	seen := map[int64]bool{}
	for i, persons := range found {
		for _, p := range persons {
			if seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			contacts = append(contacts, toContact(p, candidates[i], deals[p.ID]))
		}
	}
	a.log.DebugContext(ctx, "pipedrive lookup", "phone", req.Phone.Number,
		"candidates", len(candidates), "contacts", len(contacts))
	return adapter.FindContactsResult{Contacts: contacts}, nil
}

func searchPhone(ctx context.Context, c api, term string) ([]searchPerson, error) {
	q := url.Values{
		"term":        {term},
		"fields":      {"phone"},
		"exact_match": {"true"},
		"limit":       {pageLimit},
	}
	var res searchResult
	if err := c.do(ctx, "GET", "/api/v2/persons/search", q, nil, &res); err != nil {
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
	if err := c.do(ctx, "GET", "/api/v2/deals", q, nil, &ds); err != nil {
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
	if err := c.do(ctx, "POST", "/api/v2/persons", nil, body, &created); err != nil {
		return adapter.CreateContactResult{}, err
	}
	if created.ID == 0 {
		return adapter.CreateContactResult{}, fmt.Errorf("pipedrive: POST /api/v2/persons: no id in the answer")
	}
	return adapter.CreateContactResult{Contact: adapter.Contact{
		ID:    strconv.FormatInt(created.ID, 10),
		Name:  cmpOr(created.Name, name),
		Phone: number,
		Type:  contactType,
	}}, nil
}
