package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// Open a store in a directory, save a user, and log one call exactly once.
func Example() {
	dir, err := os.MkdirTemp("", "crmbridge-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "crmbridge.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	err = s.UpsertUser(ctx, store.User{
		Key:         "12345-testCRM",
		Platform:    "testCRM",
		CRMUserID:   "12345",
		Hostname:    "acme.crm.example",
		APIKey:      []byte("sealed by auth.SealingKeyRing"),
		TokenExpiry: time.Time{}, // API keys do not expire
	})
	if err != nil {
		log.Fatal(err)
	}

	// POST /callLog: reserve the session, create the CRM record, confirm.
	r, err := s.ReserveCallLog(ctx, "12345-testCRM", "session-1", time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("first post won:", r.Won)
	if err := s.ConfirmCallLog(ctx, "12345-testCRM", "session-1", "crm-activity-77"); err != nil {
		log.Fatal(err)
	}

	// The same POST again finds the existing record.
	r, err = s.ReserveCallLog(ctx, "12345-testCRM", "session-1", time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("second post won:", r.Won, "existing log:", r.LogID)

	// GET /callLog.
	ids, err := s.CallLogIDs(ctx, "12345-testCRM", []string{"session-1", "session-2"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ids)
	// Output:
	// first post won: true
	// second post won: false existing log: crm-activity-77
	// map[session-1:crm-activity-77]
}

// A lock serialises work across goroutines of this process, such as one
// OAuth refresh per user.
func ExampleStore_Lock() {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	unlock, err := s.Lock(ctx, "refresh:12345-testCRM")
	if err != nil {
		log.Fatal(err)
	}
	// While held, another Lock of the same name waits until its context ends.
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = s.Lock(waitCtx, "refresh:12345-testCRM")
	fmt.Println("second lock:", err != nil)
	unlock()
	// Output:
	// second lock: true
}

// FilePath says which file a path given to Open names, so that a program
// can create its directory or put a file beside it.
func ExampleFilePath() {
	for _, p := range []string{"data/crmbridge.db", "file:/var/lib/a%20b.db?mode=rwc", ":memory:"} {
		file, ok := sqlite.FilePath(p)
		fmt.Printf("%q %v\n", file, ok)
	}
	// Output:
	// "data/crmbridge.db" true
	// "/var/lib/a b.db" true
	// "" false
}
