package domain

import (
	"testing"

	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// TestDaysOutsideTheRangeAreRefused: a contract date, the day a barrier was
// reported and the day its status changed lie in 2000-01-01..2100-12-31.
// 1900-01-01 was accepted, and ingest dead-lettered it: ClickHouse's Date
// starts in 1970.
func TestDaysOutsideTheRangeAreRefused(t *testing.T) {
	ref := reference.Default()
	today := kernel.MustDay("2026-05-20")
	fields := []struct {
		name  string
		check func(day string) error
	}{
		{"contract_date", func(on string) error {
			d := Deal{Stage: Negotiating}
			return d.MoveTo(Move{To: Contracted, ContractDate: on}, today)
		}},
		{"reported_on", func(on string) error {
			in := BarrierInput{Country: "CN", HSCodes: []string{"1001"}, Type: "sps", Title: "Ban on wheat", LeadAgency: "mti", ReportedOn: on}
			_, err := in.Validate(ref, "CN", today)
			return err
		}},
		{"effective_on", func(on string) error {
			_, err := CheckStatusChange(Reported, StatusChange{To: Verified, EffectiveOn: on, Comment: "x"}, kernel.Day{}, kernel.Day{}, today)
			return err
		}},
	}
	days := []struct{ day, key string }{
		{"1900-01-01", "error.date_too_early"},
		{"1999-12-31", "error.date_too_early"},
		{"2101-01-01", "error.date_too_late"},
		{"2000-01-01", ""},
		{"2026-05-20", ""},
	}
	for _, f := range fields {
		for _, d := range days {
			t.Run(f.name+" "+d.day, func(t *testing.T) {
				err := f.check(d.day)
				switch {
				case d.key == "" && err != nil:
					t.Fatalf("refused: %v", err)
				case d.key != "" && fieldKeys(err) != f.name+"="+d.key:
					t.Fatalf("errors %q, want %s=%s", fieldKeys(err), f.name, d.key)
				}
			})
		}
	}
}
