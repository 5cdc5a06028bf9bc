package dashboards

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/services/leads/httpapi"
	"econdip/services/platform/httpx"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
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

// boardRates is a rates store for the board's tests, today 2026-12-07: USD
// of 2026-12-04 (3 days old), EUR of 2026-11-27 (10 days: stale), GBP of
// 2026-10-01 (67 days: past the hard limit of 45), CNY none.
func boardRates() *reference.Rates {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	rate := func(on, cur, kzt string) reference.DayRate {
		v := decimal.RequireFromString(kzt)
		return reference.DayRate{Day: day(on), Currency: cur, Quant: 1, KZT: v, PerUnit: v, Source: "test"}
	}
	return reference.NewRates([]reference.DayRate{rate("2026-12-04", "USD", "500.5"), rate("2026-11-27", "EUR", "541.37"), rate("2026-10-01", "GBP", "630")})
}

func TestBoardInKZTSumsItsCardsConversions(t *testing.T) {
	s := testServer(t)
	rs := boardRates()
	s.cfg.Rates = func() *reference.Rates { return rs }
	today := kernel.MustDay("2026-12-07")
	lead := func(id, stage, amount, cur, p string) httpapi.LeadJSON {
		return httpapi.LeadJSON{ID: id, Stage: stage, Probability: p, StageEffectiveOn: "2026-12-01",
			Capex: httpx.MoneyJSON{Amount: httpx.NumberText(amount), Currency: cur}}
	}
	leads := []httpapi.LeadJSON{
		lead("usd", "qualified", "1000000.33", "USD", "0.25"),
		lead("eur", "qualified", "250000", "EUR", "0.25"),
		lead("kzt", "qualified", "77000000.5", "KZT", "0.25"),
		lead("gbp", "qualified", "90000", "GBP", "0.25"),
		lead("cny", "negotiating", "5000000", "CNY", "0.5"),
		lead("usd2", "negotiating", "12.34", "USD", "0.5"),
	}
	cols := s.boardColumns(leads, today, "en")
	cards := map[string]boardCard{}
	for _, col := range cols {
		for _, c := range col.Cards {
			cards[c.Lead.ID] = c
		}
	}
	for _, tc := range []struct {
		id                 string
		kzt, weightedKZT   string
		has, stale, tooOld bool
	}{
		{"usd", "500500165.17", "125125041.29", true, false, false}, // 1000000.33 × 500.5 = 500500165.165
		{"eur", "135342500", "33835625", true, true, false},
		{"kzt", "77000000.5", "19250000.13", true, false, false}, // 0.125 rounds half away from zero
		{"gbp", "0", "0", false, false, true},
		{"cny", "0", "0", false, false, false},
		{"usd2", "6176.17", "3088.09", true, false, false}, // 12.34 × 500.5 = 6176.17
	} {
		c := cards[tc.id]
		if c.HasUSD != tc.has || c.Stale != tc.stale || c.TooOld != tc.tooOld ||
			!c.KZT.Equal(decimal.RequireFromString(tc.kzt)) || !c.WeightedKZT.Equal(decimal.RequireFromString(tc.weightedKZT)) {
			t.Errorf("%s: KZT %s weighted %s has %v stale %v too old %v; want %s %s %v %v %v",
				tc.id, c.KZT, c.WeightedKZT, c.HasUSD, c.Stale, c.TooOld, tc.kzt, tc.weightedKZT, tc.has, tc.stale, tc.tooOld)
		}
	}
	if c := cards["eur"]; c.RateDayText() != "2026-11-27" || c.RateAge != 10 {
		t.Errorf("eur's rate day %s, %d days; want 2026-11-27, 10", c.RateDayText(), c.RateAge)
	}
	if c := cards["gbp"]; c.RateDayText() != "2026-10-01" || c.RateAge != 67 {
		t.Errorf("gbp's rate day %s, %d days; want 2026-10-01, 67", c.RateDayText(), c.RateAge)
	}
	// Every column and the board: the sums of their cards' conversions, exact.
	var sum, weightedSum decimal.Decimal
	for _, col := range cols {
		var colSum, colWeighted decimal.Decimal
		noRate, stale := 0, 0
		for _, c := range col.Cards {
			if c.HasUSD {
				colSum, colWeighted = colSum.Add(c.KZT), colWeighted.Add(c.WeightedKZT)
				if c.Stale {
					stale++
				}
			} else {
				noRate++
			}
		}
		if !col.SumKZT.Equal(colSum) || !col.WeightedKZT.Equal(colWeighted) || col.NoRate != noRate || col.Stale != stale {
			t.Errorf("%s: %s KZT, weighted %s, %d without rate, %d stale; want %s, %s, %d, %d",
				col.Stage, col.SumKZT, col.WeightedKZT, col.NoRate, col.Stale, colSum, colWeighted, noRate, stale)
		}
		sum, weightedSum = sum.Add(colSum), weightedSum.Add(colWeighted)
	}
	total := boardTotalOf(cols)
	if want := decimal.RequireFromString("712848841.84"); !total.SumKZT.Equal(sum) || !sum.Equal(want) {
		t.Errorf("board: %s KZT (cards %s), want %s", total.SumKZT, sum, want)
	}
	if !total.WeightedKZT.Equal(weightedSum) || total.NoRate != 2 || total.Stale != 1 {
		t.Errorf("board: weighted %s (cards %s), %d without rate, %d stale; want 2, 1", total.WeightedKZT, weightedSum, total.NoRate, total.Stale)
	}
}
