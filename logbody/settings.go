package logbody

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
)

// The ids of the user settings that shape a call log body. Each addCall*
// setting is a boolean that is on unless its value is false (or the string
// "false"): a user who never opened the settings gets every part. The ids
// are the client's (App Connect's "call log details" settings).
const (
	SettingNote          = "addCallLogNote"          // the user's note
	SettingSubject       = "addCallLogSubject"       // the Subject detail
	SettingDateTime      = "addCallLogDateTime"      // the Date/Time detail
	SettingDateFormat    = "logDateFormat"           // its layout, see DefaultDateFormat
	SettingDuration      = "addCallLogDuration"      // the Duration detail
	SettingResult        = "addCallLogResult"        // the Result detail
	SettingRecording     = "addCallLogRecording"     // the Recording detail
	SettingSessionID     = "addCallSessionId"        // the Session ID detail
	SettingContactNumber = "addCallLogContactNumber" // the Contact number detail
)

// options are the settings that shape a body, read once per call.
type options struct {
	note, subject, dateTime, duration, result, recording, sessionID, contactNumber bool
	dateFormat                                                                     string
	loc                                                                            *time.Location
}

func optionsOf(s adapter.Session) options {
	return options{
		note:          on(s.Settings, SettingNote),
		subject:       on(s.Settings, SettingSubject),
		dateTime:      on(s.Settings, SettingDateTime),
		duration:      on(s.Settings, SettingDuration),
		result:        on(s.Settings, SettingResult),
		recording:     on(s.Settings, SettingRecording),
		sessionID:     on(s.Settings, SettingSessionID),
		contactNumber: on(s.Settings, SettingContactNumber),
		dateFormat:    s.Settings.String(SettingDateFormat),
		loc:           Location(s.User.Timezone),
	}
}

// on reads a boolean setting leniently: only an explicit false (JSON false
// or "false", any case) turns it off.
func on(s adapter.Settings, id string) bool {
	v := bytes.TrimSpace(s.Value(id))
	if len(v) == 0 {
		return true
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return b
	}
	var str string
	if json.Unmarshal(v, &str) == nil {
		return !strings.EqualFold(strings.TrimSpace(str), "false")
	}
	return true
}

// maxZoneName bounds the time zone names looked up; maxZones bounds the
// cache of loaded zones (the IANA database has about 600 names, and only
// names that load are kept).
const (
	maxZoneName = 64
	maxZones    = 1024
)

var zones struct {
	sync.Mutex
	m map[string]*time.Location
}

// Location returns the IANA time zone name (a user's Timezone), or UTC
// when the name is empty, too long or unknown. Loaded zones are cached:
// time.LoadLocation reads the zone database on every call.
func Location(name string) *time.Location {
	if name == "" || len(name) > maxZoneName {
		return time.UTC
	}
	zones.Lock()
	loc := zones.m[name]
	zones.Unlock()
	if loc != nil {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	zones.Lock()
	if zones.m == nil || len(zones.m) >= maxZones {
		zones.m = make(map[string]*time.Location)
	}
	zones.m[name] = loc
	zones.Unlock()
	return loc
}
