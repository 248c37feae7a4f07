// Command crmbridge is the developer's tool for crmbridge adapter servers.
//
//	crmbridge sim --server URL (--api-key K --platform P | --callback-uri U --platform P | --jwt J) [--json]
//	crmbridge init DIR --platform NAME [--module PATH] [--auth oauth|apikey] [--replace LOCALPATH]
//
// sim plays the browser client's request sequences against a running server
// and reports each step; init starts a new adapter project from
// examples/template. Each subcommand lives in its own file; main only
// dispatches.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it parses its own flags from args and returns
// the process exit status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands is the dispatch table. A subcommand adds one line here and
// keeps everything else in its own file.
var commands = map[string]command{
	"sim":  {"play the client's request sequences against a server", runSim},
	"init": {"start a new adapter project from the template", runInit},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the subcommand named by args[0]; 2 means a usage error.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "crmbridge: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: crmbridge <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-6s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun crmbridge <command> -h for its flags.")
}
