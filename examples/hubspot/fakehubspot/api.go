package fakehubspot

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmbridge/crmbridge/phone"
)

// writable are the properties the fake accepts per object type; any other
// answers 400, as HubSpot does for a property that does not exist.
var writable = map[string][]string{
	"contacts": {"firstname", "lastname", "phone", "mobilephone", "email", "company", "hubspot_owner_id"},
	"calls": {"hs_timestamp", "hs_call_title", "hs_call_body", "hs_call_duration", "hs_call_direction",
		"hs_call_status", "hs_call_from_number", "hs_call_to_number", "hs_call_recording_url",
		"hs_call_disposition", "hubspot_owner_id"},
	"notes": {"hs_timestamp", "hs_note_body", "hubspot_owner_id"},
}

// callStatuses are the options of hs_call_status.
var callStatuses = []string{"BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED", "IN_PROGRESS", "NO_ANSWER", "QUEUED", "RINGING"}

// assocType is the association type a record of each kind must use to a
// contact.
var assocType = map[string]int{"calls": AssocCallToContact, "notes": AssocNoteToContact}

// maxBody bounds a request body the fake reads.
const maxBody = 1 << 20

func (s *Server) bad(w http.ResponseWriter, format string, args ...any) {
	s.stats.badRequests.Add(1)
	writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf(format, args...))
}

func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// propValues reads a properties object whose values may be strings,
// numbers or booleans.
type propValues map[string]string

func (p *propValues) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*p = make(propValues, len(raw))
	for k, v := range raw {
		switch t := v.(type) {
		case string:
			(*p)[k] = t
		case float64:
			(*p)[k] = strconv.FormatFloat(t, 'f', -1, 64)
		case bool:
			(*p)[k] = strconv.FormatBool(t)
		case nil:
			(*p)[k] = ""
		default:
			return fmt.Errorf("property %s: not a scalar", k)
		}
	}
	return nil
}

// checkProps validates property names and the values HubSpot checks.
func checkProps(kind string, props propValues, create bool) error {
	for k, v := range props {
		if !slices.Contains(writable[kind], k) {
			return fmt.Errorf("Property values were not valid: property %q does not exist", k)
		}
		switch k {
		case "hs_call_direction":
			if v != "" && v != "INBOUND" && v != "OUTBOUND" {
				return fmt.Errorf("Property values were not valid: %q is not a valid option for hs_call_direction", v)
			}
		case "hs_call_status":
			if v != "" && !slices.Contains(callStatuses, v) {
				return fmt.Errorf("Property values were not valid: %q is not a valid option for hs_call_status", v)
			}
		case "hs_call_duration":
			if n, err := strconv.ParseInt(v, 10, 64); v != "" && (err != nil || n < 0) {
				return fmt.Errorf("Property values were not valid: hs_call_duration %q is not a whole number of milliseconds", v)
			}
		case "hs_timestamp":
			if v != "" && !validTimestamp(v) {
				return fmt.Errorf("Property values were not valid: hs_timestamp %q is neither epoch milliseconds nor ISO 8601", v)
			}
		}
	}
	if create && kind != "contacts" && props["hs_timestamp"] == "" {
		return fmt.Errorf("Property values were not valid: hs_timestamp is required")
	}
	return nil
}

func validTimestamp(v string) bool {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return true
	}
	_, err := time.Parse(time.RFC3339Nano, v)
	return err == nil
}

type objectOut struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	Archived   bool              `json:"archived"`
}

// view returns the object with the named properties (computed ones too),
// plus hs_object_id.
func view(o *Object, names []string) objectOut {
	out := objectOut{ID: strconv.Itoa(o.ID), Properties: map[string]string{"hs_object_id": strconv.Itoa(o.ID)}}
	for _, n := range names {
		if v, ok := valueOf(o, n); ok {
			out.Properties[n] = v
		}
	}
	return out
}

// valueOf reads a property, computing HubSpot's searchable phone
// properties: the national number of phone and mobilephone.
func valueOf(o *Object, name string) (string, bool) {
	switch name {
	case "hs_searchable_calculated_phone_number":
		return searchable(o.Properties["phone"]), true
	case "hs_searchable_calculated_mobile_number":
		return searchable(o.Properties["mobilephone"]), true
	}
	v, ok := o.Properties[name]
	return v, ok
}

// searchable is the national number of an international number, else the
// digits of what was stored.
func searchable(v string) string {
	if strings.TrimSpace(v) == "" {
		return ""
	}
	if n, err := phone.Parse(v); err == nil && n.NationalNumber() != "" {
		return n.NationalNumber()
	}
	var b strings.Builder
	for _, r := range v {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

type filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        *string  `json:"value"`
	Values       []string `json:"values"`
}

type searchRequest struct {
	FilterGroups []struct {
		Filters []filter `json:"filters"`
	} `json:"filterGroups"`
	Properties []string `json:"properties"`
	Limit      *int     `json:"limit"`
	After      string   `json:"after"`
	Query      string   `json:"query"`
}

var defaultContactProps = []string{"createdate", "email", "firstname", "lastmodifieddate", "lastname"}

// handleSearch is the CRM search of contacts: filter groups OR'd, filters
// AND'd, exact EQ and IN, HubSpot's limits enforced.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	var req searchRequest
	if err := decode(r, &req); err != nil {
		s.bad(w, "Invalid input JSON: %v", err)
		return
	}
	if len(req.FilterGroups) > MaxFilterGroups {
		s.bad(w, "Too many filter groups: %d (at most %d)", len(req.FilterGroups), MaxFilterGroups)
		return
	}
	total := 0
	for i, g := range req.FilterGroups {
		if len(g.Filters) == 0 {
			s.bad(w, "Filter group %d has no filters", i)
			return
		}
		if len(g.Filters) > MaxFiltersPerGroup {
			s.bad(w, "Too many filters in group %d: %d (at most %d)", i, len(g.Filters), MaxFiltersPerGroup)
			return
		}
		total += len(g.Filters)
		for _, f := range g.Filters {
			switch f.Operator {
			case "EQ":
				if f.Value == nil {
					s.bad(w, "Filter on %s: EQ needs a value", f.PropertyName)
					return
				}
			case "IN":
				if len(f.Values) == 0 || len(f.Values) > MaxInValues {
					s.bad(w, "Filter on %s: IN needs 1 to %d values", f.PropertyName, MaxInValues)
					return
				}
			default:
				s.bad(w, "Unsupported operator %q", f.Operator)
				return
			}
		}
	}
	if total > MaxFiltersPerSearch {
		s.bad(w, "Too many filters: %d (at most %d)", total, MaxFiltersPerSearch)
		return
	}
	limit := 10
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 || limit > MaxSearchLimit {
		s.bad(w, "limit must be between 1 and %d", MaxSearchLimit)
		return
	}
	offset := 0
	if req.After != "" {
		n, err := strconv.Atoi(req.After)
		if err != nil || n < 0 {
			s.bad(w, "invalid after")
			return
		}
		offset = n
	}
	s.stats.searches.Add(1)

	s.mu.Lock()
	var hits []*Object
	for _, o := range s.objects["contacts"] {
		if matchesQuery(o, req.Query) && matchesGroups(o, req.FilterGroups) {
			hits = append(hits, o)
		}
	}
	slices.SortFunc(hits, func(a, b *Object) int { return a.ID - b.ID })
	props := append(slices.Clone(defaultContactProps), req.Properties...)
	results := []objectOut{}
	for i := offset; i < len(hits) && i < offset+limit; i++ {
		results = append(results, view(hits[i], props))
	}
	s.mu.Unlock()
	out := map[string]any{"total": len(hits), "results": results}
	if offset+limit < len(hits) {
		out["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(offset + limit)}}
	}
	writeJSON(w, http.StatusOK, out)
}

func matchesGroups(o *Object, groups []struct {
	Filters []filter `json:"filters"`
}) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		all := true
		for _, f := range g.Filters {
			v, _ := valueOf(o, f.PropertyName)
			switch f.Operator {
			case "EQ":
				all = all && v != "" && v == *f.Value
			case "IN":
				all = all && v != "" && slices.Contains(f.Values, v)
			}
		}
		if all {
			return true
		}
	}
	return false
}

// matchesQuery is the search's free-text query over name, email and
// company, case-insensitively.
func matchesQuery(o *Object, q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	p := o.Properties
	hay := strings.ToLower(strings.Join([]string{p["firstname"] + " " + p["lastname"], p["email"], p["company"]}, "\n"))
	return strings.Contains(hay, q)
}

type createRequest struct {
	Properties   propValues `json:"properties"`
	Associations []struct {
		To struct {
			ID json.Number `json:"id"`
		} `json:"to"`
		Types []struct {
			Category string `json:"associationCategory"`
			TypeID   int    `json:"associationTypeId"`
		} `json:"types"`
	} `json:"associations"`
}

func (s *Server) handleCreate(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req createRequest
		if err := decode(r, &req); err != nil {
			s.bad(w, "Invalid input JSON: %v", err)
			return
		}
		if err := checkProps(kind, req.Properties, true); err != nil {
			s.bad(w, "%v", err)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var contacts []int
		for _, a := range req.Associations {
			want, ok := assocType[kind]
			if !ok {
				s.bad(w, "associations are not supported on %s by this fake", kind)
				return
			}
			if len(a.Types) != 1 || a.Types[0].Category != "HUBSPOT_DEFINED" || a.Types[0].TypeID != want {
				s.bad(w, "association to a contact must be HUBSPOT_DEFINED type %d", want)
				return
			}
			id, err := strconv.Atoi(a.To.ID.String())
			if _, exists := s.objects["contacts"][id]; err != nil || !exists {
				s.bad(w, "association target contact %s does not exist", a.To.ID)
				return
			}
			contacts = append(contacts, id)
		}
		props := map[string]string(req.Properties)
		if props == nil {
			props = map[string]string{}
		}
		id := s.addLocked(kind, props, contacts)
		switch kind {
		case "contacts":
			s.stats.contactCreates.Add(1)
		case "calls":
			s.stats.callCreates.Add(1)
		case "notes":
			s.stats.noteCreates.Add(1)
		}
		o := s.objects[kind][id]
		writeJSON(w, http.StatusCreated, view(o, slices.Collect(maps.Keys(o.Properties))))
	}
}

func (s *Server) lookupLocked(w http.ResponseWriter, kind, rawID string) *Object {
	id, err := strconv.Atoi(rawID)
	o := s.objects[kind][id]
	if err != nil || o == nil {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "resource not found")
		return nil
	}
	return o
}

func (s *Server) handleGet(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var names []string
		for _, n := range strings.Split(r.URL.Query().Get("properties"), ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		o := s.lookupLocked(w, kind, r.PathValue("id"))
		if o == nil {
			return
		}
		switch kind {
		case "calls":
			s.stats.callReads.Add(1)
		case "notes":
			s.stats.noteReads.Add(1)
		}
		writeJSON(w, http.StatusOK, view(o, names))
	}
}

func (s *Server) handlePatch(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req createRequest
		if err := decode(r, &req); err != nil {
			s.bad(w, "Invalid input JSON: %v", err)
			return
		}
		if len(req.Associations) > 0 || len(req.Properties) == 0 {
			s.bad(w, "a PATCH carries properties only, at least one")
			return
		}
		if err := checkProps(kind, req.Properties, false); err != nil {
			s.bad(w, "%v", err)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		o := s.lookupLocked(w, kind, r.PathValue("id"))
		if o == nil {
			return
		}
		names := make([]string, 0, len(req.Properties))
		for k, v := range req.Properties {
			o.Properties[k] = v // "" clears the property, as in HubSpot
			names = append(names, k)
		}
		o.Updates++
		switch kind {
		case "calls":
			s.stats.callUpdates.Add(1)
		case "notes":
			s.stats.noteUpdates.Add(1)
		}
		writeJSON(w, http.StatusOK, view(o, names))
	}
}

type ownerOut struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	UserID    int    `json:"userId"`
	Type      string `json:"type"`
	Archived  bool   `json:"archived"`
}

func ownerView(o *Owner) ownerOut {
	return ownerOut{ID: strconv.Itoa(o.ID), Email: o.Email, FirstName: o.FirstName, LastName: o.LastName, UserID: o.UserID, Type: "PERSON"}
}

// handleOwners lists the account's users, at most limit (default 100, at
// most 500) per page.
func (s *Server) handleOwners(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			s.bad(w, "limit must be between 1 and 500")
			return
		}
		limit = n
	}
	offset := 0
	if v := q.Get("after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.bad(w, "invalid after")
			return
		}
		offset = n
	}
	s.stats.ownerReads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	results := []ownerOut{}
	for i := offset; i < len(s.owners) && i < offset+limit; i++ {
		results = append(results, ownerView(s.owners[i]))
	}
	out := map[string]any{"results": results}
	if offset+limit < len(s.owners) {
		out["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(offset + limit)}}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleOwner reads one owner by owner id, or by user id with
// idProperty=userId.
func (s *Server) handleOwner(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	byUser := r.URL.Query().Get("idProperty") == "userId"
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.owners {
		if err == nil && ((byUser && o.UserID == id) || (!byUser && o.ID == id)) {
			s.stats.ownerReads.Add(1)
			writeJSON(w, http.StatusOK, ownerView(o))
			return
		}
	}
	writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "owner not found")
}
