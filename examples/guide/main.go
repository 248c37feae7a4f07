// Command mycrm-bridge serves the softphone client for MyCRM.
package main

import (
	"log"
	"net"
	"net/http"
	"os"

	"github.com/crmbridge/crmbridge/serve"

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
	serve.Main(mycrm.New(crmURL))
}
