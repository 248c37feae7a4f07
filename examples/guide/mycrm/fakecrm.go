package mycrm

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// FakeCRM is a stand-in for MyCRM's API, in memory: the tests run against
// it, and you can try the server with it before you have a MyCRM account.
// It knows one user, whose key is the one given to NewFakeCRM, and one
// contact, Alice (id "1", phone "+16505551212").
type FakeCRM struct {
	key        string
	mu         sync.Mutex
	contacts   []Contact
	activities map[string]Activity
	lastID     int
}

// NewFakeCRM returns a fake MyCRM that accepts the API key key.
func NewFakeCRM(key string) *FakeCRM {
	return &FakeCRM{
		key:        key,
		contacts:   []Contact{{ID: "1", Name: "Alice Anderson", Phone: "+16505551212"}},
		activities: map[string]Activity{},
		lastID:     1,
	}
}

// Activity returns the activity with the given id, as MyCRM stores it.
func (f *FakeCRM) Activity(id string) (Activity, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.activities[id]
	return a, ok
}

// ServeHTTP serves the API.
func (f *FakeCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-API-Key") != f.key {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method + " " + r.URL.Path {
	case "GET /api/me":
		reply(w, map[string]string{"id": "7", "name": "Ada Lovelace"})
	case "GET /api/contacts":
		found := []Contact{}
		for _, c := range f.contacts {
			if c.Phone == r.URL.Query().Get("phone") {
				found = append(found, c)
			}
		}
		reply(w, found)
	case "POST /api/activities":
		var a Activity
		if json.NewDecoder(r.Body).Decode(&a) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		a.ID = f.newID()
		f.activities[a.ID] = a
		reply(w, a)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (f *FakeCRM) newID() string {
	f.lastID++
	return strconv.Itoa(f.lastID)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
