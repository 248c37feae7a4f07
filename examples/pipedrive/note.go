package pipedrive

import (
	"fmt"
	"time"
)

// hhmm is Pipedrive's activity duration: whole minutes, rounded up so that
// a short call does not read as no call.
func hhmm(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	m := int64((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// due is Pipedrive's due date and time of an activity, in UTC.
func due(t time.Time) (date, clock string) {
	t = t.UTC()
	return t.Format("2006-01-02"), t.Format("15:04")
}
