package domain

import (
	"testing"
	"time"

	"econdip/services/platform/kernel"
)

var d = kernel.MustDay

func rules(ds []Due) []string {
	var out []string
	for _, x := range ds {
		out = append(out, x.Rule+"@"+x.Period)
	}
	return out
}

func TestDecisionDue(t *testing.T) {
	tests := []struct {
		name   string
		s      Settings
		f      DecisionFacts
		today  string
		expect []string
	}{
		{"15 days before: nothing", nil, DecisionFacts{"open", d("2026-05-31")}, "2026-05-16", nil},
		{"14 days before: due soon", nil, DecisionFacts{"open", d("2026-05-31")}, "2026-05-17", []string{"decision.due_soon@2026-05-31"}},
		{"on the deadline: due soon, not overdue", nil, DecisionFacts{"in_progress", d("2026-05-31")}, "2026-05-31", []string{"decision.due_soon@2026-05-31"}},
		{"the day after: overdue", nil, DecisionFacts{"open", d("2026-05-31")}, "2026-06-01", []string{"decision.overdue@2026-05-31"}},
		{"a year after: still overdue, same period", nil, DecisionFacts{"open", d("2026-05-31")}, "2027-06-01", []string{"decision.overdue@2026-05-31"}},
		{"done: nothing", nil, DecisionFacts{"done", d("2026-05-31")}, "2026-06-01", nil},
		{"cancelled: nothing", nil, DecisionFacts{"cancelled", d("2026-05-31")}, "2026-05-30", nil},
		{"window of 3 days", Settings{DecisionDueSoon: {ParamDays: 3}}, DecisionFacts{"open", d("2026-05-31")}, "2026-05-27", nil},
		{"window of 3 days, inside", Settings{DecisionDueSoon: {ParamDays: 3}}, DecisionFacts{"open", d("2026-05-31")}, "2026-05-28", []string{"decision.due_soon@2026-05-31"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rules(DecisionDue(tc.s, tc.f, d(tc.today)))
			if len(got) != len(tc.expect) || (len(got) > 0 && got[0] != tc.expect[0]) {
				t.Errorf("got %v, want %v", got, tc.expect)
			}
		})
	}
}

func TestTaskDue(t *testing.T) {
	tests := []struct {
		name   string
		f      TaskFacts
		today  string
		expect []string
	}{
		{"two days before", TaskFacts{false, d("2026-03-01")}, "2026-02-27", nil},
		{"the day before (across a month end)", TaskFacts{false, d("2026-03-01")}, "2026-02-28", []string{"task.due_tomorrow@2026-03-01"}},
		{"on the due day: still warned", TaskFacts{false, d("2026-03-01")}, "2026-03-01", []string{"task.due_tomorrow@2026-03-01"}},
		{"the day after: overdue", TaskFacts{false, d("2026-03-01")}, "2026-03-02", []string{"task.overdue@2026-03-01"}},
		{"done", TaskFacts{true, d("2026-03-01")}, "2026-03-02", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rules(TaskDue(tc.f, d(tc.today)))
			if len(got) != len(tc.expect) || (len(got) > 0 && got[0] != tc.expect[0]) {
				t.Errorf("got %v, want %v", got, tc.expect)
			}
		})
	}
}

func TestOneDueRules(t *testing.T) {
	tests := []struct {
		name   string
		due    func(today kernel.Day) (Due, bool)
		today  string
		fire   bool
		period string
	}{
		{"lead negotiating 59 days", func(x kernel.Day) (Due, bool) {
			return LeadDue(nil, LeadFacts{"negotiating", d("2026-01-01")}, x)
		}, "2026-03-01", false, ""},
		{"lead negotiating 60 days", func(x kernel.Day) (Due, bool) {
			return LeadDue(nil, LeadFacts{"negotiating", d("2026-01-01")}, x)
		}, "2026-03-02", true, "negotiating-2026-01-01"},
		{"lead with the administrator's 10 days", func(x kernel.Day) (Due, bool) {
			return LeadDue(Settings{LeadStale: {"stage.negotiating": 10}}, LeadFacts{"negotiating", d("2026-01-01")}, x)
		}, "2026-01-11", true, "negotiating-2026-01-01"},
		{"operational lead never stale", func(x kernel.Day) (Due, bool) {
			return LeadDue(nil, LeadFacts{"operational", d("2020-01-01")}, x)
		}, "2026-03-02", false, ""},
		{"barrier 59 days", func(x kernel.Day) (Due, bool) {
			return BarrierDue(nil, BarrierFacts{"in_negotiation", d("2026-01-01")}, x)
		}, "2026-03-01", false, ""},
		{"barrier 60 days", func(x kernel.Day) (Due, bool) {
			return BarrierDue(nil, BarrierFacts{"in_negotiation", d("2026-01-01")}, x)
		}, "2026-03-02", true, "2026-01-01"},
		{"resolved barrier", func(x kernel.Day) (Due, bool) {
			return BarrierDue(nil, BarrierFacts{"resolved", d("2025-01-01")}, x)
		}, "2026-03-02", false, ""},
		{"deal contracted 89 days", func(x kernel.Day) (Due, bool) {
			return DealDue(nil, DealFacts{"contracted", d("2026-01-01")}, x)
		}, "2026-03-31", false, ""},
		{"deal contracted 90 days", func(x kernel.Day) (Due, bool) {
			return DealDue(nil, DealFacts{"contracted", d("2026-01-01")}, x)
		}, "2026-04-01", true, "2026-01-01"},
		{"deal shipped", func(x kernel.Day) (Due, bool) {
			return DealDue(nil, DealFacts{"shipped", d("2025-01-01")}, x)
		}, "2026-04-01", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			due, ok := tc.due(d(tc.today))
			if ok != tc.fire || (ok && due.Period != tc.period) {
				t.Errorf("got %v %q, want %v %q", ok, due.Period, tc.fire, tc.period)
			}
		})
	}
}

func TestLatestDigest(t *testing.T) {
	at := func(s string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, kernel.Astana)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		name, now, monday string
	}{
		{"Monday 08:59 Astana: last week's", "2026-12-07 08:59", "2026-11-30"},
		{"Monday 09:00 Astana: this week's", "2026-12-07 09:00", "2026-12-07"},
		{"Sunday night", "2026-12-13 23:59", "2026-12-07"},
		{"Wednesday", "2026-12-09 12:00", "2026-12-07"},
		{"Monday 04:00 UTC is 09:00 Astana", "2026-12-07 09:00", "2026-12-07"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LatestDigest(at(tc.now).UTC()).String(); got != tc.monday {
				t.Errorf("LatestDigest(%s) = %s, want %s", tc.now, got, tc.monday)
			}
		})
	}
	// Sunday 23:30 UTC is Monday 04:30 Astana: still the week before.
	if got := LatestDigest(time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)).String(); got != "2026-11-30" {
		t.Errorf("Sunday 23:30 UTC: %s", got)
	}
}

func TestSettingsValidate(t *testing.T) {
	if err := (Settings{LeadStale: {"stage.negotiating": 10}}).Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range []Settings{{"nope": {}}, {LeadStale: {"days": 3}}, {BarrierStale: {ParamDays: 0}}} {
		if bad.Validate() == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
