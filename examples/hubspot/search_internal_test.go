package hubspot

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/phone"
)

// Every plan stays within HubSpot's limits and uses the fewest requests:
// ceil(conditions / 5), a condition being one IN chunk on one property or
// the national number on one searchable property. Up to ten times the
// candidates one request carries.
func TestPlanSearchesLimitsAndFewestRequests(t *testing.T) {
	t.Parallel()
	for _, maxIn := range []int{1, 3, maxInValues} {
		for n := 1; n <= 10*maxIn*2+3; n += max(1, maxIn/3) {
			cands := make([]string, n)
			for i := range cands {
				cands[i] = "+1650555" + strconv.Itoa(1000+i)
			}
			for _, national := range []string{"", "6505551000"} {
				plan := planSearches(cands, national, maxIn)
				conds := 2 * ((n + maxIn - 1) / maxIn)
				if national != "" {
					conds += 2
				}
				if want := (conds + maxGroups - 1) / maxGroups; len(plan) != want {
					t.Fatalf("maxIn %d, %d candidates: %d requests, want %d", maxIn, n, len(plan), want)
				}
				seen := map[string]int{}
				for _, body := range plan {
					filters := 0
					if len(body.FilterGroups) > maxGroups {
						t.Fatalf("%d groups", len(body.FilterGroups))
					}
					for _, g := range body.FilterGroups {
						if len(g.Filters) > maxFiltersPerGroup {
							t.Fatalf("%d filters in a group", len(g.Filters))
						}
						filters += len(g.Filters)
						for _, f := range g.Filters {
							if len(f.Values) > maxIn {
								t.Fatalf("%d IN values > %d", len(f.Values), maxIn)
							}
							for _, v := range f.Values {
								seen[f.PropertyName+" "+v]++
							}
							if f.Operator == "EQ" {
								seen[f.PropertyName+" "+f.Value]++
							}
						}
					}
					if filters > maxFilters {
						t.Fatalf("%d filters", filters)
					}
				}
				// Every candidate on both properties, exactly once.
				for _, c := range cands {
					if seen[propPhone+" "+c] != 1 || seen[propMobile+" "+c] != 1 {
						t.Fatalf("candidate %s covered %d/%d times", c, seen[propPhone+" "+c], seen[propMobile+" "+c])
					}
				}
			}
		}
	}
}

func TestMatchingRechecksResults(t *testing.T) {
	t.Parallel()
	n, _ := phone.Parse("+16505551212")
	q := adapter.PhoneQuery{Number: n, Candidates: []string{"+16505551212", "(650) 555-1212"}}
	for _, tc := range []struct {
		props map[string]string
		want  bool
	}{
		{map[string]string{"phone": "(650) 555-1212"}, true},
		{map[string]string{"mobilephone": "+16505551212"}, true},
		{map[string]string{"phone": "650 555 1212"}, true},    // national digits, no country: same number
		{map[string]string{"phone": "+1 650 555 1212"}, true}, // another spelling of the same E.164
		{map[string]string{"phone": "+446505551212"}, false},  // same digits, another country
		{map[string]string{"phone": "6505551213"}, false},
		{map[string]string{}, false},
	} {
		if _, got := matching(contactRecord{ID: "1", Properties: tc.props}, q.Candidates, q); got != tc.want {
			t.Errorf("%v: matching = %v, want %v", tc.props, got, tc.want)
		}
	}
}

func TestStatusErrorClasses(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
	resp := &http.Response{StatusCode: 429, Header: h}
	err := statusError(resp, hubspotError{ErrorType: "RATE_LIMIT", PolicyName: "TEN_SECONDLY_ROLLING"})
	rl, ok := errors.AsType[*adapter.RateLimitError](err)
	if !ok || rl.RetryAfter != 10*time.Second {
		t.Errorf("429 with a 10 s window: %v", err)
	}
	err = statusError(&http.Response{StatusCode: 429, Header: http.Header{}}, hubspotError{PolicyName: "DAILY"})
	if rl, ok := errors.AsType[*adapter.RateLimitError](err); !ok || rl.RetryAfter != 0 {
		t.Errorf("daily limit: %v", err)
	}
	err = statusError(&http.Response{StatusCode: 429, Header: http.Header{}}, hubspotError{Category: "RATE_LIMITS", ErrorType: "RATE_LIMIT"})
	if err == nil || !strings.HasPrefix(err.Error(), "RATE_LIMITS/RATE_LIMIT: ") {
		t.Errorf("category and error type: %v; want both named, apart", err)
	}
	err = statusError(&http.Response{StatusCode: 400, Header: http.Header{}}, hubspotError{Message: "Property values were not valid"})
	if ue, ok := errors.AsType[*adapter.UserError](err); !ok || ue.Message != "Property values were not valid" {
		t.Errorf("400: %v", err)
	}
}
