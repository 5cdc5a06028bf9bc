package analytics_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/services/commissions/domain"
	"econdip/services/platform/kernel"
)

// TestDecisionRulesAreTheDomains: "due", "overdue", "done late" and "days
// late" have one definition, in Go (services/commissions/domain); the SQL
// of the figures must agree with it on every decision of a fixture, as of
// every day of a list (the day before, of and after a deadline, a done day,
// a session day). The analytics rule on top, that a decision counts from
// the day of its session, is applied to the Go side here.
func TestDecisionRulesAreTheDomains(t *testing.T) {
	decisions := []decisionSpec{
		{id: "open", deadline: "2026-03-10", status: "open"},
		{id: "in-progress", deadline: "2026-03-10", status: "in_progress"},
		{id: "done-on-the-day", deadline: "2026-03-10", status: "done", doneOn: "2026-03-10"},
		{id: "done-a-day-late", deadline: "2026-03-10", status: "done", doneOn: "2026-03-11"},
		{id: "done-early", deadline: "2026-03-10", status: "done", doneOn: "2026-02-01"},
		{id: "cancelled", deadline: "2026-03-01", status: "cancelled"},
		{id: "month-end", deadline: "2026-03-31", status: "open"},
		{id: "late-session", deadline: "2026-04-30", status: "open", sessionDate: "2026-03-20"},
		{id: "done-15-days-late", deadline: "2026-03-31", status: "done", doneOn: "2026-04-15"},
		{id: "year-end", deadline: "2026-12-31", status: "in_progress"},
	}
	days := []string{"2026-01-10", "2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-20",
		"2026-03-31", "2026-04-01", "2026-04-15", "2026-04-16", "2026-05-01", "2027-01-01"}

	conn := migrated(t)
	ctx := context.Background()
	truncate := func() {
		for _, table := range []string{"commission_states", "session_states", "decision_states", "decision_status_history"} {
			if err := conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
				t.Fatal(err)
			}
		}
	}
	truncate()
	t.Cleanup(truncate)
	rows := &analytics.Rows{}
	byID := map[string]domain.Decision{}
	for i := range decisions {
		d := &decisions[i]
		d.commission, d.version, d.session, d.item = "cn", 1, 1, d.id
		if d.sessionDate == "" {
			d.sessionDate = "2026-01-10"
		}
		rows.DecisionStates = append(rows.DecisionStates, d.row())
		byID[d.id] = domain.Decision{ID: d.id, Status: domain.Status(d.status), Deadline: goDay(t, d.deadline),
			DoneOn: goDay(t, d.doneOn), SessionDate: goDay(t, d.sessionDate)}
	}
	if err := analytics.Write(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}

	for _, day := range days {
		t.Run(day, func(t *testing.T) {
			today := goDay(t, day)
			noon, _ := time.ParseInLocation(time.DateOnly, day, astana)
			asOf := noon.Add(12 * time.Hour)
			wantOverdue, wantLate := map[string]int{}, map[string]int{}
			var want analytics.Execution
			for _, id := range slices.Sorted(maps.Keys(byID)) {
				d := byID[id]
				if d.SessionDate.After(today) {
					continue // not counted yet
				}
				want.Total++
				switch {
				case d.Status == domain.Cancelled:
					want.Cancelled++
				case !d.Due(today):
				case d.Overdue(today):
					want.Due++
					want.Overdue++
					wantOverdue[id] = d.DaysLate(today)
				case d.DoneLate():
					want.Due++
					want.DoneLate++
					wantLate[id] = d.DaysLate(today)
				default:
					want.Due++
					want.DoneOnTime++
				}
			}
			overdue, err := analytics.OverdueDecisions(ctx, conn, asOf, analytics.CommissionFilter{})
			if err != nil {
				t.Fatal(err)
			}
			late, err := analytics.DoneLateDecisions(ctx, conn, asOf, analytics.CommissionFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if got := daysLate(overdue); !maps.Equal(got, wantOverdue) {
				t.Errorf("overdue: SQL %v, Go %v", got, wantOverdue)
			}
			if got := daysLate(late); !maps.Equal(got, wantLate) {
				t.Errorf("done late: SQL %v, Go %v", got, wantLate)
			}
			byCommission, err := analytics.ExecutionByCommission(ctx, conn, asOf, analytics.CommissionFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var got analytics.Execution
			if len(byCommission) == 1 {
				got = byCommission[0].Execution
				got.Rate = nil
			}
			if got != want {
				t.Errorf("counts: SQL %+v, Go %+v", got, want)
			}
		})
	}
}

func goDay(t *testing.T, s string) kernel.Day {
	t.Helper()
	if s == "" {
		return kernel.Day{}
	}
	d, err := kernel.ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func daysLate(list []analytics.LateDecision) map[string]int {
	out := map[string]int{}
	for _, d := range list {
		out[d.DecisionID] = int(d.DaysLate)
	}
	return out
}
