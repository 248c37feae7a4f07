package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/crmbridge/crmbridge/auth"
)

// secretBytes is the length of the random session secret and hash key:
// more than auth.MinSecretLength, so a value cut short by a copy mistake
// is still refused rather than silently weaker.
const secretBytes = 48

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
	key, err := auth.GenerateKey(*keyID)
	if err != nil {
		return err
	}
	secret, err := randomString()
	if err != nil {
		return err
	}
	hash, err := randomString()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "APP_SERVER_SECRET_KEY=%s\nTOKEN_ENCRYPTION_KEY=%s\nHASH_KEY=%s\n", secret, key.Encode(), hash)
	return err
}

// randomString is secretBytes from crypto/rand, base64url without padding
// (no characters a shell or an environment file would treat specially).
func randomString() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
