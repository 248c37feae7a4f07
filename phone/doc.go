// Package phone turns the phone number a softphone client sends into the
// strings a CRM stores, so an adapter can find "who is +1 650 555 1212".
//
// It does three things, all pure, cheap and safe for concurrent use:
//
//   - [Parse] restores a '+' lost in an unencoded query string and parses the
//     number as E.164 with its own country code into a [Number], which caches
//     what later steps need (E.164, national significant number, validity).
//   - [CompileFormats] compiles the client's overridingFormat list (patterns
//     such as "(***) ***-****") once; [Formats.Expand] fills a Number into it
//     without parsing again.
//   - [Candidates] lists every string worth searching for: E.164 first, then
//     its [Number.Equivalents] (Mexico with and without the old "1",
//     Argentina with and without the mobile "9"), then the expanded
//     patterns, then the optional [Defaults], without duplicates, in time
//     linear in the patterns ([CandidatesContext] stops with the request).
//
// A number with digits is never refused (PROTOCOL.md §5): one the library
// cannot place parses with [Number.Valid] false and is searched as received.
// [Number.NationalFormat] corrects the library where it writes Argentine
// mobiles wrong ("0351 15-234-5678", not "09 15-234-5678").
//
// The smallest use:
//
//	n, err := phone.Parse(query.Get("phoneNumber"))
//	if err != nil {
//		return err // errors.Is(err, phone.ErrInvalid), phone.ErrNotE164, phone.ErrEmpty
//	}
//	f := phone.CompileFormats(query.Get("overridingFormat"))
//	for _, s := range phone.Candidates(n, f, phone.DefaultNationalDigits) {
//		// search the CRM for s
//	}
//
// Error messages and [Number.Masked] never reveal more than the last four
// digits of a number, so both are safe to log.
package phone
