package httpserver

import (
	"testing"
	"time"
)

// A request's histogram is the vector's series for its labels, kept
// across requests: every observation lands in the one series.
func TestRequestObserverKeepsTheSeries(t *testing.T) {
	m := NewMetrics()
	for range 3 {
		m.observeRequest("GET /contact", "GET", 200, "testcrm", time.Millisecond)
	}
	m.observeRequest("GET /contact", "GET", 503, "testcrm", time.Millisecond)
	m.observeRequest("", "BREW", 404, "", time.Millisecond)
	for _, c := range []struct {
		labels []string
		want   uint64
	}{
		{[]string{"GET /contact", "GET", "2xx", "testcrm"}, 3},
		{[]string{"GET /contact", "GET", "5xx", "testcrm"}, 1},
		{[]string{"unmatched", "OTHER", "4xx", "none"}, 1},
	} {
		var n uint64
		for _, mf := range gatherOrPanic(m.reg.Gather()) {
			if mf.GetName() != "crmbridge_http_request_duration_seconds" {
				continue
			}
			for _, s := range mf.GetMetric() {
				got := map[string]string{}
				for _, l := range s.GetLabel() {
					got[l.GetName()] = l.GetValue()
				}
				if got["route"] == c.labels[0] && got["method"] == c.labels[1] && got["status_class"] == c.labels[2] && got["platform"] == c.labels[3] {
					n = s.GetHistogram().GetSampleCount()
				}
			}
		}
		if n != c.want {
			t.Errorf("%v: %d observations, want %d", c.labels, n, c.want)
		}
	}
	for status, want := range map[int]string{99: "other", 100: "1xx", 204: "2xx", 302: "3xx", 429: "4xx", 599: "5xx", 600: "other"} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", status, got, want)
		}
	}
}

func gatherOrPanic[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
