package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/crmbridge/crmbridge/serve"
)

// runKeys prints a fresh set of keys.
func runKeys(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyID := fs.String("key-id", "k1", "id of the new token key; to rotate, put the new key first in TOKEN_ENCRYPTION_KEY and keep the old one after it")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: crmbridge keys [-key-id ID]\n\nPrints APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY as NAME=value lines.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
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
