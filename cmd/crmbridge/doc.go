// Command crmbridge holds the SDK's command-line tools. Each is a
// subcommand in its own file:
//
//	go run ./cmd/crmbridge keys            # fresh keys for a deployment
//	go run ./cmd/crmbridge keys -key-id k2 # a new token key, for rotation
//	go run ./cmd/crmbridge sim --server URL (--api-key K --platform P | --callback-uri U --platform P | --jwt J) [--json]
//	go run ./cmd/crmbridge init DIR --platform NAME [--module PATH] [--auth oauth|apikey] [--replace LOCALPATH]
//
// keys prints APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY as
// NAME=value lines, in the formats the example server (and serve) expect,
// ready to go into an environment file or a secret store. Every replica of
// a deployment must use the same values.
//
// sim plays the browser client's request sequences against a running
// server of the protocol and reports each step with the rule it checks; it
// exits 1 when a step fails. init starts a new adapter project from
// examples/template.
//
// Exit status: 0 on success, 1 when sim saw a failed step or init could not
// write or tidy the project, 2 for a usage mistake or another error.
package main
