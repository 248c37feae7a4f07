package main

import (
	"fmt"
	"io"

	"github.com/crmbridge/crmbridge/serve"
)

// runKeys prints a fresh set of keys.
func runKeys(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys", "Usage: crmbridge keys [-key-id ID]\n\nPrints APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY as NAME=value lines.", stderr)
	keyID := fs.String("key-id", "k1", "id of the new token key; to rotate, put the new key first in TOKEN_ENCRYPTION_KEY and keep the old one after it")
	if ok, end := parseFlags(fs, args); !ok {
		return end
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	k, err := serve.GenerateKeys(*keyID)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "APP_SERVER_SECRET_KEY=%s\nTOKEN_ENCRYPTION_KEY=%s\nHASH_KEY=%s\n", k.AppServerSecretKey, k.TokenEncryptionKey, k.HashKey)
	return err
}
