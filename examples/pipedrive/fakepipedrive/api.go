package fakepipedrive

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Server) handleUserMe(w http.ResponseWriter, r *http.Request) {
	s.stats.userMe.Add(1)
	s.mu.Lock()
	u, ok := s.users[requestUser(r)]
	var c User
	if ok {
		c = *u
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "User not found", "ERR_NOT_FOUND")
		return
	}
	writeData(w, http.StatusOK, map[string]any{
		"id":               c.ID,
		"name":             c.Name,
		"email":            c.Email,
		"timezone_name":    c.Timezone,
		"timezone_offset":  c.TimezoneOffset,
		"company_id":       s.companyID,
		"company_name":     "Fake " + s.companyDomain,
		"company_domain":   s.companyDomain,
		"active_flag":      true,
		"locale":           "en_US",
		"default_currency": "EUR",
	})
}

func (s *Server) handleActivityTypes(w http.ResponseWriter, r *http.Request) {
	s.stats.activityTypes.Add(1)
	s.mu.Lock()
	types := slices.Clone(s.activityTypes)
	s.mu.Unlock()
	out := make([]map[string]any, 0, len(types))
	for i, t := range types {
		out = append(out, map[string]any{
			"id":             t.ID,
			"order_nr":       i + 1,
			"name":           t.Name,
			"key_string":     t.KeyString,
			"icon_key":       t.IconKey,
			"active_flag":    t.Active,
			"is_custom_flag": t.ID > 6,
			"color":          nil,
		})
	}
	writeData(w, http.StatusOK, out)
}

// personItem is the shape of a person in v2 search results.
func (s *Server) personItem(p *Person) map[string]any {
	var org any
	if o, ok := s.orgs[p.OrgID]; ok {
		org = map[string]any{"id": o.ID, "name": o.Name, "address": nil}
	}
	var owner any
	if p.OwnerID != 0 {
		owner = map[string]any{"id": p.OwnerID}
	}
	return map[string]any{
		"id":            p.ID,
		"type":          "person",
		"name":          p.Name,
		"phones":        slices.Clone(p.Phones),
		"emails":        []string{},
		"visible_to":    3,
		"owner":         owner,
		"organization":  org,
		"custom_fields": []string{},
		"notes":         []string{},
	}
}

// personV2 is the shape of a person in v2 CRUD responses.
func personV2(p *Person) map[string]any {
	phones := make([]map[string]any, 0, len(p.Phones))
	for i, ph := range p.Phones {
		phones = append(phones, map[string]any{"value": ph, "primary": i == 0, "label": "work"})
	}
	var org any
	if p.OrgID != 0 {
		org = p.OrgID
	}
	return map[string]any{
		"id":       p.ID,
		"name":     p.Name,
		"phones":   phones,
		"emails":   []any{},
		"org_id":   org,
		"owner_id": p.OwnerID,
	}
}

func truthy(v string) bool { return v == "true" || v == "1" }

// handlePersonSearch implements GET /api/v2/persons/search. With
// exact_match the term must equal a stored value (case-insensitively);
// without it the term may occur anywhere in one (Pipedrive's reference:
// "term can be present anywhere in the resulting field values"; compared
// case-insensitively here too) and must be at least 2 characters long. Pages follow Pipedrive's cursor pagination: limit 1..500
// (default 100), and additional_data.next_cursor names the next page when
// more hits remain, null on the last page.
func (s *Server) handlePersonSearch(w http.ResponseWriter, r *http.Request) {
	s.stats.personSearches.Add(1)
	q := r.URL.Query()
	term := q.Get("term")
	exact := truthy(q.Get("exact_match"))
	if term == "" || (!exact && len(term) < 2) {
		writeError(w, http.StatusBadRequest, "term must be at least 2 characters long, or 1 with exact_match", "ERR_BAD_REQUEST")
		return
	}
	fields := []string{"name", "email", "phone", "notes", "custom_fields"}
	if f := q.Get("fields"); f != "" {
		fields = strings.Split(f, ",")
	}
	limit := 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "limit must be between 1 and 500", "ERR_BAD_REQUEST")
			return
		}
		limit = n
	}
	match := func(v string) bool {
		if exact {
			return strings.EqualFold(v, term)
		}
		if s.prefixSearch {
			return strings.HasPrefix(strings.ToLower(v), strings.ToLower(term))
		}
		return strings.Contains(strings.ToLower(v), strings.ToLower(term))
	}
	// The cursor is opaque to clients; here it is the number of hits
	// already returned.
	skip := 0
	if cur := q.Get("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "invalid cursor", "ERR_BAD_REQUEST")
			return
		}
		skip = n
	}
	s.mu.Lock()
	ids := make([]int, 0, len(s.persons))
	for id := range s.persons {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	items := []map[string]any{}
	var next any
	hits := 0
	for _, id := range ids {
		p := s.persons[id]
		hit := slices.Contains(fields, "name") && match(p.Name) ||
			slices.Contains(fields, "phone") && slices.ContainsFunc(p.Phones, match)
		if !hit {
			continue
		}
		hits++
		if hits <= skip {
			continue
		}
		if len(items) == limit {
			next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(skip + limit)))
			break
		}
		items = append(items, map[string]any{"result_score": 1.0, "item": s.personItem(p)})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"success":         true,
		"data":            map[string]any{"items": items},
		"additional_data": map[string]any{"next_cursor": next},
	})
}

func pathID(r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	return id, err == nil && id > 0
}

func (s *Server) handleGetPerson(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	s.mu.Lock()
	p, found := s.persons[id]
	var out map[string]any
	if ok && found {
		out = personV2(p)
	}
	s.mu.Unlock()
	if out == nil {
		writeError(w, http.StatusNotFound, "Person not found", "ERR_NOT_FOUND")
		return
	}
	writeData(w, http.StatusOK, out)
}

// decodeObject reads a JSON object body, keeping each field raw so handlers
// can tell absent fields from zero ones.
func decodeObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || body == nil {
		writeError(w, http.StatusBadRequest, "Request body must be a JSON object", "ERR_BAD_REQUEST")
		return nil, false
	}
	return body, true
}

func (s *Server) handleCreatePerson(w http.ResponseWriter, r *http.Request) {
	body, ok := decodeObject(w, r)
	if !ok {
		return
	}
	var in struct {
		Name   string `json:"name"`
		OrgID  int    `json:"org_id"`
		Phones []struct {
			Value   string `json:"value"`
			Primary bool   `json:"primary"`
			Label   string `json:"label"`
		} `json:"phones"`
	}
	if err := remarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "Validation failed: "+err.Error(), "ERR_SCHEMA_VALIDATION_FAILED")
		return
	}
	if strings.TrimSpace(in.Name) == "" {
		writeError(w, http.StatusBadRequest, "Validation failed: name: Parameter is required", "ERR_SCHEMA_VALIDATION_FAILED")
		return
	}
	p := Person{Name: in.Name, OrgID: in.OrgID, OwnerID: requestUser(r)}
	for _, ph := range in.Phones {
		if ph.Value == "" {
			writeError(w, http.StatusBadRequest, "Validation failed: phones: value is required", "ERR_SCHEMA_VALIDATION_FAILED")
			return
		}
		if ph.Primary {
			p.Phones = slices.Insert(p.Phones, 0, ph.Value)
		} else {
			p.Phones = append(p.Phones, ph.Value)
		}
	}
	s.mu.Lock()
	if _, found := s.orgs[p.OrgID]; p.OrgID != 0 && !found {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "Organization not found", "ERR_BAD_REQUEST")
		return
	}
	p.ID = s.nextID("person")
	s.persons[p.ID] = &p
	out := personV2(&p)
	s.mu.Unlock()
	s.stats.personAdded.Add(1)
	writeData(w, http.StatusOK, out)
}

func (s *Server) handleGetOrganization(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	s.mu.Lock()
	o, found := s.orgs[id]
	var out map[string]any
	if ok && found {
		out = map[string]any{"id": o.ID, "name": o.Name}
	}
	s.mu.Unlock()
	if out == nil {
		writeError(w, http.StatusNotFound, "Organization not found", "ERR_NOT_FOUND")
		return
	}
	writeData(w, http.StatusOK, out)
}

func (s *Server) handleCreateOrganization(w http.ResponseWriter, r *http.Request) {
	body, ok := decodeObject(w, r)
	if !ok {
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := remarshal(body, &in); err != nil || strings.TrimSpace(in.Name) == "" {
		writeError(w, http.StatusBadRequest, "Validation failed: name: Parameter is required", "ERR_SCHEMA_VALIDATION_FAILED")
		return
	}
	s.mu.Lock()
	o := Organization{ID: s.nextID("org"), Name: in.Name}
	s.orgs[o.ID] = &o
	s.mu.Unlock()
	writeData(w, http.StatusOK, map[string]any{"id": o.ID, "name": o.Name})
}

// handleListDeals implements GET /api/v2/deals filtered by person_id,
// org_id and status (comma-separated statuses allowed).
func (s *Server) handleListDeals(w http.ResponseWriter, r *http.Request) {
	s.stats.dealLists.Add(1)
	q := r.URL.Query()
	atoi := func(k string) (int, bool) {
		v := q.Get(k)
		if v == "" {
			return 0, true
		}
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	personID, ok1 := atoi("person_id")
	orgID, ok2 := atoi("org_id")
	if !ok1 || !ok2 {
		writeError(w, http.StatusBadRequest, "person_id and org_id must be integers", "ERR_BAD_REQUEST")
		return
	}
	var statuses []string
	if st := q.Get("status"); st != "" {
		statuses = strings.Split(st, ",")
	}
	s.mu.Lock()
	ids := make([]int, 0, len(s.deals))
	for id := range s.deals {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := []map[string]any{}
	for _, id := range ids {
		d := s.deals[id]
		if personID != 0 && d.PersonID != personID || orgID != 0 && d.OrgID != orgID ||
			statuses != nil && !slices.Contains(statuses, d.Status) {
			continue
		}
		out = append(out, map[string]any{
			"id": d.ID, "title": d.Title, "person_id": d.PersonID, "org_id": d.OrgID,
			"status": d.Status, "value": 0, "currency": "EUR",
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"success":         true,
		"data":            out,
		"additional_data": map[string]any{"next_cursor": nil},
	})
}

var (
	dateRE  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	clockRE = regexp.MustCompile(`^\d{2}:\d{2}$`)
)

// activityInput is the writable part of a v2 activity.
type activityInput struct {
	Subject      *string `json:"subject"`
	Type         *string `json:"type"`
	Note         *string `json:"note"`
	DueDate      *string `json:"due_date"`
	DueTime      *string `json:"due_time"`
	Duration     *string `json:"duration"`
	Done         *bool   `json:"done"`
	DealID       *int    `json:"deal_id"`
	OwnerID      *int    `json:"owner_id"`
	Participants *[]struct {
		PersonID int  `json:"person_id"`
		Primary  bool `json:"primary"`
	} `json:"participants"`
}

func remarshal(body map[string]json.RawMessage, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// applyActivity validates in and writes it into a; s.mu is held. It returns
// a Pipedrive error message, or "".
func (s *Server) applyActivity(a *Activity, body map[string]json.RawMessage) string {
	for _, ro := range []string{"person_id", "org_id", "id", "add_time", "update_time"} {
		if _, ok := body[ro]; ok {
			msg := fmt.Sprintf("'%s' is a read-only field.", ro)
			if ro == "person_id" {
				msg += " Add a primary participant to set 'person_id' instead."
			}
			return msg
		}
	}
	var in activityInput
	if err := remarshal(body, &in); err != nil {
		return "Validation failed: " + err.Error()
	}
	if in.Type != nil {
		i := slices.IndexFunc(s.activityTypes, func(t ActivityType) bool { return t.KeyString == *in.Type })
		if i < 0 || !s.activityTypes[i].Active {
			return "Validation failed: type: unknown or inactive activity type"
		}
		a.Type = *in.Type
	}
	if in.DueDate != nil {
		if _, err := time.Parse("2006-01-02", *in.DueDate); err != nil || !dateRE.MatchString(*in.DueDate) {
			return "Validation failed: due_date: must be YYYY-MM-DD"
		}
		a.DueDate = *in.DueDate
	}
	if in.DueTime != nil {
		if !clockRE.MatchString(*in.DueTime) {
			return "Validation failed: due_time: must be HH:MM"
		}
		a.DueTime = *in.DueTime
	}
	if in.Duration != nil {
		if !clockRE.MatchString(*in.Duration) {
			return "Validation failed: duration: must be HH:MM"
		}
		a.Duration = *in.Duration
	}
	if in.DealID != nil {
		if _, ok := s.deals[*in.DealID]; *in.DealID != 0 && !ok {
			return "Validation failed: deal_id: deal not found"
		}
		a.DealID = *in.DealID
	}
	if in.Participants != nil {
		ps := []Participant{}
		for _, p := range *in.Participants {
			if _, ok := s.persons[p.PersonID]; !ok {
				return fmt.Sprintf("Validation failed: participants: person %d not found", p.PersonID)
			}
			ps = append(ps, Participant{PersonID: p.PersonID, Primary: p.Primary})
		}
		a.Participants = ps
	}
	if in.Subject != nil {
		a.Subject = *in.Subject
	}
	if in.Note != nil {
		a.Note = *in.Note
	}
	if in.Done != nil {
		a.Done = *in.Done
	}
	if in.OwnerID != nil {
		a.OwnerID = *in.OwnerID
	}
	return ""
}

// activityV2 is the v2 wire shape of an activity; participants come back
// with primary_flag, unlike the "primary" they are written with.
func activityV2(a *Activity) map[string]any {
	parts := make([]map[string]any, 0, len(a.Participants))
	var personID any
	for _, p := range a.Participants {
		parts = append(parts, map[string]any{"person_id": p.PersonID, "primary_flag": p.Primary})
		if p.Primary {
			personID = p.PersonID
		}
	}
	orNil := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var deal any
	if a.DealID != 0 {
		deal = a.DealID
	}
	return map[string]any{
		"id":           a.ID,
		"subject":      a.Subject,
		"type":         a.Type,
		"owner_id":     a.OwnerID,
		"is_deleted":   false,
		"done":         a.Done,
		"due_date":     orNil(a.DueDate),
		"due_time":     orNil(a.DueTime),
		"duration":     orNil(a.Duration),
		"busy":         false,
		"deal_id":      deal,
		"person_id":    personID,
		"org_id":       nil,
		"lead_id":      nil,
		"participants": parts,
		"attendees":    []any{},
		"note":         orNil(a.Note),
	}
}

func (s *Server) handleCreateActivity(w http.ResponseWriter, r *http.Request) {
	body, ok := decodeObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	a := &Activity{Type: "task", OwnerID: requestUser(r)}
	if msg := s.applyActivity(a, body); msg != "" {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, msg, "ERR_BAD_REQUEST")
		return
	}
	if a.Subject == "" {
		i := slices.IndexFunc(s.activityTypes, func(t ActivityType) bool { return t.KeyString == a.Type })
		if i >= 0 {
			a.Subject = s.activityTypes[i].Name
		}
	}
	a.ID = s.nextID("activity")
	s.activities[a.ID] = a
	out := activityV2(a)
	s.mu.Unlock()
	s.stats.activityCreates.Add(1)
	writeData(w, http.StatusOK, out)
}

// handleListActivities is GET /api/v2/activities: person_id filters by a
// participant, sort_by=add_time (the default is id; both are creation
// order here) with sort_direction asc or desc, limit (1..500, default 100).
// One page: the fake never answers a next cursor.
func (s *Server) handleListActivities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	personID := 0
	if v := q.Get("person_id"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "person_id must be an integer", "ERR_BAD_REQUEST")
			return
		}
		personID = n
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "limit must be between 1 and 500", "ERR_BAD_REQUEST")
			return
		}
		limit = n
	}
	desc := q.Get("sort_direction") == "desc"
	s.mu.Lock()
	ids := make([]int, 0, len(s.activities))
	for id, a := range s.activities {
		if personID != 0 && !slices.ContainsFunc(a.Participants, func(p Participant) bool { return p.PersonID == personID }) {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if desc {
		slices.Reverse(ids)
	}
	out := []map[string]any{}
	for _, id := range ids[:min(limit, len(ids))] {
		out = append(out, activityV2(s.activities[id]))
	}
	s.mu.Unlock()
	s.stats.activityReads.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{
		"success":         true,
		"data":            out,
		"additional_data": map[string]any{"next_cursor": nil},
	})
}

func (s *Server) handleGetActivity(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	s.mu.Lock()
	a, found := s.activities[id]
	var out map[string]any
	if ok && found {
		out = activityV2(a)
	}
	s.mu.Unlock()
	if out == nil {
		writeError(w, http.StatusNotFound, "Activity not found", "ERR_NOT_FOUND")
		return
	}
	s.stats.activityReads.Add(1)
	writeData(w, http.StatusOK, out)
}

func (s *Server) handlePatchActivity(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	body, okBody := decodeObject(w, r)
	if !okBody {
		return
	}
	s.mu.Lock()
	a, found := s.activities[id]
	if !ok || !found {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Activity not found", "ERR_NOT_FOUND")
		return
	}
	// Validate on a copy so a refused PATCH changes nothing.
	c := *a
	c.Participants = slices.Clone(a.Participants)
	if msg := s.applyActivity(&c, body); msg != "" {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, msg, "ERR_BAD_REQUEST")
		return
	}
	c.Updates++
	*a = c
	out := activityV2(a)
	s.mu.Unlock()
	s.stats.activityUpdates.Add(1)
	writeData(w, http.StatusOK, out)
}
