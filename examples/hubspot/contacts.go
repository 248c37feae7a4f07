package hubspot

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/phone"
)

// contactType is the only contact type.
const contactType = "Contact"

// HubSpot's limits on one CRM search request (its search reference): at
// most 5 filter groups, 10 filters per group, 25 filters in all; 200
// results per page.
const (
	maxGroups          = 5
	maxFiltersPerGroup = 10
	maxFilters         = 25
	// maxInValues is how many values one IN filter carries.
	maxInValues = 100
	// pageSize and maxPages bound one search: 500 matches of one number
	// are more than a user can choose from.
	pageSize = 100
	maxPages = 5
)

// Properties a lookup reads and tests.
const (
	propPhone            = "phone"
	propMobile           = "mobilephone"
	propSearchablePhone  = "hs_searchable_calculated_phone_number"
	propSearchableMobile = "hs_searchable_calculated_mobile_number"
)

var contactProps = []string{"firstname", "lastname", "email", "company", propPhone, propMobile}

type searchFilter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	Values       []string `json:"values,omitempty"`
}

type filterGroup struct {
	Filters []searchFilter `json:"filters"`
}

type searchBody struct {
	FilterGroups []filterGroup `json:"filterGroups,omitempty"`
	Query        string        `json:"query,omitempty"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
	After        string        `json:"after,omitempty"`
}

type contactRecord struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

type searchPage struct {
	Results []contactRecord `json:"results"`
	Paging  *paging         `json:"paging"`
}

// planSearches spreads the lookup's conditions over the fewest search
// requests HubSpot's limits allow. Each condition is one filter group (so
// they OR): the candidates IN phone, the candidates IN mobilephone (in
// chunks of maxIn values), and the national number EQ each searchable
// phone property. A group holds one filter, so the group limit binds
// first: five conditions per request.
func planSearches(candidates []string, national string, maxIn int) []searchBody {
	var groups []filterGroup
	for chunk := range slices.Chunk(candidates, maxIn) {
		for _, prop := range []string{propPhone, propMobile} {
			groups = append(groups, filterGroup{Filters: []searchFilter{{PropertyName: prop, Operator: "IN", Values: chunk}}})
		}
	}
	if national != "" {
		for _, prop := range []string{propSearchablePhone, propSearchableMobile} {
			groups = append(groups, filterGroup{Filters: []searchFilter{{PropertyName: prop, Operator: "EQ", Value: national}}})
		}
	}
	perRequest := min(maxGroups, maxFilters) // one filter per group
	var plan []searchBody
	for gs := range slices.Chunk(groups, perRequest) {
		plan = append(plan, searchBody{FilterGroups: gs, Properties: contactProps, Limit: pageSize})
	}
	return plan
}

// FindContacts looks the number up in one CRM search request (more only
// when the candidates exceed what one request carries; those run
// concurrently), then keeps only the contacts whose phone or mobile phone
// is one of the candidates, or is the same number written without its
// country code.
func (a *Adapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	c := a.api(req.Session)
	cands := unique(req.Phone.Candidates)
	national := ""
	if !req.Phone.IsExtension {
		national = req.Phone.Number.NationalNumber()
	}
	plan := planSearches(cands, national, a.maxIn)
	found := make([][]contactRecord, len(plan))
	errs := make([]error, len(plan))
	var wg sync.WaitGroup
	for i, body := range plan {
		wg.Go(func() { found[i], errs[i] = search(ctx, c, body) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		// A rate limit is the error the user can act on: return it as it is.
		for _, e := range errs {
			if _, ok := errors.AsType[*adapter.RateLimitError](e); ok {
				return adapter.FindContactsResult{}, e
			}
		}
		return adapter.FindContactsResult{}, err
	}
	contacts := []adapter.Contact{}
	seen := map[string]bool{}
	for _, recs := range found {
		for _, r := range recs {
			if seen[r.ID] {
				continue
			}
			if number, ok := matching(r, cands, req.Phone); ok {
				seen[r.ID] = true
				contacts = append(contacts, toContact(r, number))
			}
		}
	}
	a.log.DebugContext(ctx, "hubspot lookup", "phone", req.Phone.Number, "candidates", len(cands),
		"requests", len(plan), "contacts", len(contacts))
	return adapter.FindContactsResult{Contacts: contacts}, nil
}

// search runs one search, following pages up to maxPages.
func search(ctx context.Context, c api, body searchBody) ([]contactRecord, error) {
	var out []contactRecord
	for range maxPages {
		var page searchPage
		if err := c.Do(ctx, "POST", "/crm/objects/2026-03/contacts/search", nil, body, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Results...)
		if page.Paging == nil || page.Paging.Next.After == "" {
			break
		}
		body.After = page.Paging.Next.After
	}
	return out, nil
}

// matching re-checks a search result: it returns the contact's stored
// number that matches the lookup. The national number alone is not
// enough when the stored number names another country.
func matching(r contactRecord, cands []string, q adapter.PhoneQuery) (string, bool) {
	for _, prop := range []string{propPhone, propMobile} {
		v := strings.TrimSpace(r.Properties[prop])
		if v == "" {
			continue
		}
		if slices.Contains(cands, v) {
			return v, true
		}
		if q.IsExtension || q.Number.IsZero() {
			continue
		}
		if n, err := phone.Parse(v); err == nil && strings.HasPrefix(phone.Normalize(v), "+") {
			if n.E164() == q.Number.E164() {
				return v, true
			}
			continue
		}
		if digits(v) == q.Number.NationalNumber() {
			return v, true
		}
	}
	return "", false
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func toContact(r contactRecord, number string) adapter.Contact {
	p := r.Properties
	name := strings.TrimSpace(p["firstname"] + " " + p["lastname"])
	if name == "" {
		name = cmp.Or(p["email"], "Contact "+r.ID)
	}
	return adapter.Contact{ID: r.ID, Name: name, Phone: number, Type: contactType, Organization: p["company"]}
}

func unique(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// SearchContacts searches contacts by name with HubSpot's free-text query
// (first page of up to 100).
func (a *Adapter) SearchContacts(ctx context.Context, req adapter.SearchContactsRequest) (adapter.FindContactsResult, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return adapter.FindContactsResult{Contacts: []adapter.Contact{}}, nil
	}
	var page searchPage
	body := searchBody{Query: name, Properties: contactProps, Limit: pageSize}
	if err := a.api(req.Session).Do(ctx, "POST", "/crm/objects/2026-03/contacts/search", nil, body, &page); err != nil {
		return adapter.FindContactsResult{}, err
	}
	contacts := make([]adapter.Contact, 0, len(page.Results))
	for _, r := range page.Results {
		contacts = append(contacts, toContact(r, cmp.Or(r.Properties[propPhone], r.Properties[propMobile])))
	}
	return adapter.FindContactsResult{Contacts: contacts}, nil
}

// CreateContact creates a contact with the number in E.164 form as its
// phone, the last word of the name as last name.
func (a *Adapter) CreateContact(ctx context.Context, req adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	name := strings.Join(strings.Fields(req.Name), " ")
	if name == "" {
		return adapter.CreateContactResult{}, &adapter.UserError{Message: "A contact needs a name."}
	}
	props := map[string]string{}
	if i := strings.LastIndexByte(name, ' '); i > 0 {
		props["firstname"], props["lastname"] = name[:i], name[i+1:]
	} else {
		props["firstname"] = name
	}
	number := cmp.Or(req.Phone.Number.E164(), req.Phone.Raw)
	if number != "" {
		props[propPhone] = number
	}
	if o := extraOf(req.User).OwnerID; o != "" {
		props["hubspot_owner_id"] = o
	}
	var created contactRecord
	if err := a.api(req.Session).Do(ctx, "POST", "/crm/objects/2026-03/contacts", nil,
		map[string]any{"properties": props}, &created); err != nil {
		return adapter.CreateContactResult{}, err
	}
	if created.ID == "" {
		return adapter.CreateContactResult{}, errors.New("hubspot: POST contacts: no id in the answer")
	}
	return adapter.CreateContactResult{Contact: adapter.Contact{ID: created.ID, Name: name, Phone: number, Type: contactType}}, nil
}
