package template_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeCRM is TemplateCRM's API in memory, as much of it as the adapter
// uses. When you copy the template, make it speak your CRM's API.
type fakeCRM struct {
	*httptest.Server
	key string

	mu         sync.Mutex
	lastID     int
	contacts   []fakeContact
	activities map[string]*fakeActivity
	next       map[string]int // route -> HTTP status to answer once
}

type fakeContact struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Company string `json:"company,omitempty"`
}

type fakeActivity struct {
	ID        string `json:"id"`
	ContactID string `json:"contactId"`
	Kind      string `json:"kind"`
	Subject   string `json:"subject"`
	Note      string `json:"note"`
}

// newFakeCRM starts a fake that accepts the API key key, seeded with
//
//	c1 Alice Anderson  "+16505551212"
//	c2 Bob Brown       "(650) 555-1213"  (found only through a format)
func newFakeCRM(t testing.TB, key string) *fakeCRM {
	f := &fakeCRM{key: key, activities: map[string]*fakeActivity{}, next: map[string]int{}}
	f.contacts = []fakeContact{
		{ID: f.newID("c"), Name: "Alice Anderson", Phone: "+16505551212", Company: "Acme Inc"},
		{ID: f.newID("c"), Name: "Bob Brown", Phone: "(650) 555-1213"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/me", f.me)
	mux.HandleFunc("GET /v1/contacts", f.listContacts)
	mux.HandleFunc("POST /v1/contacts", f.createContact)
	mux.HandleFunc("POST /v1/activities", f.createActivity)
	mux.HandleFunc("GET /v1/activities/{id}", f.getActivity)
	mux.HandleFunc("PATCH /v1/activities/{id}", f.patchActivity)
	f.Server = httptest.NewServer(f.guard(mux))
	t.Cleanup(f.Close)
	return f
}

// failNext makes the next request of route ("GET /v1/me") answer status.
func (f *fakeCRM) failNext(route string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next[route] = status
}

// activity returns a copy of an activity.
func (f *fakeCRM) activity(id string) (fakeActivity, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.activities[id]
	if !ok {
		return fakeActivity{}, false
	}
	return *a, true
}

func (f *fakeCRM) newID(prefix string) string {
	f.lastID++
	return prefix + strconv.Itoa(f.lastID)
}

// guard checks the key and answers injected failures in TemplateCRM's
// error format.
func (f *fakeCRM) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.key {
			apiError(w, http.StatusUnauthorized, "invalid API key")
			return
		}
		route := r.Method + " " + r.URL.Path
		f.mu.Lock()
		status, fail := f.next[route]
		delete(f.next, route)
		f.mu.Unlock()
		switch {
		case !fail:
			next.ServeHTTP(w, r)
		case status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "7")
			apiError(w, status, "slow down")
		default:
			apiError(w, status, "Subject is too long")
		}
	})
}

func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg}})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (f *fakeCRM) me(w http.ResponseWriter, r *http.Request) {
	reply(w, map[string]string{"id": "u7", "name": "Ada Lovelace", "timezone": "Europe/London"})
}

func (f *fakeCRM) listContacts(w http.ResponseWriter, r *http.Request) {
	phone, name := r.URL.Query().Get("phone"), strings.ToLower(r.URL.Query().Get("name"))
	f.mu.Lock()
	defer f.mu.Unlock()
	found := []fakeContact{}
	for _, c := range f.contacts {
		if phone != "" && c.Phone == phone || name != "" && strings.Contains(strings.ToLower(c.Name), name) {
			found = append(found, c)
		}
	}
	reply(w, map[string]any{"data": found})
}

func (f *fakeCRM) createContact(w http.ResponseWriter, r *http.Request) {
	var c fakeContact
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil || c.Name == "" {
		apiError(w, http.StatusUnprocessableEntity, "name is required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c.ID = f.newID("c")
	f.contacts = append(f.contacts, c)
	reply(w, c)
}

func (f *fakeCRM) createActivity(w http.ResponseWriter, r *http.Request) {
	var a fakeActivity
	if err := json.NewDecoder(r.Body).Decode(&a); err != nil || a.ContactID == "" {
		apiError(w, http.StatusUnprocessableEntity, "contactId is required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a.ID = f.newID("a")
	f.activities[a.ID] = &a
	reply(w, a)
}

func (f *fakeCRM) getActivity(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.activities[r.PathValue("id")]
	if !ok {
		apiError(w, http.StatusNotFound, "no such activity")
		return
	}
	reply(w, a)
}

func (f *fakeCRM) patchActivity(w http.ResponseWriter, r *http.Request) {
	var patch struct{ Subject, Note *string }
	if err := json.NewDecoder(r.Body).Decode(&patch); err != nil {
		apiError(w, http.StatusBadRequest, "invalid JSON")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.activities[r.PathValue("id")]
	if !ok {
		apiError(w, http.StatusNotFound, "no such activity")
		return
	}
	if patch.Subject != nil {
		a.Subject = *patch.Subject
	}
	if patch.Note != nil {
		a.Note = *patch.Note
	}
	reply(w, a)
}
