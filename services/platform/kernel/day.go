package kernel

import (
	"errors"
	"time"
)

// Day is a calendar day, with no time and no zone: a deadline, a contract
// date, the day a stage took effect. Days are compared and counted as days,
// never as instants, so a time zone's change of offset (Almaty's in 2024)
// cannot move one. Its zero value is "no day".
type Day struct{ t time.Time } // midnight UTC

// The years an econdip record may be dated in. No record is dated before
// 2000 (the reference data and the Concept start later) and no deadline
// after 2100; ClickHouse's Date (1970-01-01 to 2105-12-31 in 18.16) holds
// every day between, so a day that passed the range check can be projected.
const (
	FirstYear = 2000
	LastYear  = 2100
)

// FirstDay and LastDay bound the days a user may write and a filter may name.
var (
	FirstDay = Date(FirstYear, time.January, 1)
	LastDay  = Date(LastYear, time.December, 31)
)

// ErrDayFormat is ParseDay's error for text that is not a YYYY-MM-DD day.
var ErrDayFormat = errors.New("not a YYYY-MM-DD day")

// Date is the day y-m-d; out-of-range months and days normalise as in time.Date.
func Date(y int, m time.Month, d int) Day { return Day{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// ParseDay reads a YYYY-MM-DD day of any year; InRange says whether a user
// may write it. Reading and the range are apart because a stored event is
// read whatever it holds, while a new value must also lie in the range.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, ErrDayFormat
	}
	return Day{t}, nil
}

// MustDay is ParseDay for constants in tests and demo data; it panics on bad text.
func MustDay(s string) Day {
	d, err := ParseDay(s)
	if err != nil {
		panic("kernel.MustDay(" + s + "): " + err.Error())
	}
	return d
}

// DayOrZero reads a day econdip wrote itself (an event's field, validated
// when it was recorded); empty or unreadable text is no day.
func DayOrZero(s string) Day {
	d, _ := ParseDay(s)
	return d
}

// DayOf is the calendar day of t in t's own location.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	return Date(y, m, d)
}

// String is YYYY-MM-DD, or "" for no day: the form of every day in the
// events, the APIs and the CSV files.
func (d Day) String() string {
	if d.t.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// Time is the day's midnight UTC, the form ClickHouse's Date columns take.
func (d Day) Time() time.Time { return d.t }

// IsZero reports whether d is no day.
func (d Day) IsZero() bool { return d.t.IsZero() }

// Before reports whether d is before e.
func (d Day) Before(e Day) bool { return d.t.Before(e.t) }

// After reports whether d is after e.
func (d Day) After(e Day) bool { return d.t.After(e.t) }

// Equal reports whether d and e are the same day.
func (d Day) Equal(e Day) bool { return d.t.Equal(e.t) }

// Compare is -1, 0 or +1 as d is before, the same as or after e (for slices.SortFunc).
func (d Day) Compare(e Day) int { return d.t.Compare(e.t) }

// DaysSince is the number of days from e to d (negative when d is earlier).
func (d Day) DaysSince(e Day) int { return int(d.t.Sub(e.t).Hours() / 24) }

// AddDays is the day n days after d (before, for a negative n).
func (d Day) AddDays(n int) Day { return Day{d.t.AddDate(0, 0, n)} }

// InRange reports whether d lies in FirstDay..LastDay, the days a record
// may be dated by; the zero day does not.
func (d Day) InRange() bool { return !d.t.Before(FirstDay.t) && !d.t.After(LastDay.t) }

// MarshalText writes YYYY-MM-DD ("" for no day), so a Day in a JSON or CSV
// record has the same form as the string it replaced.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD; "" is no day.
func (d *Day) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Day{}
		return nil
	}
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
