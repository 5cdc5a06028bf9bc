package analytics_test

import (
	"context"
	"testing"

	"econdip/analytics"
	"econdip/services/platform/reference"
)

// Done when (issue 16): a partner country's open pipeline reads in KZT as
// the sum of its leads' capex converted by hand, flags the lead at a stale
// rate, counts the one whose rate is too old as without rate, and the list
// of its leads says each one's rate day.
func TestCountryPipelineInKZTFlagsStaleRates(t *testing.T) {
	conn := kpiFixture(t) // empties lead_states before and after, puts the demo rates back
	ctx := context.Background()
	ref := reference.Default()
	rs, _, err := ref.ImportRates(nil, []reference.RatesInput{{Name: "03.11.2026.xml", Body: []byte(nbkDay)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs, reference.DefaultRateLimits, "03.11.2026.xml"); err != nil {
		t.Fatal(err)
	}
	lead := func(id, title, capex, cur, stageDay string) analytics.LeadStateRow {
		r := investorLead(id, 1, title, capex, cur)
		r.StageDay, r.InvestorCountry = day(stageDay), "TM"
		return r
	}
	rows := &analytics.Rows{LeadStates: []analytics.LeadStateRow{
		lead(l5, "Rouble plant", "123456789.50", "RUB", "2026-11-05"), // 2 days after the rate
		lead(l6, "Som plant", "9876543210", "UZS", "2026-11-11"),      // 8 days: stale
		lead(l7, "Late som plant", "9876543210", "UZS", "2026-12-19"), // 46 days: too old
	}}
	if err := analytics.Write(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	open, err := analytics.OpenPipeline(ctx, conn, analytics.ByCountry, analytics.KPIFilter{Country: "TM"})
	if err != nil {
		t.Fatal(err)
	}
	// By hand (nbk_test.go): 786,419,749.12 + 415,802,469.14 KZT; 1,534,866.89 + 811,527.74 USD; weighted at 0.25.
	if len(open) != 1 || open[0].KZT.String() != "1202222218.26" || open[0].USD.String() != "2346394.63" || open[0].WeightedKZT.String() != "300555554.565" ||
		open[0].Leads != 3 || open[0].NoRate != 1 || open[0].Stale != 1 || open[0].MaxRateAge != 8 || open[0].TooOld != 1 {
		t.Errorf("open pipeline of TM: %+v", open)
	}
	recs, err := analytics.PipelineRecords(ctx, conn, analytics.PipelineFilter{Country: "TM"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("records: %+v", recs)
	}
	byTitle := map[string]analytics.PipelineRecord{}
	for _, r := range recs {
		byTitle[r.Title] = r
	}
	for title, w := range map[string]struct {
		kzt, weighted string
		age           int32
		stale, tooOld bool
	}{"Rouble plant": {"786419749.12", "196604937.28", 2, false, false}, "Som plant": {"415802469.14", "103950617.29", 8, true, false},
		"Late som plant": {"0", "0", 46, false, true}} {
		r := byTitle[title]
		if r.KZT.String() != w.kzt || r.WeightedKZT.String() != w.weighted || r.RateDay != "2026-11-03" || r.RateAge != w.age || r.Stale != w.stale ||
			r.TooOld != w.tooOld || r.NoRate != w.tooOld {
			t.Errorf("%s: %+v", title, r)
		}
	}
}
