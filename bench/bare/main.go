// Command bare is the ceiling of the load measurement: a net/http server
// that answers every request with a fixed JSON body and does nothing else.
// bench/load.sh runs it next to examples/server with the body the real
// server answers for the same GET /contact.
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6067", "address to listen on")
	bodyFile := flag.String("body", "", "file holding the JSON body to answer")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(body)
	})))
}
