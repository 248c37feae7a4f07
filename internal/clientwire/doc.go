// Package clientwire builds what the softphone client sends about a call,
// for the programs that play the client against a server: adaptertest and
// the client simulator (internal/clientsim). Both describe calls the way
// PROTOCOL.md §3 says the client does, from one place.
package clientwire
