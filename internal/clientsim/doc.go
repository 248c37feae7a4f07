// Package clientsim plays the browser client's request sequences of
// PROTOCOL.md against a running adapter server — crmbridge or any other
// implementation of the protocol — and reports each step with the rule it
// checks. The crmbridge command's sim subcommand and the example server's
// tests use it.
//
//	rep := clientsim.Run(ctx, clientsim.Options{Server: "http://127.0.0.1:6066", APIKey: "k", Platform: "testcrm"})
//	rep.WriteText(os.Stdout)
package clientsim
