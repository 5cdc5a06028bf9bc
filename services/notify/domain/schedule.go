package domain

import (
	"time"

	"econdip/services/platform/kernel"
)

// DigestHour is the Astana hour on Monday the weekly digest goes out.
const DigestHour = 9

// LatestDigest returns the Monday (Astana day) of the latest weekly digest
// due at now: the last Monday 09:00 Astana at or before now. A digest missed
// while the notifier was down is this one, sent when it is back; older
// missed weeks are not sent.
func LatestDigest(now time.Time) kernel.Day {
	t := now.In(kernel.Astana)
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	monday := kernel.AstanaDay(t).AddDays(-back)
	if back == 0 && t.Hour() < DigestHour {
		monday = monday.AddDays(-7)
	}
	return monday
}
