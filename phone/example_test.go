package phone_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmbridge/crmbridge/phone"
)

func ExampleParse() {
	// The client does not URL-encode phoneNumber, so its '+' arrives as a space.
	n, err := phone.Parse(" 442079460958")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.E164(), n.Region(), n.CountryCode())
	fmt.Println(n.NationalNumber())
	fmt.Println(n.NationalFormat())
	fmt.Println(n.InternationalFormat())
	fmt.Println(n.Masked())

	_, err = phone.Parse("101")
	fmt.Println(errors.Is(err, phone.ErrNotE164), phone.IsExtension("101"))
	// Output:
	// +442079460958 GB 44
	// 2079460958
	// 020 7946 0958
	// +44 20 7946 0958
	// +********0958
	// true true
}

func ExampleFormats_Expand() {
	n, err := phone.Parse("+16505551212")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Compile once; " 1**********" is "+1**********" whose '+' became a space.
	f := phone.CompileFormats("(***) ***-****, ***-***-****, 1**********")
	for _, s := range f.Expand(n) {
		fmt.Println(s)
	}
	// Output:
	// (650) 555-1212
	// 650-555-1212
	// +16505551212
}

func ExampleCompileFormats() {
	f := phone.CompileFormats("0## #### ####, ,+44 ** **** ****")
	fmt.Println(f.Len(), f.Patterns())
	// Output:
	// 2 [0## #### #### +44 ** **** ****]
}

func ExampleCandidates() {
	n, err := phone.Parse("+16505551212")
	if err != nil {
		fmt.Println(err)
		return
	}
	f := phone.CompileFormats("(***) ***-****, 1**********")
	for _, s := range phone.Candidates(n, f, phone.DefaultNationalDigits|phone.DefaultNationalFormat) {
		fmt.Println(s)
	}
	// Output:
	// +16505551212
	// (650) 555-1212
	// 6505551212
}

// A Mexican mobile still written with the "1" dropped in 2019 is not a
// valid number any more, but it is searched, with its current form and the
// user's pattern filled from that form.
func ExampleNumber_Equivalents() {
	n, err := phone.Parse("+5215512345678")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n.Valid(), n.Equivalents())
	for _, s := range phone.Candidates(n, phone.CompileFormats("** **** ****"), 0) {
		fmt.Println(s)
	}
	// Output:
	// false [+525512345678]
	// +5215512345678
	// +525512345678
	// 55 1234 5678
}

func ExampleCandidatesContext() {
	n, _ := phone.Parse("+5493512345678")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cands, err := phone.CandidatesContext(ctx, n, phone.Formats{}, phone.DefaultNationalFormat)
	fmt.Println(cands, err)
	// Output:
	// [+5493512345678 +543512345678 0351 15-234-5678] <nil>
}
