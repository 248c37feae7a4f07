package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// SealingKeySize is the length of a SealingKey's secret: AES-256.
const SealingKeySize = 32

// maxKeyIDLength bounds SealingKey.ID; the id is stored in every sealed value.
const maxKeyIDLength = 32

// sealVersion is the first byte of every sealed value, so the format can
// change later without guessing.
const sealVersion = 1

var (
	// ErrUnknownSealingKey is returned by SealingKeyRing.Open when the value was sealed
	// with a key id that is not in the ring.
	ErrUnknownSealingKey = errors.New("auth: sealed with a key not in the ring")
	// ErrCiphertext is returned by SealingKeyRing.Open for a value that is
	// truncated, tampered with, not ours, or sealed with other additional
	// data.
	ErrCiphertext = errors.New("auth: sealed value invalid")
)

// SealingKey is one AES-256-GCM key of a SealingKeyRing. The ID is stored in each value
// sealed with the key, so that after rotation the ring still finds the key
// that opens old values.
type SealingKey struct {
	// ID is 1 to 32 characters of [A-Za-z0-9_-], unique in a ring.
	ID string
	// Secret is exactly SealingKeySize bytes.
	Secret []byte
}

// GenerateSealingKey returns a key with the given id and a secret from
// crypto/rand.
func GenerateSealingKey(id string) (SealingKey, error) {
	if err := checkKeyID(id); err != nil {
		return SealingKey{}, err
	}
	k := SealingKey{ID: id, Secret: make([]byte, SealingKeySize)}
	if _, err := rand.Read(k.Secret); err != nil {
		return SealingKey{}, fmt.Errorf("auth: generate key: %w", err)
	}
	return k, nil
}

// Encode returns "id:base64url(secret)" without padding, the form
// ParseSealingKeyRing reads. THE RESULT CONTAINS THE SECRET: it is for writing the
// key into a secret store once, never for logs. Every other way of
// printing a SealingKey (String, GoString, fmt verbs, log/slog) gives only its id.
func (k SealingKey) Encode() string {
	return k.ID + ":" + base64.RawURLEncoding.EncodeToString(k.Secret)
}

// String returns the key's id only, never the secret.
func (k SealingKey) String() string { return k.ID }

// GoString returns the key's id only, so %#v never prints the secret.
func (k SealingKey) GoString() string { return "auth.SealingKey{ID: " + strconv.Quote(k.ID) + "}" }

// Format prints the key's id for every verb (%v, %+v, %s, %x, ...), and
// GoString for %#v: the secret never reaches fmt output.
func (k SealingKey) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, k.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(k.ID))
	default:
		io.WriteString(f, k.ID)
	}
}

// LogValue makes log/slog record only the key id.
func (k SealingKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID))
}

func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLength {
		return fmt.Errorf("auth: key id must be 1 to %d characters, got %d", maxKeyIDLength, len(id))
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("auth: key id %q: only A-Z a-z 0-9 _ - allowed", id)
		}
	}
	return nil
}

// SealingKeyRing seals values with its primary key and opens values sealed with
// any of its keys, for tokens and API keys at rest. Keep its keys apart
// from the session JWT secret (APP_SERVER_SECRET_KEY) and from HASH_KEY.
// A SealingKeyRing is safe for concurrent use.
//
// A sealed value is: version byte (1), key id length, key id, 12-byte
// random nonce, AES-256-GCM ciphertext and 16-byte tag. The version and
// key id are authenticated along with the caller's additional data.
type SealingKeyRing struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// NewSealingKeyRing returns a ring sealing with primary and also opening with
// older. Ids must be valid and distinct and secrets exactly SealingKeySize bytes.
// The secrets are not retained beyond the expanded AES keys.
func NewSealingKeyRing(primary SealingKey, older ...SealingKey) (*SealingKeyRing, error) {
	r := &SealingKeyRing{primary: primary.ID, aeads: make(map[string]cipher.AEAD, 1+len(older))}
	for _, k := range append([]SealingKey{primary}, older...) {
		if err := checkKeyID(k.ID); err != nil {
			return nil, err
		}
		if len(k.Secret) != SealingKeySize {
			return nil, fmt.Errorf("auth: key %q: secret is %d bytes, want %d", k.ID, len(k.Secret), SealingKeySize)
		}
		if _, dup := r.aeads[k.ID]; dup {
			return nil, fmt.Errorf("auth: key id %q appears twice in the ring", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("auth: key %q: %w", k.ID, err)
		}
		// The random-nonce GCM draws a fresh 96-bit nonce from crypto/rand
		// on every Seal and prepends it, so no nonce is ever reused by us.
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("auth: key %q: %w", k.ID, err)
		}
		r.aeads[k.ID] = aead
	}
	return r, nil
}

// BareSealingKeyID is the id ParseSealingKeyRing gives a key written without one.
const BareSealingKeyID = "default"

// ParseSealingKeyRing reads "id:secret,id:secret,...", the first key being the
// primary. Secrets are base64 of 32 bytes, standard or URL alphabet, with
// or without padding; spaces around entries are ignored. A spec of one
// bare secret (no "id:") is a ring of one key with id BareSealingKeyID; to rotate
// it later, list it as "default:<secret>" after the new key. Errors name
// the entry and id, never the secret.
func ParseSealingKeyRing(spec string) (*SealingKeyRing, error) {
	var keys []SealingKey
	entries := strings.Split(spec, ",")
	if len(entries) == 1 && !strings.Contains(entries[0], ":") {
		// A bare secret is a ring of one key with id BareSealingKeyID.
		secret, err := decodeSecret(entries[0])
		if err != nil || len(secret) != SealingKeySize {
			return nil, fmt.Errorf("auth: key ring: want id:base64-secret[,id:base64-secret...] or one bare base64 secret of %d bytes", SealingKeySize)
		}
		return NewSealingKeyRing(SealingKey{ID: BareSealingKeyID, Secret: secret})
	}
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		id, enc, ok := strings.Cut(entry, ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("auth: key ring entry %d: want id:base64-secret", i+1)
		}
		secret, err := decodeSecret(enc)
		if err != nil {
			return nil, fmt.Errorf("auth: key ring entry %d (%q): secret is not base64", i+1, id)
		}
		keys = append(keys, SealingKey{ID: id, Secret: secret})
	}
	return NewSealingKeyRing(keys[0], keys[1:]...)
}

func decodeSecret(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// PrimaryID returns the id of the key Seal uses.
func (r *SealingKeyRing) PrimaryID() string { return r.primary }

// String names the key ids, never the secrets.
func (r *SealingKeyRing) String() string {
	ids := make([]string, 0, len(r.aeads))
	ids = append(ids, r.primary)
	for id := range r.aeads {
		if id != r.primary {
			ids = append(ids, id)
		}
	}
	return "auth.SealingKeyRing{primary: " + r.primary + ", keys: " + strings.Join(ids, " ") + "}"
}

// GoString is String.
func (r *SealingKeyRing) GoString() string { return r.String() }

// Seal encrypts plaintext with the primary key under a fresh random nonce
// and binds it to additionalData: Open must be given the same bytes. Make
// additionalData name where the value belongs, its owner and its field,
// so that a sealed value copied to another user's row or another column
// does not open; the server uses "crmbridge/<field>/<user key>", with
// field access, refresh or apikey.
func (r *SealingKeyRing) Seal(plaintext, additionalData []byte) ([]byte, error) {
	aead := r.aeads[r.primary]
	hdrLen := 2 + len(r.primary)
	out := make([]byte, hdrLen, hdrLen+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	out[1] = byte(len(r.primary))
	copy(out[2:], r.primary)
	return aead.Seal(out, nil, plaintext, authData(out, additionalData)), nil
}

// Open decrypts a value sealed by a ring holding the same key, choosing the
// key by the id stored in the value. It returns ErrUnknownSealingKey when that id
// is not in the ring and ErrCiphertext for anything malformed or not
// authentic, including different additionalData; it never returns
// unauthenticated plaintext.
func (r *SealingKeyRing) Open(ciphertext, additionalData []byte) ([]byte, error) {
	id, hdrLen, err := parseHeader(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: key id %q", ErrUnknownSealingKey, id)
	}
	if len(ciphertext)-hdrLen < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: truncated", ErrCiphertext)
	}
	pt, err := aead.Open(nil, nil, ciphertext[hdrLen:], authData(ciphertext[:hdrLen], additionalData))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrCiphertext)
	}
	return pt, nil
}

// SealedKeyID returns the id of the key that sealed ciphertext, without
// opening it, for example to count the values still sealed with a retired
// key. It fails with ErrCiphertext only for a malformed header.
func SealedKeyID(ciphertext []byte) (string, error) {
	id, _, err := parseHeader(ciphertext)
	return id, err
}

func parseHeader(b []byte) (id string, hdrLen int, err error) {
	if len(b) < 2 {
		return "", 0, fmt.Errorf("%w: truncated", ErrCiphertext)
	}
	if b[0] != sealVersion {
		return "", 0, fmt.Errorf("%w: unknown format version %d", ErrCiphertext, b[0])
	}
	n := int(b[1])
	if n == 0 || n > maxKeyIDLength || len(b) < 2+n {
		return "", 0, fmt.Errorf("%w: bad key id length", ErrCiphertext)
	}
	id = string(b[2 : 2+n])
	if checkKeyID(id) != nil {
		return "", 0, fmt.Errorf("%w: bad key id", ErrCiphertext)
	}
	return id, 2 + n, nil
}

// authData is the GCM additional data: the header (fixed layout, so the
// concatenation is unambiguous) followed by the caller's data.
func authData(header, additionalData []byte) []byte {
	ad := make([]byte, 0, len(header)+len(additionalData))
	ad = append(ad, header...)
	return append(ad, additionalData...)
}
