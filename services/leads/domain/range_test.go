package domain_test

import (
	"testing"
	"time"

	"econdip/services/leads/domain"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// TestDaysOutsideTheRangeAreRefused: identified_on, effective_on and
// expected_decision_date lie in 2000-01-01..2100-12-31. 1900-01-01 was
// accepted as an expected decision date, and ingest dead-lettered the lead:
// ClickHouse's Date starts in 1970.
func TestDaysOutsideTheRangeAreRefused(t *testing.T) {
	ref := reference.Default()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	today := kernel.Today(now)
	cases := []struct {
		name, field, day string
		want             string // "" or "field:key"
	}{
		{"expected decision on the last day", "expected_decision_date", "2100-12-31", ""},
		{"expected decision on the first day", "expected_decision_date", "2000-01-01", ""},
		{"expected decision in 1900", "expected_decision_date", "1900-01-01", "expected_decision_date:error.date_too_early"},
		{"expected decision in 2101", "expected_decision_date", "2101-01-01", "expected_decision_date:error.date_too_late"},
		{"expected decision in 9999", "expected_decision_date", "9999-12-31", "expected_decision_date:error.date_too_late"},
		{"identified in 1900", "identified_on", "1900-01-01", "identified_on:error.date_too_early"},
		{"identified on the first day", "identified_on", "2000-01-01", ""},
		{"effective in 1900", "effective_on", "1900-01-01", "effective_on:error.date_too_early"},
		{"effective on the first day", "effective_on", "2000-01-01", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := valid()
			var err error
			switch tc.field {
			case "expected_decision_date":
				d.ExpectedDecisionDate = tc.day
				_, err = domain.New(d, ref, now, today)
				if err == nil {
					_, err = d.Validate(ref) // the update path checks the same
				}
			case "identified_on":
				d.IdentifiedOn = tc.day
				_, err = domain.New(d, ref, now, today)
			case "effective_on":
				l := domain.Lead{Stage: domain.Negotiating}
				err = l.MoveTo(domain.Move{To: domain.Committed, EffectiveOn: tc.day}, ref, now, today)
			}
			if got := keysOf(err); got != tc.want {
				t.Fatalf("errors %q, want %q (%v)", got, tc.want, err)
			}
		})
	}
	// A valid expected decision date reads back as the day typed.
	d := valid()
	d.ExpectedDecisionDate = "2027-03-31"
	l, err := domain.New(d, ref, now, today)
	if err != nil || l.ExpectedDecisionDate.String() != "2027-03-31" || l.Details().ExpectedDecisionDate != "2027-03-31" {
		t.Fatalf("expected decision date: %v %s", err, l.ExpectedDecisionDate)
	}
}
