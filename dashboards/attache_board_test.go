package dashboards

import (
	"testing"

	"github.com/shopspring/decimal"

	"econdip/services/platform/kernel"
)

func TestStalledPastTheStagesLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stage string
		days  int
		want  bool
	}{
		{"identified, on the limit", "identified", 30, false},
		{"identified, a day past", "identified", 31, true},
		{"contacted, within", "contacted", 45, false},
		{"contacted, past", "contacted", 46, true},
		{"qualified, past", "qualified", 61, true},
		{"negotiating, within", "negotiating", 90, false},
		{"negotiating, past", "negotiating", 91, true},
		{"committed, past", "committed", 121, true},
		{"implementing, within a year", "implementing", 365, false},
		{"implementing, past a year", "implementing", 366, true},
		{"operational has no limit", "operational", 5000, false},
		{"on hold has no limit", "on_hold", 5000, false},
		{"lost has no limit", "lost", 5000, false},
		{"an unknown stage has none", "bogus", 5000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stalled(tc.stage, tc.days); got != tc.want {
				t.Errorf("stalled(%q, %d) = %v, want %v", tc.stage, tc.days, got, tc.want)
			}
		})
	}
}

func TestDaysInStageCountsAstanaDays(t *testing.T) {
	today := kernel.MustDay("2026-12-07")
	for _, tc := range []struct {
		on   string
		want int
	}{
		{"2026-12-07", 0}, {"2026-12-06", 1}, {"2026-11-07", 30}, {"2025-12-07", 365},
		{"2026-12-08", 0}, // a day after today: not negative
		{"", 0}, {"07.12.2026", 0},
	} {
		if got := daysInStage(tc.on, today); got != tc.want {
			t.Errorf("daysInStage(%q, %s) = %d, want %d", tc.on, today, got, tc.want)
		}
	}
}

func TestWeightedValueIsAmountTimesProbabilityToTheCent(t *testing.T) {
	for _, tc := range []struct{ usd, p, want string }{
		{"2878857.67", "0.10", "287885.77"}, // 287885.767 rounds up
		{"1000000", "0.05", "50000"},
		{"1000000", "0.25", "250000"},
		{"0.01", "0.5", "0.01"}, // 0.005 rounds half away from zero
		{"123456789.99", "1", "123456789.99"},
		{"5000000", "0", "0"},
	} {
		got := weighted(decimal.RequireFromString(tc.usd), decimal.RequireFromString(tc.p))
		if !got.Equal(decimal.RequireFromString(tc.want)) {
			t.Errorf("weighted(%s, %s) = %s, want %s", tc.usd, tc.p, got, tc.want)
		}
	}
}

func TestRepeatedMoveIsOnlyTheUsersOwnNextChange(t *testing.T) {
	mine := move{Version: 3, Actor: "attache.de-berlin", To: "contacted", Day: "2026-12-07"}
	for _, tc := range []struct {
		name string
		last move
		want bool
	}{
		{"the same move, right after the form's version", mine, true},
		{"by someone else", move{3, "attache.de-bonn", "contacted", "2026-12-07"}, false},
		{"to another stage", move{3, "attache.de-berlin", "qualified", "2026-12-07"}, false},
		{"on another day", move{3, "attache.de-berlin", "contacted", "2026-12-01"}, false},
		{"not a stage change (an edit)", move{3, "attache.de-berlin", "", ""}, false},
		{"more changes since", move{4, "attache.de-berlin", "contacted", "2026-12-07"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := repeatedMove(tc.last, 2, "attache.de-berlin", "contacted", "2026-12-07"); got != tc.want {
				t.Errorf("repeatedMove(%+v) = %v, want %v", tc.last, got, tc.want)
			}
		})
	}
}
