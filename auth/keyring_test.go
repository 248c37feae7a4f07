package auth

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustKey(t testing.TB, id string) SealingKey {
	t.Helper()
	k, err := GenerateSealingKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRing(t testing.TB, primary SealingKey, older ...SealingKey) *SealingKeyRing {
	t.Helper()
	r, err := NewSealingKeyRing(primary, older...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	r := mustRing(t, mustKey(t, "k1"))
	for _, pt := range []string{"", "x", "1000.abcdef0123456789abcdef0123456789abcd", strings.Repeat("long ", 1000)} {
		sealed, err := r.Seal([]byte(pt), []byte("42-pipedrive"))
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) > 4 && bytes.Contains(sealed, []byte(pt)) {
			t.Errorf("sealed value contains the plaintext")
		}
		got, err := r.Open(sealed, []byte("42-pipedrive"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if diff := cmp.Diff(pt, string(got)); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	t.Parallel()
	r := mustRing(t, mustKey(t, "k1"))
	a, err := r.Seal([]byte("same token"), []byte("u"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Seal([]byte("same token"), []byte("u"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are equal")
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := mustKey(t, "2025-01"), mustKey(t, "2026-03")
	ringA := mustRing(t, oldKey)
	ringB := mustRing(t, newKey, oldKey)

	sealedA, err := ringA.Seal([]byte("old token"), []byte("u1"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ringB.Open(sealedA, []byte("u1"))
	if err != nil || string(got) != "old token" {
		t.Fatalf("ring B opening a ring A value = %q, %v", got, err)
	}

	sealedB, err := ringB.Seal([]byte("new token"), []byte("u1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sealed []byte
		want   string
	}{{sealedA, "2025-01"}, {sealedB, "2026-03"}} {
		id, err := SealedKeyID(c.sealed)
		if err != nil || id != c.want {
			t.Errorf("SealedKeyID = %q, %v; want %q", id, err, c.want)
		}
	}
	if got := ringB.PrimaryID(); got != "2026-03" {
		t.Errorf("PrimaryID = %q", got)
	}
	// The old ring does not know the new key.
	if _, err := ringA.Open(sealedB, []byte("u1")); !errors.Is(err, ErrUnknownSealingKey) {
		t.Errorf("ring A opening a ring B value: err = %v, want ErrUnknownSealingKey", err)
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	r := mustRing(t, mustKey(t, "k1"), mustKey(t, "k0"))
	sealed, err := r.Seal([]byte("1000.abcdef0123456789abcdef0123456789abcd"), []byte("user-a"))
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(sealed)) }

	// A ring that shares the id but not the secret.
	impostor := mustRing(t, mustKey(t, "k1"))

	tests := []struct {
		name   string
		ring   *SealingKeyRing
		sealed []byte
		ad     string
		want   error
	}{
		{"wrong additional data", r, sealed, "user-b", ErrCiphertext},
		{"no additional data", r, sealed, "", ErrCiphertext},
		{"empty", r, nil, "user-a", ErrCiphertext},
		{"one byte", r, sealed[:1], "user-a", ErrCiphertext},
		{"header only", r, sealed[:4], "user-a", ErrCiphertext},
		{"truncated by one", r, sealed[:len(sealed)-1], "user-a", ErrCiphertext},
		{"truncated into the nonce", r, sealed[:10], "user-a", ErrCiphertext},
		{"appended byte", r, append(bytes.Clone(sealed), 0), "user-a", ErrCiphertext},
		{"unknown version", r, with(func(b []byte) []byte { b[0] = 2; return b }), "user-a", ErrCiphertext},
		{"id length zero", r, with(func(b []byte) []byte { b[1] = 0; return b }), "user-a", ErrCiphertext},
		{"id length too long", r, with(func(b []byte) []byte { b[1] = 200; return b }), "user-a", ErrCiphertext},
		{"unknown key id", r, with(func(b []byte) []byte { b[3] = '9'; return b }), "user-a", ErrUnknownSealingKey},
		{"other key id of the ring", r, with(func(b []byte) []byte { b[3] = '0'; return b }), "user-a", ErrCiphertext},
		{"same id, other secret", impostor, sealed, "user-a", ErrCiphertext},
		{"not ours at all", r, []byte("plain text token"), "user-a", ErrCiphertext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ring.Open(tt.sealed, []byte(tt.ad))
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("Open returned plaintext %q with the error", got)
			}
		})
	}
}

// Every single-bit change anywhere in a sealed value is detected.
func TestOpenDetectsEveryFlippedBit(t *testing.T) {
	t.Parallel()
	r := mustRing(t, mustKey(t, "k1"))
	sealed, err := r.Seal([]byte("1000.abcdef0123456789abcdef0123456789abcd"), []byte("user-a"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for bit := range 8 {
			b := bytes.Clone(sealed)
			b[i] ^= 1 << bit
			got, err := r.Open(b, []byte("user-a"))
			if err == nil || got != nil {
				t.Fatalf("byte %d bit %d flipped: Open = %q, %v", i, bit, got, err)
			}
			if !errors.Is(err, ErrCiphertext) && !errors.Is(err, ErrUnknownSealingKey) {
				t.Fatalf("byte %d bit %d flipped: err = %v", i, bit, err)
			}
		}
	}
}

func TestNewSealingKeyRingRejects(t *testing.T) {
	t.Parallel()
	good := mustKey(t, "k1")
	tests := []struct {
		name    string
		primary SealingKey
		older   []SealingKey
	}{
		{"empty id", SealingKey{ID: "", Secret: good.Secret}, nil},
		{"id too long", SealingKey{ID: strings.Repeat("a", 33), Secret: good.Secret}, nil},
		{"id with colon", SealingKey{ID: "a:b", Secret: good.Secret}, nil},
		{"id with comma", SealingKey{ID: "a,b", Secret: good.Secret}, nil},
		{"id with non-ASCII", SealingKey{ID: "clé", Secret: good.Secret}, nil},
		{"short secret", SealingKey{ID: "k", Secret: good.Secret[:31]}, nil},
		{"long secret", SealingKey{ID: "k", Secret: append(bytes.Clone(good.Secret), 0)}, nil},
		{"nil secret", SealingKey{ID: "k"}, nil},
		{"duplicate id", good, []SealingKey{{ID: "k1", Secret: make([]byte, 32)}}},
		{"bad older key", good, []SealingKey{{ID: "k0", Secret: make([]byte, 16)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewSealingKeyRing(tt.primary, tt.older...)
			if err == nil {
				t.Fatalf("accepted: %v", r)
			}
			if strings.Contains(err.Error(), base64.RawURLEncoding.EncodeToString(good.Secret)) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	if _, err := NewSealingKeyRing(SealingKey{ID: strings.Repeat("a", 32), Secret: good.Secret}); err != nil {
		t.Errorf("32-character id refused: %v", err)
	}
	if _, err := GenerateSealingKey("bad id"); err == nil {
		t.Error("GenerateSealingKey accepted an id with a space")
	}
}

func TestParseSealingKeyRing(t *testing.T) {
	t.Parallel()
	k1, k0 := mustKey(t, "k1"), mustKey(t, "k0")
	r := mustRing(t, k1, k0)
	sealedK0, err := mustRing(t, k0).Seal([]byte("v"), nil)
	if err != nil {
		t.Fatal(err)
	}

	encodings := map[string]*base64.Encoding{
		"url raw": base64.RawURLEncoding, "url padded": base64.URLEncoding,
		"std raw": base64.RawStdEncoding, "std padded": base64.StdEncoding,
	}
	for name, enc := range encodings {
		t.Run(name, func(t *testing.T) {
			spec := "k1:" + enc.EncodeToString(k1.Secret) + ", k0:" + enc.EncodeToString(k0.Secret)
			parsed, err := ParseSealingKeyRing(spec)
			if err != nil {
				t.Fatal(err)
			}
			if parsed.PrimaryID() != "k1" {
				t.Errorf("primary = %q, want k1", parsed.PrimaryID())
			}
			sealed, err := parsed.Seal([]byte("v"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := r.Open(sealed, nil); err != nil || string(got) != "v" {
				t.Errorf("ring built from keys cannot open: %q, %v", got, err)
			}
			if got, err := parsed.Open(sealedK0, nil); err != nil || string(got) != "v" {
				t.Errorf("older key not in the parsed ring: %q, %v", got, err)
			}
		})
	}

	// SealingKey.Encode is the ParseSealingKeyRing form.
	if _, err := ParseSealingKeyRing(k1.Encode() + "," + k0.Encode()); err != nil {
		t.Errorf("ParseSealingKeyRing(SealingKey.Encode...): %v", err)
	}

	for _, spec := range []string{
		"", "k1", "k1:", ":" + base64.StdEncoding.EncodeToString(k1.Secret),
		"k1:not base64!", "k1:" + base64.StdEncoding.EncodeToString(k1.Secret[:16]),
		k1.Encode() + ",", k1.Encode() + "," + k1.Encode(),
	} {
		if _, err := ParseSealingKeyRing(spec); err == nil {
			t.Errorf("ParseSealingKeyRing(%q) accepted", spec)
		} else if strings.Contains(err.Error(), base64.RawURLEncoding.EncodeToString(k1.Secret)) {
			t.Errorf("ParseSealingKeyRing error shows the secret: %v", err)
		}
	}
}

func TestSealingKeyRingDoesNotPrintSecrets(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "k1")
	r := mustRing(t, k)
	secret := base64.RawURLEncoding.EncodeToString(k.Secret)
	if out := sprintAll(r); strings.Contains(out, secret) || !strings.Contains(out, "k1") {
		t.Errorf("formatted SealingKeyRing: %s", out)
	}
	if got, want := k.Encode(), "k1:"+secret; got != want {
		t.Errorf("SealingKey.Encode = %q, want %q", got, want)
	}
	// Every way of printing a Key gives its id, never its secret.
	for _, verb := range []string{"%v", "%+v", "%s", "%q", "%x", "%X", "%d", "%#v"} {
		got := fmt.Sprintf(verb, k)
		if strings.Contains(got, secret) || strings.Contains(got, fmt.Sprintf("%x", k.Secret)) ||
			strings.Contains(got, fmt.Sprint(k.Secret)) || !strings.Contains(got, "k1") {
			t.Errorf("Sprintf(%q, key) = %q", verb, got)
		}
	}
	for _, v := range []any{[]SealingKey{k}, map[string]SealingKey{"a": k}, struct{ K SealingKey }{k}, &k} {
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, fmt.Sprint(k.Secret)) || strings.Contains(got, secret) {
				t.Errorf("Sprintf(%q, %T) shows the secret: %s", verb, v, got)
			}
		}
	}
	if k.String() != "k1" {
		t.Errorf("SealingKey.String = %q, want the id", k.String())
	}
	if got := k.LogValue().String(); strings.Contains(got, secret) {
		t.Errorf("SealingKey.LogValue shows the secret: %s", got)
	}
}

// A bare base64 secret is a ring of one key (id BareSealingKeyID); a bare value
// that is not a 32-byte secret is refused without echoing it.
func TestParseSealingKeyRingBareSecret(t *testing.T) {
	t.Parallel()
	k := mustKey(t, "k1")
	for _, enc := range []string{
		base64.RawURLEncoding.EncodeToString(k.Secret),
		base64.StdEncoding.EncodeToString(k.Secret),
		" " + base64.RawStdEncoding.EncodeToString(k.Secret) + " ",
	} {
		r, err := ParseSealingKeyRing(enc)
		if err != nil {
			t.Fatalf("ParseSealingKeyRing(bare): %v", err)
		}
		if r.PrimaryID() != BareSealingKeyID {
			t.Errorf("primary id %q, want %q", r.PrimaryID(), BareSealingKeyID)
		}
		// Same secret as the "default:" form: values open across both.
		sealed, _ := r.Seal([]byte("v"), nil)
		named, err := ParseSealingKeyRing(BareSealingKeyID + ":" + enc)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := named.Open(sealed, nil); err != nil || string(got) != "v" {
			t.Errorf("bare and named forms differ: %q %v", got, err)
		}
	}
	short := base64.RawURLEncoding.EncodeToString(k.Secret[:16])
	if _, err := ParseSealingKeyRing(short); err == nil || strings.Contains(err.Error(), short) {
		t.Errorf("short bare secret: %v", err)
	}
}

func benchRing(b *testing.B) *SealingKeyRing {
	k, err := GenerateSealingKey("k1")
	if err != nil {
		b.Fatal(err)
	}
	return mustRing(b, k)
}

// benchToken is about the size of a CRM access token.
var benchToken = []byte("1000.abcdef0123456789abcdef0123456789abcd")

func BenchmarkSeal(b *testing.B) {
	r := benchRing(b)
	ad := []byte("12345678-pipedrive")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Seal(benchToken, ad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	r := benchRing(b)
	ad := []byte("12345678-pipedrive")
	sealed, err := r.Seal(benchToken, ad)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(sealed, ad); err != nil {
			b.Fatal(err)
		}
	}
}
