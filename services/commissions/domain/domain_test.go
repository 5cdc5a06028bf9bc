package domain_test

import (
	"strings"
	"testing"
	"time"

	"econdip/services/commissions/domain"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

func TestCanChange(t *testing.T) {
	cases := []struct {
		from, to domain.Status
		ok       bool
	}{
		{domain.Open, domain.InProgress, true},
		{domain.InProgress, domain.Done, true},
		{domain.Open, domain.Cancelled, true},
		{domain.InProgress, domain.Cancelled, true},
		{domain.Open, domain.Done, false}, // out of order: progress comes first
		{domain.InProgress, domain.Open, false},
		{domain.Done, domain.InProgress, false}, // done is final
		{domain.Done, domain.Cancelled, false},
		{domain.Cancelled, domain.Open, false}, // cancelled is final
		{domain.Open, domain.Open, false},
	}
	for _, tc := range cases {
		if got := domain.CanChange(tc.from, tc.to); got != tc.ok {
			t.Errorf("CanChange(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
}

func TestTodayTurnsAtMidnightAstana(t *testing.T) {
	// Astana is UTC+5: 18:59:59 UTC is still the 26th there, 19:00 UTC is the 27th.
	cases := map[string]string{
		"2026-11-26T18:59:59Z": "2026-11-26",
		"2026-11-26T19:00:00Z": "2026-11-27",
		"2026-11-26T00:00:00Z": "2026-11-26",
		"2024-06-30T19:00:00Z": "2024-07-01",
	}
	for instant, want := range cases {
		at, _ := time.Parse(time.RFC3339, instant)
		if got := kernel.Today(at).String(); got != want {
			t.Errorf("Today(%s) = %s, want %s", instant, got, want)
		}
	}
}

func TestOverdueDoneLateAndDaysLate(t *testing.T) {
	deadline := kernel.MustDay("2026-11-26")
	cases := []struct {
		name     string
		status   domain.Status
		doneOn   string
		now      string // instant in UTC
		overdue  bool
		doneLate bool
		daysLate int
	}{
		{"deadline today, last second of the day in Astana", domain.Open, "", "2026-11-26T18:59:59Z", false, false, 0},
		{"deadline passed at midnight Astana", domain.Open, "", "2026-11-26T19:00:00Z", true, false, 1},
		{"in progress, ten days past", domain.InProgress, "", "2026-12-06T10:00:00Z", true, false, 10},
		{"done on the deadline day", domain.Done, "2026-11-26", "2026-12-20T10:00:00Z", false, false, 0},
		{"done the day after", domain.Done, "2026-11-27", "2026-12-20T10:00:00Z", false, true, 1},
		{"done early", domain.Done, "2026-11-01", "2026-12-20T10:00:00Z", false, false, 0},
		{"cancelled is never overdue", domain.Cancelled, "", "2027-05-01T10:00:00Z", false, false, 0},
		{"open before the deadline", domain.Open, "", "2026-11-20T10:00:00Z", false, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := domain.Decision{Deadline: deadline, Status: tc.status}
			if tc.doneOn != "" {
				d.DoneOn = kernel.MustDay(tc.doneOn)
			}
			at, _ := time.Parse(time.RFC3339, tc.now)
			today := kernel.Today(at)
			if d.Overdue(today) != tc.overdue || d.DoneLate() != tc.doneLate || d.DaysLate(today) != tc.daysLate {
				t.Fatalf("as of %s: overdue=%v doneLate=%v daysLate=%d, want %v %v %d",
					today, d.Overdue(today), d.DoneLate(), d.DaysLate(today), tc.overdue, tc.doneLate, tc.daysLate)
			}
		})
	}
}

func TestChangeStatus(t *testing.T) {
	today := kernel.MustDay("2026-11-26")
	d := domain.Decision{Status: domain.Open, SessionDate: kernel.MustDay("2026-09-01"), StatusDate: kernel.MustDay("2026-09-01"), Deadline: kernel.MustDay("2026-10-01")}
	if _, err := d.ChangeStatus(domain.StatusChange{To: domain.Done, Comment: "x"}, today); err == nil || !strings.Contains(err.Error(), "fields") {
		t.Fatalf("open -> done must be refused, got %v", err)
	}
	for _, bad := range []domain.StatusChange{
		{To: domain.InProgress, Comment: "x", EffectiveOn: "2026-08-31"}, // before the session
		{To: domain.InProgress, Comment: "x", EffectiveOn: "2026-11-27"}, // future
		{To: domain.InProgress, Comment: "x", EffectiveOn: "26.11.2026"},
		{To: domain.InProgress, Comment: " "},
		{To: "finished", Comment: "x"},
	} {
		if _, err := d.ChangeStatus(bad, today); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	if d.Status != domain.Open {
		t.Fatalf("a refused change altered the decision: %+v", d)
	}
	if _, err := d.ChangeStatus(domain.StatusChange{To: domain.InProgress, Comment: "started", EffectiveOn: "2026-09-15"}, today); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ChangeStatus(domain.StatusChange{To: domain.Done, Comment: "x", EffectiveOn: "2026-09-10"}, today); err == nil {
		t.Fatal("a change dated before the last one must be refused")
	}
	on, err := d.ChangeStatus(domain.StatusChange{To: domain.Done, Comment: "signed", EffectiveOn: "2026-10-04"}, today)
	if err != nil || on.String() != "2026-10-04" || d.DoneOn.String() != "2026-10-04" || !d.DoneLate() || d.DaysLate(today) != 3 {
		t.Fatalf("done late: on=%s err=%v %+v", on, err, d)
	}
}

func TestValidateProtocol(t *testing.T) {
	ref := reference.Default()
	today := kernel.MustDay("2026-11-26")
	good := func() domain.SessionInput {
		return domain.SessionInput{Number: 12, Date: "2026-11-20", Place: "Beijing", Decisions: []domain.DecisionInput{
			{Item: "1", Text: "Roadmap", Agencies: []string{"mti"}, Deadline: "2027-01-01", Clauses: []string{"2.2"}},
			{Item: "2", Text: "Trade house", Agencies: []string{"qaztrade", "mfa"}, Deadline: "2026-11-20", Clauses: []string{"2.7"}, ValueAmount: "1.5", ValueCurrency: "EUR"},
		}}
	}
	cases := []struct {
		name   string
		edit   func(*domain.SessionInput)
		fields string
	}{
		{"valid (deadline on the session day is fine)", func(*domain.SessionInput) {}, ""},
		{"deadline before the session", func(s *domain.SessionInput) { s.Decisions[0].Deadline = "2026-11-19" }, "decisions[0].deadline"},
		{"unknown agency", func(s *domain.SessionInput) { s.Decisions[1].Agencies = []string{"mti", "nope"} }, "decisions[1].agencies"},
		{"no agency", func(s *domain.SessionInput) { s.Decisions[1].Agencies = nil }, "decisions[1].agencies"},
		{"empty text", func(s *domain.SessionInput) { s.Decisions[0].Text = "" }, "decisions[0].text"},
		{"duplicate item", func(s *domain.SessionInput) { s.Decisions[1].Item = "1" }, "decisions[1].item"},
		{"value without currency", func(s *domain.SessionInput) { s.Decisions[1].ValueCurrency = "" }, "decisions[1].value.currency"},
		{"negative value", func(s *domain.SessionInput) { s.Decisions[1].ValueAmount = "-1" }, "decisions[1].value.amount"},
		{"bad lead id", func(s *domain.SessionInput) { s.Decisions[0].LeadIDs = []string{"lead-7"} }, "decisions[0].lead_ids"},
		{"session in the future", func(s *domain.SessionInput) { s.Date = "2026-11-27" }, "date,decisions[1].deadline"},
		{"no place, number 0", func(s *domain.SessionInput) { s.Place, s.Number = "", 0 }, "number,place"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			tc.edit(&in)
			_, _, _, err := in.Validate(ref, today, domain.JSONRows)
			fields := fieldNames(err)
			if fields != tc.fields {
				t.Fatalf("fields %q, want %q (%v)", fields, tc.fields, err)
			}
		})
	}
}
