package httpserver

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func candidateServer(maxBytes int) *Server {
	s := &Server{}
	s.numbers.max, s.numbers.maxBytes = 8192, 2<<20
	s.formats.max, s.formats.maxBytes = 1024, 1<<20
	s.candidates.max, s.candidates.maxBytes = 1<<20, maxBytes
	return s
}

// TestCandidateCacheAnswersAsComputed: a lookup answered from the cache is
// the query the expansion makes, for every kind of input; only valid
// numbers are kept, and each caller gets candidates of its own.
func TestCandidateCacheAnswersAsComputed(t *testing.T) {
	formats := []string{"", "(***) ***-****,***-***-****", "+1**********", " 1 *** *** ****"}
	raws := []string{
		" 16505551212", "+16505551212", "+1 (650) 555-1212", "6505551212",
		"+16505551212 x5", "+16505551212;ext=5", "++16505551212", // dial strings: searched by the main number
		"+999123456", "abc123", "*67", "+1650555121", "+442071838750",
	}
	cached := candidateServer(1 << 20)
	fresh := candidateServer(1 << 20)
	for _, f := range formats {
		for _, raw := range raws {
			for round := range 3 {
				fresh.candidates = candidateCache{} // off: max 0, budget 0 keeps nothing useful
				want, werr := fresh.phoneQuery(context.Background(), raw, f, false)
				got, gerr := cached.phoneQuery(context.Background(), raw, f, false)
				if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
					t.Fatalf("%q with %q, round %d:\n got %+v %v\nwant %+v %v", raw, f, round, got, gerr, want, werr)
				}
				if len(got.Candidates) > 0 {
					got.Candidates[0] = "changed by an adapter"
				}
			}
			key := candidateKey(nil, raw, f)
			_, kept := cached.candidates.getBytes(key)
			n, err := cached.numbers.parse(raw)
			if valid := err == nil && n.Valid(); kept != valid {
				t.Errorf("%q with %q: kept %v, but the number's validity is %v", raw, f, kept, valid)
			}
		}
	}
}

// TestCandidateCacheBounded: ten times the byte budget of distinct
// numbers and long format lists never makes the cache hold more than its
// budget, and the latest lookup is kept.
func TestCandidateCacheBounded(t *testing.T) {
	const budget = 8192
	s := candidateServer(budget)
	list := strings.TrimSuffix(strings.Repeat("(***) ***-****,", 16), ",")
	var held int
	for i := 0; held < 10*budget; i++ {
		raw := fmt.Sprintf("+1650555%04d", i%10000)
		f := fmt.Sprintf("%s,+1 %d **********", list[:len(list)-20], i)
		key := candidateKey(nil, raw, f)
		pq, err := s.phoneQuery(context.Background(), raw, f, false)
		if err != nil {
			t.Fatal(err)
		}
		held += len(key)
		for _, c := range pq.Candidates {
			held += len(c)
		}
		s.candidates.mu.RLock()
		b := s.candidates.bytes
		s.candidates.mu.RUnlock()
		if b > budget {
			t.Fatalf("after %d lookups the cache holds %d bytes, over its %d", i+1, b, budget)
		}
		if _, ok := s.candidates.getBytes(key); !ok {
			t.Fatalf("lookup %d was not kept", i+1)
		}
	}
}

// TestCandidateKeysApart: no two (number, formats) pairs share a key,
// whatever bytes they hold.
func TestCandidateKeysApart(t *testing.T) {
	pairs := [][2]string{{"+1650\x00", "5551212"}, {"+1650", "\x005551212"}, {"+16505551212", ""}, {"+1650555121", "2"}, {"", "+16505551212"}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := string(candidateKey(nil, p[0], p[1]))
		if q, ok := seen[k]; ok {
			t.Errorf("%q and %q share a key", p, q)
		}
		seen[k] = p
	}
}
