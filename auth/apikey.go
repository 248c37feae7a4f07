package auth

import "net/http"

// An API-key scheme, the type of adapter.AuthConfig.APIKeyScheme, puts a
// user's API key on a request to the CRM. The server applies it to every
// request an adapter's client sends; adapters only choose one.

// BearerScheme sends the key as "Authorization: Bearer <key>".
func BearerScheme(r *http.Request, key string) {
	r.Header.Set("Authorization", "Bearer "+key)
}

// BasicAuthScheme sends the key as the user name of HTTP Basic
// authentication with an empty password, as several CRMs expect.
func BasicAuthScheme(r *http.Request, key string) {
	r.SetBasicAuth(key, "")
}

// HeaderScheme returns a scheme sending the key as the value of header
// name, e.g. HeaderScheme("x-api-key").
func HeaderScheme(name string) func(*http.Request, string) {
	return func(r *http.Request, key string) { r.Header.Set(name, key) }
}
