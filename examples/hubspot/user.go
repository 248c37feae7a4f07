package hubspot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
)

// Hostname is the host of HubSpot's app, shown as the user's CRM host.
const Hostname = "app.hubspot.com"

// maxOwnerPages bounds ListCRMUsers (500 owners per page).
const maxOwnerPages = 40

// userExtra is what the adapter keeps about a user (adapter.UserInfo.Extra).
type userExtra struct {
	// HubID is the account (portal) id; OwnerID the user's owner id, which
	// owns the calls and notes the adapter creates.
	HubID   string `json:"hubId,omitempty"`
	OwnerID string `json:"ownerId,omitempty"`
}

func extraOf(u adapter.User) userExtra {
	var x userExtra
	if len(u.Extra) > 0 {
		_ = json.Unmarshal(u.Extra, &x) // unreadable extra: no owner, calls stay unowned
	}
	return x
}

type owner struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	UserID    int64  `json:"userId"`
	Archived  bool   `json:"archived"`
}

func (o owner) name() string {
	if n := strings.TrimSpace(o.FirstName + " " + o.LastName); n != "" {
		return n
	}
	return o.Email
}

// numberField reads a token response field that is a JSON number or a
// numeric string, under the first of names present (HubSpot's references
// show both snake_case and camelCase token responses).
func numberField(extra map[string]any, names ...string) string {
	for _, name := range names {
		switch v := extra[name].(type) {
		case json.Number:
			return v.String()
		case string:
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

// GetUserInfo identifies the user from the token response (user_id,
// hub_id) and reads the user's owner record for name and owner id.
func (a *Adapter) GetUserInfo(ctx context.Context, req adapter.UserInfoRequest) (adapter.UserInfo, error) {
	userID := numberField(req.TokenExtra, "user_id", "userId")
	if userID == "" {
		return adapter.UserInfo{}, errors.New("hubspot: the token response names no user_id")
	}
	var o owner
	err := a.apiOf(req.Client).Do(ctx, "GET", "/crm/owners/2026-03/"+url.PathEscape(userID),
		url.Values{"idProperty": {"userId"}}, nil, &o)
	if err != nil && !errors.Is(err, adapter.ErrNotFound) {
		return adapter.UserInfo{}, err
	}
	extra, err := json.Marshal(userExtra{HubID: numberField(req.TokenExtra, "hub_id", "hubId"), OwnerID: o.ID})
	if err != nil {
		return adapter.UserInfo{}, fmt.Errorf("hubspot: encoding user data: %w", err)
	}
	return adapter.UserInfo{
		ID:       userID,
		Name:     cmp.Or(o.name(), "HubSpot user "+userID),
		Hostname: Hostname,
		Extra:    extra,
	}, nil
}

// ValidateAuth reads the user's own owner record: any answer but a refusal
// of the token means the session works.
func (a *Adapter) ValidateAuth(ctx context.Context, req adapter.ValidateAuthRequest) (adapter.ValidateAuthResult, error) {
	err := a.api(req.Session).Do(ctx, "GET", "/crm/owners/2026-03/"+url.PathEscape(req.User.ID),
		url.Values{"idProperty": {"userId"}}, nil, nil)
	if errors.Is(err, adapter.ErrNotFound) {
		return adapter.ValidateAuthResult{}, nil
	}
	return adapter.ValidateAuthResult{}, err
}

// CRMUser is a user of the HubSpot account, for the admin's mapping of
// telephony extensions to CRM users.
type CRMUser struct {
	// ID is the HubSpot user id (the id sessions are keyed by).
	ID string
	// OwnerID is the user's owner id, which records are assigned to.
	OwnerID string
	// Name and Email describe the user.
	Name, Email string
}

// ListCRMUsers lists the account's active users from HubSpot's owners API,
// 500 per request, at most 20,000.
func (a *Adapter) ListCRMUsers(ctx context.Context, s adapter.Session) ([]CRMUser, error) {
	c := a.api(s)
	var users []CRMUser
	after := ""
	for range maxOwnerPages {
		q := url.Values{"limit": {"500"}}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Results []owner `json:"results"`
			Paging  *paging `json:"paging"`
		}
		if err := c.Do(ctx, "GET", "/crm/owners/2026-03", q, nil, &page); err != nil {
			return nil, err
		}
		for _, o := range page.Results {
			if o.Archived || o.UserID == 0 {
				continue
			}
			users = append(users, CRMUser{ID: strconv.FormatInt(o.UserID, 10), OwnerID: o.ID, Name: o.name(), Email: o.Email})
		}
		if page.Paging == nil || page.Paging.Next.After == "" {
			return users, nil
		}
		after = page.Paging.Next.After
	}
	return users, nil
}

type paging struct {
	Next struct {
		After string `json:"after"`
	} `json:"next"`
}
