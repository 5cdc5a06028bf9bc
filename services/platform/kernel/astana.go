package kernel

import (
	"time"
	_ "time/tzdata" // Asia/Almaty must resolve on hosts without a tz database
)

// Astana is the time zone every econdip day is counted in: the ministry's
// (Asia/Almaty's rules: UTC+6 until March 2024, UTC+5 since). It is loaded
// here once so that "today" and "the day of this instant" cannot differ
// between a service, the events and a dashboard. The embedded tz database
// makes the load succeed everywhere; the fixed zone only guards a broken build.
var Astana = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		return time.FixedZone("UTC+5", 5*3600)
	}
	return loc
}()

// AstanaDay is the calendar day in Astana at instant t.
func AstanaDay(t time.Time) Day { return DayOf(t.In(Astana)) }

// Today is the calendar day in Astana at instant now, the day a record is
// dated by when its user gives none; now is passed in so tests and demo
// data choose it.
func Today(now time.Time) Day { return AstanaDay(now) }
