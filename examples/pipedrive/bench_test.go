package pipedrive_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/pipedrive"
	"github.com/crmbridge/crmbridge/examples/pipedrive/fakepipedrive"
)

// benchLookup looks up a number with 4 candidates, the third of which
// matches a person with an open deal, against a fake that takes latency per
// request. It reports the median lookup time as ms/lookup-median.
func benchLookup(b *testing.B, latency time.Duration, opts ...pipedrive.Option) {
	e := newEnv(b, []fakepipedrive.Option{fakepipedrive.WithLatency(latency)}, opts...)
	pid := e.fake.AddPerson(fakepipedrive.Person{Name: "Alan", Phones: []string{"650-555-1212"}})
	e.fake.AddDeal(fakepipedrive.Deal{Title: "Enigma", PersonID: pid})
	q := query(b, "+16505551212", "(***) ***-****", "***-***-****", "***.***.****")
	if len(q.Candidates) != 4 || q.Candidates[2] != "650-555-1212" {
		b.Fatalf("candidates = %q", q.Candidates)
	}
	req := adapter.FindContactsRequest{Session: e.sess, Phone: q}
	ctx := context.Background()
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := e.a.FindContacts(ctx, req)
		durations = append(durations, time.Since(start))
		if err != nil || len(res.Contacts) != 1 {
			b.Fatalf("FindContacts = %+v, %v", res.Contacts, err)
		}
	}
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2])/float64(time.Millisecond), "ms/lookup-median")
}

// 1 broad search and 1 deal list at 50 ms each: two round trips.
func BenchmarkFindContacts50msConcurrent(b *testing.B) { benchLookup(b, 50*time.Millisecond) }

// The same one request at a time, for comparison: still two round trips
// (the exact searches, one per candidate, are not needed here).
func BenchmarkFindContacts50msSequential(b *testing.B) {
	benchLookup(b, 50*time.Millisecond, pipedrive.WithLookupConcurrency(1))
}

// No latency: the adapter's own cost per lookup (two loopback requests).
func BenchmarkFindContactsNoLatency(b *testing.B) { benchLookup(b, 0) }
