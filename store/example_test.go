package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// Logging a call exactly once: reserve the (user, session) slot, create the
// CRM record only if the reservation was won, then confirm it with the CRM's
// id. A second attempt finds the confirmed id and creates nothing.
func Example_reservation() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	var st store.Store
	st, err := sqlite.Open(ctx, filepath.Join(dir, "example.db"))
	if err != nil {
		panic(err)
	}
	defer st.Close()

	if err := st.UpsertUser(ctx, store.User{Key: "42-testcrm", Platform: "testcrm", CRMUserID: "42"}); err != nil {
		panic(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		res, err := st.ReserveCallLog(ctx, "42-testcrm", "session-1", time.Minute)
		if err != nil {
			panic(err)
		}
		if !res.Won {
			fmt.Printf("attempt %d: already logged as %s\n", attempt, res.LogID)
			continue
		}
		crmID := "act-1001" // the CRM call would happen here
		if err := st.ConfirmCallLog(ctx, "42-testcrm", "session-1", crmID); err != nil {
			panic(err)
		}
		fmt.Printf("attempt %d: logged as %s\n", attempt, crmID)
	}
	// Output:
	// attempt 1: logged as act-1001
	// attempt 2: already logged as act-1001
}
