package template

import (
	"context"
	"net/url"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
)

// contact is TemplateCRM's contact.
type contact struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Company string `json:"company,omitempty"`
}

// contactList is the answer of a contact query.
type contactList struct {
	Data []contact `json:"data"`
}

func (c contact) toAdapter() adapter.Contact {
	return adapter.Contact{ID: c.ID, Name: c.Name, Phone: c.Phone, Type: "Contact", Organization: c.Company}
}

// FindContacts queries each candidate of the number (TemplateCRM matches
// phone strings exactly), keeping the first match of each contact in
// candidate order. An extension matches nobody.
func (a *Adapter) FindContacts(ctx context.Context, req adapter.FindContactsRequest) (adapter.FindContactsResult, error) {
	found := []adapter.Contact{}
	if req.Phone.IsExtension {
		return adapter.FindContactsResult{Contacts: found}, nil
	}
	seen := map[string]bool{}
	for _, cand := range req.Phone.Candidates {
		var list contactList
		if err := a.do(ctx, req.Client, "GET", "/v1/contacts", url.Values{"phone": {cand}}, nil, &list); err != nil {
			return adapter.FindContactsResult{}, err
		}
		for _, c := range list.Data {
			if !seen[c.ID] {
				seen[c.ID] = true
				found = append(found, c.toAdapter())
			}
		}
	}
	return adapter.FindContactsResult{Contacts: found}, nil
}

// SearchContacts finds contacts whose name contains req.Name.
func (a *Adapter) SearchContacts(ctx context.Context, req adapter.SearchContactsRequest) (adapter.FindContactsResult, error) {
	var list contactList
	if err := a.do(ctx, req.Client, "GET", "/v1/contacts", url.Values{"name": {strings.TrimSpace(req.Name)}}, nil, &list); err != nil {
		return adapter.FindContactsResult{}, err
	}
	found := make([]adapter.Contact, 0, len(list.Data))
	for _, c := range list.Data {
		found = append(found, c.toAdapter())
	}
	return adapter.FindContactsResult{Contacts: found}, nil
}

// CreateContact creates a contact with the number in E.164 form.
func (a *Adapter) CreateContact(ctx context.Context, req adapter.CreateContactRequest) (adapter.CreateContactResult, error) {
	var created contact
	in := contact{Name: req.Name, Phone: req.Phone.Number.E164()}
	if err := a.do(ctx, req.Client, "POST", "/v1/contacts", nil, in, &created); err != nil {
		return adapter.CreateContactResult{}, err
	}
	return adapter.CreateContactResult{Contact: created.toAdapter()}, nil
}
