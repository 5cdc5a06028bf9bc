package analytics_test

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"

	"econdip/analytics"
	"econdip/services/platform/reference"
)

// kztPagesFixture is kpiFixture at the rates of the test's NBK day (3
// November 2026) with, for each of the pipeline, the exports and the
// barriers, one record 0-2 days after the rate, one 8-9 days after (stale)
// and one 46-47 days after (too old: without rate).
func kztPagesFixture(t *testing.T) (context.Context, driver.Conn) {
	t.Helper()
	conn := kpiFixture(t) // puts the demo rates back at the end
	ctx := context.Background()
	rs, _, err := reference.Default().ImportRates(nil, []reference.RatesInput{{Name: "03.11.2026.xml", Body: []byte(nbkDay)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs, reference.DefaultRateLimits, "03.11.2026.xml"); err != nil {
		t.Fatal(err)
	}
	rows := &analytics.Rows{}
	// Leads in Uzbekistan, 123,456,789.50 RUB each, negotiating (0.50):
	// 1,534,866.89 USD, 786,419,749.12 KZT at the rates of 3 November.
	for i, stageDay := range []string{"2026-11-03", "2026-11-11", "2026-12-19"} {
		l := kpiLead{n: 80 + i, sector: "mining", clauses: []string{"2.2"}, country: "UZ", capex: "123456789.50", currency: "RUB", jobs: 1,
			stages: []string{"identified", "negotiating"}, days: []string{"2026-10-01", stageDay}}
		state, history := l.rows()
		state.Post = "uz-tashkent"
		rows.LeadStates = append(rows.LeadStates, state)
		rows.LeadStages = append(rows.LeadStages, history...)
	}
	// Deals to Uzbekistan, 9,876,543,210 UZS of aluminium (non-raw) each: 811,527.74 USD, 415,802,469.14 KZT.
	for _, d := range []dealSpec{
		{6, 1, "uz-tashkent", "UZ", "760110", "contracted", "9876543210", "UZS", "", "2026-11-05", "2026-11-01"}, // 2 days after the rate
		{7, 1, "uz-tashkent", "UZ", "760110", "contracted", "9876543210", "UZS", "", "2026-11-11", "2026-11-01"}, // 8 days: stale
		{8, 1, "uz-tashkent", "UZ", "760110", "contracted", "9876543210", "UZS", "", "2026-12-19", "2026-11-01"}, // 46 days: too old
	} {
		rows.DealStates = append(rows.DealStates, d.row())
	}
	// Open barriers raised by Türkiye, 1,000,000 TRY each: 11,620,000.00 KZT, / 512.37 = 22,678.92 USD.
	for i, reported := range []string{"2026-11-03", "2026-11-12", "2026-12-20"} {
		b := barrierSpec{5 + i, 1, "TR", "tariff", "reported", "1000000", "TRY", "", reported, ""}.row()
		b.Post, b.EventID = "tr-ankara", uuid.New()
		rows.BarrierStates = append(rows.BarrierStates, b)
	}
	if err := analytics.Write(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	return ctx, conn
}

// Issue 16: the pipeline, the export and the barrier figures in KZT equal
// the hand-converted sums, and say how many records used a stale rate and
// how many have none because theirs is past the hard limit.
func TestKZTPipelineExportsAndBarriersFlagStaleRates(t *testing.T) {
	ctx, conn := kztPagesFixture(t)

	pipe, err := analytics.Pipeline(ctx, conn, analytics.PipelineFilter{Country: "UZ"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pipe) != 1 {
		t.Fatalf("pipeline of UZ: %+v", pipe)
	}
	p := pipe[0]
	// Two leads with a rate: 2 × 786,419,749.12 KZT; weighted × 0.50.
	if p.Leads != 3 || p.CapexKZT.String() != "1572839498.24" || p.WeightedKZT.String() != "786419749.12" ||
		p.CapexUSD.String() != "3069733.78" || p.WeightedUSD.String() != "1534866.89" ||
		p.NoRate != 1 || p.Stale != 1 || p.MaxRateAge != 8 || p.TooOld != 1 {
		t.Errorf("pipeline of UZ: %+v", p)
	}

	f := analytics.ExportFilter{Years: []int{2026}, BuyerCountry: "UZ"}
	stages, err := analytics.ExportsByStage(ctx, conn, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 1 {
		t.Fatalf("exports by stage: %+v", stages)
	}
	s := stages[0].ExportTotals
	if s.Deals != 3 || s.ValueKZT.String() != "831604938.28" || s.NonRawKZT.String() != "831604938.28" || s.ValueUSD.String() != "1623055.48" ||
		s.DealsWithoutRate != 1 || s.Stale != 1 || s.MaxRateAge != 8 || s.TooOld != 1 {
		t.Errorf("exports by stage: %+v", s)
	}
	years, err := analytics.NonRawShare(ctx, conn, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(years) != 1 || years[0].NonRawKZT.String() != "831604938.28" || years[0].Stale != 1 || years[0].TooOld != 1 {
		t.Errorf("non-raw share: %+v", years)
	}
	conc, err := analytics.Concentration(ctx, conn, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(conc) != 1 || conc[0].ValueKZT.String() != "831604938.28" {
		t.Errorf("concentration: %+v", conc)
	}

	b, err := analytics.Barriers(ctx, conn, analytics.BarrierFilter{Country: "TR"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Open != 3 || b.OpenValueAtStakeKZT.String() != "23240000" || b.OpenValueAtStakeUSD.String() != "45357.84" ||
		b.OpenWithoutRate != 1 || b.Stale != 1 || b.MaxRateAge != 9 || b.TooOld != 1 {
		t.Errorf("barriers of TR: %+v", b)
	}
}
