package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/crmbridge/crmbridge/internal/clientsim"
)

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o clientsim.Options
	var jsonOut bool
	var timeout time.Duration
	fs := newFlags("crmbridge sim", "usage: crmbridge sim --server URL (--api-key K --platform P | --callback-uri U --platform P | --jwt J) [--json]", stderr)
	fs.StringVar(&o.Server, "server", "", "base URL of the adapter server (required), e.g. http://127.0.0.1:6066")
	fs.StringVar(&o.APIKey, "api-key", "", "log in with this CRM API key (with --platform)")
	fs.StringVar(&o.Platform, "platform", "", "adapter platform name, e.g. testcrm")
	fs.StringVar(&o.CallbackURI, "callback-uri", "", "log in through GET /oauth-callback with this URL the CRM redirected to after approval (with --platform)")
	fs.StringVar(&o.Hostname, "hostname", "", "CRM hostname sent at login (optional)")
	fs.StringVar(&o.JWT, "jwt", "", "use this session JWT instead of logging in")
	fs.BoolVar(&jsonOut, "json", false, "print one JSON report instead of lines")
	fs.StringVar(&o.Phone, "phone", "+16505551212", "E.164 number of a contact the CRM knows")
	fs.StringVar(&o.UnknownPhone, "unknown-phone", "+19175550142", "E.164 number no contact has")
	fs.BoolVar(&o.KeepSession, "keep-session", false, "skip the logout scenario (it ends every session of the user)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of each request")
	if ok, end := parseFlags(fs, args); !ok {
		return statusOf(end)
	}
	switch {
	case o.Server == "":
		fmt.Fprintln(stderr, "crmbridge sim: --server is required")
		return 2
	case o.JWT == "" && (o.Platform == "" || (o.APIKey == "") == (o.CallbackURI == "")):
		fmt.Fprintln(stderr, "crmbridge sim: give --platform with --api-key or --callback-uri, or --jwt")
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "crmbridge sim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	u, err := url.Parse(o.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "crmbridge sim: --server %q is not an http(s) URL\n", o.Server)
		return 2
	}
	o.HTTPClient = &http.Client{Timeout: timeout}
	rep := clientsim.Run(ctx, o)
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.WriteText(stdout)
	}
	if rep.Failed > 0 {
		return 1
	}
	return 0
}
