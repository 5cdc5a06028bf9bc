package analytics_test

// The partner-country figures on the key-figure fixture (kpi_test.go), each
// expected value by hand in the comments.

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"econdip/analytics"
)

func TestBarriersReportedByYear(t *testing.T) {
	conn := kpiFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		f    analytics.BarrierFilter
		want []analytics.BarrierReportedYear
	}{
		// 2024: B1, resolved since, 1,000,000 EUR at 0.9 = 1,111,111.11 USD.
		// 2025: B2 (resolved, no value), B3 (open, 500,000 USD), B4 (resolved, XOF: no rate).
		// KZT at 450 per USD: 500,000,000 and 225,000,000.
		{"all", analytics.BarrierFilter{}, []analytics.BarrierReportedYear{
			{Year: 2024, Reported: 1, Resolved: 1, ValueAtStakeUSD: money("1111111.11"), ValueAtStakeKZT: money("500000000")},
			{Year: 2025, Reported: 3, Open: 1, Resolved: 2, ValueAtStakeUSD: money("500000"), ValueAtStakeKZT: money("225000000"), NoRate: 1},
		}},
		{"Uzbekistan", analytics.BarrierFilter{Country: "UZ"}, []analytics.BarrierReportedYear{
			{Year: 2025, Reported: 2, Open: 1, Resolved: 1, ValueAtStakeUSD: money("500000"), ValueAtStakeKZT: money("225000000"), NoRate: 1},
		}},
		{"a post", analytics.BarrierFilter{Post: "de-berlin"}, []analytics.BarrierReportedYear{
			{Year: 2025, Reported: 1, Resolved: 1, ValueAtStakeUSD: money("0"), ValueAtStakeKZT: money("0")},
		}},
		{"none", analytics.BarrierFilter{Country: "FR"}, nil},
	} {
		got, err := analytics.BarriersReportedByYear(ctx, conn, c.f)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got { // the fixture's rates are old, its limits wide (nbk_test.go checks the flags)
			got[i].MaxRateAge = 0
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func TestBarrierRecords(t *testing.T) {
	conn := kpiFixture(t)
	ctx := context.Background()
	recs, err := analytics.BarrierRecords(ctx, conn, analytics.BarrierFilter{Country: "UZ"})
	if err != nil {
		t.Fatal(err)
	}
	// B3 reported 2025-01-01, open, 500,000 USD; B4 reported 2025-03-03, resolved 2025-09-09, XOF without a rate.
	if len(recs) != 2 {
		t.Fatalf("Uzbekistan's barriers: %+v", recs)
	}
	b3, b4 := recs[0], recs[1]
	if b3.Title != "Barrier B3" || b3.Status != "verified" || b3.ReportedOn != "2025-01-01" || b3.ResolvedOn != "" || !b3.HasValue ||
		!b3.USD.Equal(money("500000")) || b3.NoRate || b3.Post != "uz-tashkent" || b3.Type != "procedural" || fmt.Sprint(b3.HSCodes) != "[7601]" {
		t.Errorf("B3: %+v", b3)
	}
	if b4.Title != "Barrier B4" || b4.ResolvedOn != "2025-09-09" || !b4.NoRate || !b4.USD.IsZero() || b4.RateDay != "" ||
		!b4.Value.Equal(money("9000000")) || b4.Currency != "XOF" {
		t.Errorf("B4: %+v", b4)
	}
	all, err := analytics.BarrierRecords(ctx, conn, analytics.BarrierFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// In order of the day reported: B1 2024-11-01, B3 2025-01-01, B2 2025-02-01, B4 2025-03-03.
	var titles []string
	for _, r := range all {
		titles = append(titles, r.Title)
	}
	if fmt.Sprint(titles) != "[Barrier B1 Barrier B3 Barrier B2 Barrier B4]" {
		t.Errorf("every barrier: %q", titles)
	}
	// B1 at the EUR rate in force on 2024-11-01 (from 2024-01-01) and the USD rate (from 2020-01-01):
	// the rate day is the older; B2 has no value: nothing to convert.
	if b1 := all[0]; !b1.USD.Equal(money("1111111.11")) || b1.RateDay != "2020-01-01" || b1.NoRate {
		t.Errorf("B1: %+v", b1)
	}
	if b2 := all[2]; b2.HasValue || b2.NoRate || !b2.USD.IsZero() || b2.RateDay != "" {
		t.Errorf("B2: %+v", b2)
	}
	// The records add up to the figures: the open value at stake is B3's.
	tally, err := analytics.Barriers(ctx, conn, analytics.BarrierFilter{})
	if err != nil {
		t.Fatal(err)
	}
	open := decimal.Zero
	for _, r := range all {
		if r.Status != "resolved" && r.Status != "dormant" && !r.NoRate {
			open = open.Add(r.USD)
		}
	}
	if !open.Equal(tally.OpenValueAtStakeUSD) {
		t.Errorf("open value of the records %s, of the tally %s", open, tally.OpenValueAtStakeUSD)
	}
}

func TestPipelineRecords(t *testing.T) {
	conn := kpiFixture(t)
	ctx := context.Background()
	recs, err := analytics.PipelineRecords(ctx, conn, analytics.PipelineFilter{Country: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	// German investors' leads, by sector, stage (in pipeline order) and day: agro L3 lost
	// (probability 0); mining L6 negotiating (0.50: 200,000 of 400,000, decision 2030-06-30)
	// and L1 implementing (1); no sector L5 committed, in XOF: no rate.
	type want struct{ title, sector, stage, day, usd, weighted, decision string }
	wants := []want{
		{"Lead L3", "agro_industrial", "lost", "2024-06-01", "2000000", "0", ""},
		{"Lead L6", "mining", "negotiating", "2024-09-01", "400000", "200000", "2030-06-30"},
		{"Lead L1", "mining", "implementing", "2024-02-01", "1000000", "1000000", ""},
		{"Lead L5", "unassigned", "committed", "2024-07-01", "0", "0", ""},
	}
	if len(recs) != len(wants) {
		t.Fatalf("German leads: %+v", recs)
	}
	for i, w := range wants {
		r := recs[i]
		if r.Title != w.title || r.Sector != w.sector || r.Stage != w.stage || r.StageDay != w.day || !r.USD.Equal(money(w.usd)) ||
			!r.WeightedUSD.Equal(money(w.weighted)) || r.DecisionDate != w.decision || r.InvestorCountry != "DE" || r.Post != "de-berlin" {
			t.Errorf("lead %d: %+v, want %+v", i, r, w)
		}
	}
	if !recs[3].NoRate || recs[3].Currency != "XOF" || !recs[3].Capex.Equal(money("800000")) || recs[0].NoRate {
		t.Errorf("no-rate flags: %+v", recs)
	}
	// The records add up to Pipeline's cells.
	cells, err := analytics.Pipeline(ctx, conn, analytics.PipelineFilter{Country: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		usd, weighted, n, noRate := decimal.Zero, decimal.Zero, uint64(0), uint64(0)
		for _, r := range recs {
			if r.Sector == c.Sector && r.Stage == c.Stage {
				usd, weighted, n = usd.Add(r.USD), weighted.Add(r.WeightedUSD), n+1
				if r.NoRate {
					noRate++
				}
			}
		}
		if n != c.Leads || !usd.Equal(c.CapexUSD) || !weighted.Equal(c.WeightedUSD) || noRate != c.NoRate {
			t.Errorf("%s %s: records %d, %s, %s, %d without rate; pipeline %+v", c.Sector, c.Stage, n, usd, weighted, noRate, c)
		}
	}
	post, err := analytics.PipelineRecords(ctx, conn, analytics.PipelineFilter{Post: "cn-beijing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(post) != 3 { // L2, L4, L7
		t.Errorf("Beijing's leads: %+v", post)
	}
}
