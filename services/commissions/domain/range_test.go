package domain_test

import (
	"errors"
	"strings"
	"testing"

	"econdip/services/commissions/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// keysOf lists an error's fields as "field:key", sorted by field.
func keysOf(err error) string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return ""
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field+":"+f.Key)
	}
	return strings.Join(out, ",")
}

// TestDaysOutsideTheRangeAreRefused: a session date, a deadline and the day
// a status change took effect lie in 2000-01-01..2100-12-31. 1900-01-01 was
// accepted, and ingest dead-lettered it: ClickHouse's Date starts in 1970.
func TestDaysOutsideTheRangeAreRefused(t *testing.T) {
	ref := reference.Default()
	today := kernel.MustDay("2026-11-26")
	protocol := func(date, deadline string) domain.SessionInput {
		return domain.SessionInput{Number: 12, Date: date, Place: "Beijing", Decisions: []domain.DecisionInput{
			{Item: "1", Text: "Roadmap", Agencies: []string{"mti"}, Deadline: deadline, Clauses: []string{"2.2"}},
		}}
	}
	cases := []struct {
		name, date, deadline, want string
	}{
		{"both in range", "2026-11-20", "2100-12-31", ""},
		{"the first day", "2000-01-01", "2000-01-01", ""},
		{"session in 1900", "1900-01-01", "2027-01-01", "date:error.date_too_early"},
		{"session the day before the range", "1999-12-31", "2027-01-01", "date:error.date_too_early"},
		{"deadline after 2100", "2026-11-20", "2101-01-01", "decisions[0].deadline:error.date_too_late"},
		{"deadline in 1900", "2026-11-20", "1900-01-01", "decisions[0].deadline:error.date_too_early"},
		{"deadline in year 9999", "2026-11-20", "9999-12-31", "decisions[0].deadline:error.date_too_late"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := protocol(tc.date, tc.deadline).Validate(ref, today, domain.JSONRows)
			if got := keysOf(err); got != tc.want {
				t.Fatalf("errors %q, want %q (%v)", got, tc.want, err)
			}
		})
	}
	for on, want := range map[string]string{
		"1900-01-01": "effective_on:error.date_too_early",
		"1999-12-31": "effective_on:error.date_too_early",
		"2101-01-01": "effective_on:error.date_too_late",
	} {
		d := domain.Decision{Status: domain.Open, SessionDate: kernel.MustDay("1999-06-01"), Deadline: kernel.MustDay("2026-10-01")}
		if _, err := d.ChangeStatus(domain.StatusChange{To: domain.InProgress, Comment: "x", EffectiveOn: on}, today); keysOf(err) != want {
			t.Errorf("effective_on %s: %v, want %s", on, err, want)
		}
	}
}
