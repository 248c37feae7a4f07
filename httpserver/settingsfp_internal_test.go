package httpserver

import (
	"encoding/json"
	"testing"

	"github.com/crmbridge/crmbridge/adapter"
)

// The contact-match cache keys answers by settingsFingerprint: equal
// settings must agree whatever the map's order, and settings that differ
// in any id or value, or only in where one ends and the next begins, must
// not.
func TestSettingsFingerprint(t *testing.T) {
	t.Parallel()
	s := func(kv ...string) adapter.Settings {
		m := adapter.Settings{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = json.RawMessage(kv[i+1])
		}
		return m
	}
	base := s("a", `{"value":1}`, "b", `{"value":"x"}`, "c", `true`)
	for range 20 { // map order varies between iterations
		if settingsFingerprint(s("c", `true`, "a", `{"value":1}`, "b", `{"value":"x"}`)) != settingsFingerprint(base) {
			t.Fatal("equal settings have different fingerprints")
		}
	}
	for name, other := range map[string]adapter.Settings{
		"value":    s("a", `{"value":2}`, "b", `{"value":"x"}`, "c", `true`),
		"id":       s("a", `{"value":1}`, "b", `{"value":"x"}`, "d", `true`),
		"fewer":    s("a", `{"value":1}`, "b", `{"value":"x"}`),
		"boundary": s("a", `{"value":1}`, "b", `{"value":"x"}tru`, "c", `e`),
		"empty":    s(),
	} {
		if settingsFingerprint(other) == settingsFingerprint(base) {
			t.Errorf("%s: different settings share a fingerprint", name)
		}
	}
}
