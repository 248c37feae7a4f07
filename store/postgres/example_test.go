package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/postgres"
)

// Open a store for several replicas. Every replica passes the same DSN and
// schema; the first to start creates the tables. (Not run: it needs a
// database.)
func Example() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, "postgres://crmbridge@db.internal:5432/crm?sslmode=require",
		postgres.WithSchema("crmbridge"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	// Around an OAuth refresh: one replica refreshes, the others wait.
	unlock, err := s.Lock(ctx, "refresh:42-pipedrive")
	if err != nil {
		log.Fatal(err)
	}
	defer unlock()
}

// A database that cannot be reached is reported with store.ErrUnavailable,
// which the server answers with 503.
func ExampleOpen_unavailable() {
	// Find a local port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = postgres.Open(ctx, "postgres://crmbridge@"+addr+"/crm?sslmode=disable")
	fmt.Println("unavailable:", errors.Is(err, store.ErrUnavailable))
	// Output:
	// unavailable: true
}
