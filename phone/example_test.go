package phone_test

import (
	"errors"
	"fmt"

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
