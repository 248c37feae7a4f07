// Command mycrm-bridge serves the softphone client for MyCRM.
package main

import (
	"context"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store/sqlite"

	"github.com/crmbridge/crmbridge/examples/guide/mycrm"
)

func main() {
	crmURL := os.Getenv("MYCRM_URL")
	if crmURL == "" { // no MyCRM yet: run the fake one beside the server
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		go http.Serve(ln, mycrm.NewFakeCRM("demo-key"))
		crmURL = "http://" + ln.Addr().String()
		log.Print("MYCRM_URL is not set: using a fake MyCRM; log in with the API key demo-key")
	}
	sessions, err := auth.NewSessions([]byte(os.Getenv("APP_SERVER_SECRET_KEY")))
	if err != nil {
		log.Fatal("APP_SERVER_SECRET_KEY: ", err)
	}
	keys, err := auth.ParseKeyRing(os.Getenv("TOKEN_ENCRYPTION_KEY"))
	if err != nil {
		log.Fatal("TOKEN_ENCRYPTION_KEY: ", err)
	}
	store, err := sqlite.Open(context.Background(), "mycrm-bridge.db")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := httpserver.New(httpserver.Config{
		Adapters: []adapter.Adapter{mycrm.New(crmURL)},
		Store:    store,
		Sessions: sessions,
		Keys:     keys,
	}, httpserver.WithLogger(slog.Default()))
	if err != nil {
		log.Fatal(err)
	}
	log.Print("listening on http://127.0.0.1:6066")
	log.Fatal(http.ListenAndServe("127.0.0.1:6066", srv))
}
