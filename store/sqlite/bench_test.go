package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

func benchStore(b *testing.B) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkGetUser is the lookup every authenticated request makes.
func BenchmarkGetUser(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	u := store.User{
		Key: "12345-testCRM", Platform: "testCRM", CRMUserID: "12345", Hostname: "acme.crm.example",
		AccessToken: make([]byte, 120), RefreshToken: make([]byte, 120), TokenExpiry: time.Now().Add(time.Hour),
		Extra: []byte(`{"companyId":42}`),
	}
	if err := s.UpsertUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetUser(ctx, u.Key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallLogIDs is GET /callLog with five session ids, four logged.
func BenchmarkCallLogIDs(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = fmt.Sprintf("session-%d", i)
		if i == 4 {
			continue
		}
		if _, err := s.ReserveCallLog(ctx, "12345-testCRM", ids[i], time.Minute); err != nil {
			b.Fatal(err)
		}
		if err := s.ConfirmCallLog(ctx, "12345-testCRM", ids[i], "crm-"+ids[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.CallLogIDs(ctx, "12345-testCRM", ids)
		if err != nil || len(got) != 4 {
			b.Fatalf("CallLogIDs = %v, %v", got, err)
		}
	}
}

// BenchmarkReserveConfirm is the dedupe bookkeeping of one POST /callLog:
// two writes.
func BenchmarkReserveConfirm(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("session-%d", i)
		i++
		r, err := s.ReserveCallLog(ctx, "12345-testCRM", id, time.Minute)
		if err != nil || !r.Won {
			b.Fatalf("ReserveCallLog = %+v, %v", r, err)
		}
		if err := s.ConfirmCallLog(ctx, "12345-testCRM", id, "crm-1"); err != nil {
			b.Fatal(err)
		}
	}
}
