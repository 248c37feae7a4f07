package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/auth"
)

// TestServerHashKey: HASH_KEY is configured like the other keys. Set, it
// keys /userInfoHash; absent on SQLite, it is generated into the key file
// and the hashes survive a restart; a key file from before HASH_KEY gets
// one added, its other keys kept.
func TestServerHashKey(t *testing.T) {
	t.Parallel()
	hashOf := func(base string) string {
		t.Helper()
		code, body := get(t, base+"/userInfoHash?extensionId=201&accountId=1111")
		if code != 200 {
			t.Fatalf("userInfoHash: %d %s", code, body)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		return m["accountId"]
	}

	dir := t.TempDir()
	base, stop, _ := start(t, map[string]string{"DATABASE_URL": filepath.Join(dir, "a.db"), "HASH_KEY": "configured-hash-key"})
	sum := sha256.Sum256([]byte("1111:configured-hash-key"))
	if got := hashOf(base); got != hex.EncodeToString(sum[:]) {
		t.Errorf("with HASH_KEY: %s", got)
	}
	stop()

	db := filepath.Join(dir, "b", "b.db")
	base, stop, logs := start(t, map[string]string{"DATABASE_URL": db})
	first := hashOf(base)
	stop()
	var keys Keys
	b, err := os.ReadFile(filepath.Join(dir, "b", "crmbridge-keys.json"))
	if err != nil || json.Unmarshal(b, &keys) != nil || keys.HashKey == "" {
		t.Fatalf("key file: %v %s", err, b)
	}
	if strings.Contains(logs.String(), keys.HashKey) {
		t.Errorf("the log holds HASH_KEY")
	}
	base, stop, _ = start(t, map[string]string{"DATABASE_URL": db})
	if again := hashOf(base); again != first {
		t.Errorf("hash changed across a restart: %s then %s", first, again)
	}
	stop()

	legacyDir := filepath.Join(dir, "c")
	if err := os.MkdirAll(legacyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, _ := auth.GenerateSealingKey("k1")
	old := Keys{AppServerSecretKey: strings.Repeat("s", 48), TokenEncryptionKey: key.Encode()}
	ob, _ := json.Marshal(old)
	if err := os.WriteFile(filepath.Join(legacyDir, "crmbridge-keys.json"), ob, 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop, _ = start(t, map[string]string{"DATABASE_URL": filepath.Join(legacyDir, "c.db")})
	hashOf(base)
	stop()
	b, _ = os.ReadFile(filepath.Join(legacyDir, "crmbridge-keys.json"))
	var now Keys
	if json.Unmarshal(b, &now) != nil || now.HashKey == "" || now.AppServerSecretKey != old.AppServerSecretKey || now.TokenEncryptionKey != old.TokenEncryptionKey {
		t.Errorf("legacy key file after start: %s", b)
	}
	if fi, err := os.Stat(filepath.Join(legacyDir, "crmbridge-keys.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode after the update: %v", err)
	}
}
