// Package hubspot is a crmbridge adapter for HubSpot's CRM API, on
// HubSpot's date-versioned 2026-03 paths (the v1–v3 paths stop being
// supported in 2027).
//
// Users log in with OAuth 2.0: the SDK exchanges the code and refreshes the
// 30-minute access tokens at HubSpot's 2026-03 token endpoint, sending the
// client credentials in the form body as HubSpot requires, and revokes the
// refresh token when the user disconnects. The adapter never sees a token.
//
// A phone lookup is one CRM search request whatever the user's phone
// formats: its filter groups (OR'd) test every candidate string on phone and
// mobilephone, and the national number on HubSpot's normalized searchable
// phone properties. HubSpot allows at most 5 groups, 10 filters per group
// and 25 filters per search; a lookup with more candidates than one request
// carries is split into the fewest requests, sent concurrently. Every
// result is checked against the candidates again before it is returned (the
// national number alone may belong to another country).
//
// Calls are call engagements associated with the contact (HubSpot-defined
// association type 194): duration in milliseconds, direction INBOUND or
// OUTBOUND, the recording link in hs_call_recording_url and in the HTML
// body, which holds the user's note, the AI note and transcript, and the
// call details. Updates PATCH only the properties they change; an empty
// value never erases, a recording link is added once, and replacing the
// note keeps the recording and details. Each SMS conversation day is a note
// (association type 202). Contacts can be created and searched by name, and
// ListCRMUsers lists the account's users for the admin user mapping.
//
//	a, err := hubspot.New(hubspot.Config{OAuth: auth.Provider{
//		ClientID:     os.Getenv("HUBSPOT_CLIENT_ID"),
//		ClientSecret: os.Getenv("HUBSPOT_CLIENT_SECRET"),
//		RedirectURL:  "https://bridge.example.com/oauth-callback",
//	}})
package hubspot
