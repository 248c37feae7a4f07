package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is the dispatch table; a new tool is one more entry, and its
// code lives in its own file.
var commands = map[string]command{
	"keys": {summary: "print fresh APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY", run: func(_ context.Context, args []string, stdout, stderr io.Writer) error {
		return runKeys(args, stdout, stderr)
	}},
	"sim":  {summary: "play the client's request sequences against a server", run: withStatus(runSim)},
	"init": {summary: "start a new adapter project from the template", run: withStatus(runInit)},
}

// newFlags is the flag set of the subcommand name: errors go to stderr,
// and -h (or a mistake) prints usage, then the flags.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. When the command cannot go on it returns
// how it ends: nil after -h (the usage is printed), errUsage after a bad
// flag (reported); otherwise ok is true.
func parseFlags(fs *flag.FlagSet, args []string) (ok bool, end error) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, flag.ErrHelp):
		return false, nil
	}
	return false, errUsage
}

// statusOf is the exit status of a command that ends with err: 0 for nil,
// 2 for errUsage, 1 otherwise.
func statusOf(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

// errUsage is a mistake on the command line; the usage has been printed.
var errUsage = errors.New("usage")

// exitStatus ends the process with this status; the command has already
// said why (crmbridge sim: 1 when a step failed).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// withStatus adapts a command that returns a process exit status: 0 is
// success, 2 a usage mistake, anything else that status.
func withStatus(f func(ctx context.Context, args []string, stdout, stderr io.Writer) int) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		switch code := f(ctx, args, stdout, stderr); code {
		case 0:
			return nil
		case 2:
			return errUsage
		default:
			return exitStatus(code)
		}
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the command and returns the process exit status: 0, the
// command's own status, or 2 for a usage mistake or another error.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := runContext(ctx, args, stdout, stderr)
	var st exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &st):
		return int(st)
	case !errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "crmbridge:", err)
	}
	return 2
}

// run dispatches args[0] to its command. "help", "-h" and no arguments
// print the list of commands.
func run(args []string, stdout, stderr io.Writer) error {
	return runContext(context.Background(), args, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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
	return c.run(ctx, args[1:], stdout, stderr)
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
