package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/crmbridge/crmbridge/auth"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands is the dispatch table; a new tool is one more entry.
var commands = map[string]command{
	"keys": {summary: "print fresh APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY", run: runKeys},
}

// errUsage is a mistake on the command line; the usage has been printed.
var errUsage = errors.New("usage")

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "crmbridge:", err)
		}
		os.Exit(2)
	}
}

// run dispatches args[0] to its command. "help", "-h" and no arguments
// print the list of commands.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "crmbridge: unknown command %q\n", args[0])
		usage(stderr)
		return errUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: crmbridge <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"crmbridge <command> -h\" for a command's flags.")
}

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
