package postgres

import (
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
)

// benchStore is a store with one user holding five confirmed call logs.
func benchStore(b *testing.B) (*Store, []string) {
	b.Helper()
	s := openStore(b, testDSN(b), newSchema(b))
	ctx := bounded(b)
	u := store.User{
		Key: "1-p", Platform: "p", CRMUserID: "1", Hostname: "acme.crm.example",
		Timezone: "America/Los_Angeles", TimezoneOffset: -480,
		AccessToken: make([]byte, 96), RefreshToken: make([]byte, 96),
		TokenExpiry: time.Now().Add(time.Hour), Extra: []byte(`{"companyId":42}`),
	}
	if err := s.UpsertUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	ids := []string{"s-1", "s-2", "s-3", "s-4", "s-5"}
	for _, id := range ids {
		if _, err := s.ReserveCallLog(ctx, u.Key, id, time.Hour); err != nil {
			b.Fatal(err)
		}
		if err := s.ConfirmCallLog(ctx, u.Key, id, "crm-"+id); err != nil {
			b.Fatal(err)
		}
	}
	return s, ids
}

// BenchmarkGetUser is the lookup every authenticated request makes.
func BenchmarkGetUser(b *testing.B) {
	s, _ := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetUser(ctx, "1-p"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallLogIDs is GET /callLog with the client's usual five ids.
func BenchmarkCallLogIDs(b *testing.B) {
	s, ids := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.CallLogIDs(ctx, "1-p", ids)
		if err != nil || len(got) != len(ids) {
			b.Fatal(got, err)
		}
	}
}

// BenchmarkLock is an uncontended Lock and unlock, as around an OAuth
// refresh.
func BenchmarkLock(b *testing.B) {
	s, _ := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		unlock, err := s.Lock(ctx, "refresh:1-p")
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}
