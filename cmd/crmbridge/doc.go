// Command crmbridge holds the SDK's command-line tools. Each is a
// subcommand:
//
//	go run ./cmd/crmbridge keys            # fresh keys for a deployment
//	go run ./cmd/crmbridge keys -key-id k2 # a new token key, for rotation
//
// keys prints APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY as
// NAME=value lines, in the formats the example server (and serve) expect,
// ready to go into an environment file or a secret store. Every replica of
// a deployment must use the same values.
package main
