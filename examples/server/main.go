package main

import (
	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/serve"
)

func main() { server().Main() }

// server serves testcrm, and Pipedrive and HubSpot once configured (optional.go).
func server() serve.Config {
	return serve.Config{
		Adapters:   []adapter.Adapter{testcrm.New(testcrm.NewCRM())},
		Configured: []serve.Configured{pipedriveApp, hubspotApp},
	}
}
