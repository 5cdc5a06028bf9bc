package analytics_test

// The key figures of the scorecard on a small fixture, each expected value
// computed by hand in the comments: KZT 450 per USD throughout, EUR 562.5
// KZT (0.8 EUR per USD) until the end of 2023 and 500 KZT (0.9 per USD) from
// 2024, XOF without any rate.

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"

	"econdip/analytics"
	"econdip/services/platform/reference"
)

const kpiRates = `date,currency,quant,kzt
2020-01-01,USD,1,450
2020-01-01,EUR,1,562.5
2024-01-01,EUR,1,500
`

// kpiLimits keep the fixture's few rates in use for years (the limits of a
// rate's age have their own tests).
var kpiLimits = reference.RateLimits{StaleDays: 100000, MaxAgeDays: 100000}

// kpiLead is a lead and the days it entered each stage, in order.
type kpiLead struct {
	n        int
	sector   string
	clauses  []string
	country  string
	capex    string
	currency string
	jobs     uint32
	stages   []string // identified first
	days     []string
	decision string // expected decision date, for open leads
}

func (l kpiLead) id() uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-4000-8000-0000000000%02d", l.n))
}

var kpiLeads = []kpiLead{
	// L1 committed 2023 (1,000,000 USD), implementing 2024.
	{1, "mining", []string{"2.2"}, "DE", "1000000", "USD", 100, []string{"identified", "committed", "implementing"}, []string{"2022-03-01", "2023-05-10", "2024-02-01"}, ""},
	// L2 committed 2023: 500,000 EUR / 0.8 = 625,000.00 USD.
	{2, "mining", []string{"2.2", "2.4"}, "CN", "500000", "EUR", 50, []string{"identified", "committed"}, []string{"2023-01-15", "2023-09-01"}, ""},
	// L3 committed 2024, then lost: no longer counts as committed; counts in conversion.
	{3, "agro_industrial", []string{"2.2"}, "DE", "2000000", "USD", 300, []string{"identified", "committed", "lost"}, []string{"2023-06-01", "2024-03-01", "2024-06-01"}, ""},
	// L4 committed 2024 and implementing 2025: 300,000 EUR / 0.9 = 333,333.33 USD both times.
	{4, "agro_industrial", []string{"2.2"}, "CN", "300000", "EUR", 20, []string{"identified", "committed", "implementing", "operational"}, []string{"2024-02-01", "2024-04-01", "2025-01-10", "2025-12-01"}, ""},
	// L5 committed 2024 in XOF: a project and jobs, no USD (no rate).
	{5, "", []string{"2.3"}, "DE", "800000", "XOF", 10, []string{"identified", "committed"}, []string{"2024-05-01", "2024-07-01"}, ""},
	// L6 open, negotiating (0.50), decision expected in 2030: 400,000 USD, weighted 200,000.
	{6, "mining", []string{"2.2"}, "DE", "400000", "USD", 40, []string{"identified", "negotiating"}, []string{"2024-01-10", "2024-09-01"}, "2030-06-30"},
	// L7 open, contacted (0.10), decision in 2027: 100,000 USD, weighted 10,000.
	{7, "agro_industrial", []string{"2.2"}, "CN", "100000", "USD", 5, []string{"identified", "contacted"}, []string{"2025-03-01", "2025-04-01"}, "2027-01-01"},
}

var probability = map[string]string{"identified": "0.05", "contacted": "0.10", "negotiating": "0.50", "committed": "0.90",
	"implementing": "1", "operational": "1", "lost": "0"}

func (l kpiLead) rows() (analytics.LeadStateRow, []analytics.LeadStageRow) {
	last := len(l.stages) - 1
	at := day(l.days[last]).Add(8 * time.Hour)
	state := analytics.LeadStateRow{LeadID: l.id(), Version: uint32(len(l.stages)), Post: map[string]string{"DE": "de-berlin", "CN": "cn-beijing"}[l.country],
		Title: fmt.Sprintf("Lead L%d", l.n), Sector: l.sector, Clauses: l.clauses, InvestorCountry: l.country, Capex: money(l.capex), Currency: l.currency,
		ExpectedJobs: l.jobs, Stage: l.stages[last], Probability: money(probability[l.stages[last]]),
		CreatedAt: day(l.days[0]), UpdatedAt: at, StageChangedAt: at, StageDay: day(l.days[last]), EventID: uuid.New(), StreamSeq: uint64(l.n*10 + last)}
	if l.decision != "" {
		d := day(l.decision)
		state.ExpectedDecisionDate = &d
	}
	var history []analytics.LeadStageRow
	for i, st := range l.stages {
		h := analytics.LeadStageRow{LeadID: l.id(), Version: uint32(i + 1), To: st, EffectiveOn: day(l.days[i]), Actor: "attache",
			Time: day(l.days[i]), EventID: uuid.New(), StreamSeq: uint64(l.n*10 + i)}
		if i > 0 {
			h.From = l.stages[i-1]
		}
		history = append(history, h)
	}
	return state, history
}

// kpiFixture empties the tables the figures read, loads the fixture and
// the fixture's rates, and puts the demo rates back at the end.
func kpiFixture(t *testing.T) driver.Conn {
	t.Helper()
	conn := migrated(t)
	ctx := context.Background()
	tables := []string{"lead_states", "lead_stage_history", "deal_states", "barrier_states", "barrier_status_history", "targets"}
	clear := func() {
		for _, table := range tables {
			if err := conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
				t.Fatal(err)
			}
		}
	}
	clear()
	ref := reference.Default()
	rs, err := ref.ParseRates("kpi rates", strings.NewReader(kpiRates))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs, kpiLimits, "kpi rates"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		clear()
		demo, _ := ref.DemoRates()
		if _, _, err := analytics.LoadRates(ctx, conn, demo, reference.DefaultRateLimits, "demo"); err != nil {
			t.Error(err)
		}
	})
	rows := &analytics.Rows{}
	for _, l := range kpiLeads {
		state, history := l.rows()
		rows.LeadStates = append(rows.LeadStates, state)
		rows.LeadStages = append(rows.LeadStages, history...)
	}
	for _, d := range []dealSpec{
		// D1 CN aluminium, paid, contract 2025-03-10: 1,000,000 USD non-raw.
		{1, 1, "cn-beijing", "CN", "760110", "paid", "1000000", "USD", "", "2025-03-10", "2025-01-10"},
		// D2 DE crude oil, contracted 2025-06-01: 3,000,000 USD raw.
		{2, 1, "de-berlin", "DE", "270900", "contracted", "3000000", "USD", "", "2025-06-01", "2025-02-01"},
		// D3 DE refined oils, shipped, contract 2025-07-01: 450,000 EUR / 0.9 = 500,000.00 USD non-raw.
		{3, 1, "de-berlin", "DE", "271012", "shipped", "450000", "EUR", "", "2025-07-01", "2025-03-01"},
		// D4 negotiating: not committed, in no figure here.
		{4, 1, "cn-beijing", "UZ", "760110", "negotiating", "200000", "USD", "", "", "2025-01-01"},
		// D5 KR aluminium alloys, contracted 2026-02-01: 100,000 USD non-raw.
		{5, 1, "cn-beijing", "KR", "760120", "contracted", "100000", "USD", "", "2026-02-01", "2026-01-05"},
	} {
		r := d.row()
		if d.n == 3 {
			r.Clauses = []string{"2.7", "2.6"}
		}
		rows.DealStates = append(rows.DealStates, r)
	}
	for _, b := range []barrierSpec{
		// B1 resolved 2025-05-01, 1,000,000 EUR reported 2024-11-01: / 0.9 = 1,111,111.11 USD.
		{1, 2, "CN", "tariff", "resolved", "1000000", "EUR", "", "2024-11-01", "2025-05-01"},
		// B2 resolved 2025-08-01, no value.
		{2, 2, "DE", "sps", "resolved", "", "", "", "2025-02-01", "2025-08-01"},
		// B3 open: not resolved.
		{3, 1, "UZ", "procedural", "verified", "500000", "USD", "", "2025-01-01", ""},
		// B4 resolved 2025-09-09 in XOF: resolved, value without a rate.
		{4, 2, "UZ", "tariff", "resolved", "9000000", "XOF", "", "2025-03-03", "2025-09-09"},
	} {
		rows.BarrierStates = append(rows.BarrierStates, b.row())
	}
	if err := analytics.Write(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := analytics.LoadHSClassification(ctx, conn, reference.Default()); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestInvestmentCommittedAndRealised(t *testing.T) {
	conn := kpiFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		metric string
		by     analytics.By
		f      analytics.KPIFilter
		want   []analytics.InvestmentYear
	}{
		{analytics.Committed, analytics.BySector, analytics.KPIFilter{}, []analytics.InvestmentYear{
			{Key: "agro_industrial", Year: 2024, Projects: 1, Jobs: 20, USD: money("333333.33")}, // L4 (L3 lost)
			{Key: "mining", Year: 2023, Projects: 2, Jobs: 150, USD: money("1625000")},           // L1 + L2
			{Key: "unassigned", Year: 2024, Projects: 1, Jobs: 10, USD: money("0"), NoRate: 1},   // L5, RUB
		}},
		{analytics.Realised, analytics.BySector, analytics.KPIFilter{}, []analytics.InvestmentYear{
			{Key: "agro_industrial", Year: 2025, Projects: 1, Jobs: 20, USD: money("333333.33")}, // L4 implementing 2025
			{Key: "mining", Year: 2024, Projects: 1, Jobs: 100, USD: money("1000000")},           // L1 implementing 2024
		}},
		{analytics.Committed, analytics.ByClause, analytics.KPIFilter{}, []analytics.InvestmentYear{
			{Key: "2.2", Year: 2023, Projects: 2, Jobs: 150, USD: money("1625000")},
			{Key: "2.2", Year: 2024, Projects: 1, Jobs: 20, USD: money("333333.33")},
			{Key: "2.3", Year: 2024, Projects: 1, Jobs: 10, USD: money("0"), NoRate: 1},
			{Key: "2.4", Year: 2023, Projects: 1, Jobs: 50, USD: money("625000")},
		}},
		{analytics.Committed, analytics.ByCountry, analytics.KPIFilter{Years: []int{2023}}, []analytics.InvestmentYear{
			{Key: "CN", Year: 2023, Projects: 1, Jobs: 50, USD: money("625000")},
			{Key: "DE", Year: 2023, Projects: 1, Jobs: 100, USD: money("1000000")},
		}},
		{analytics.Committed, analytics.ByTotal, analytics.KPIFilter{Country: "CN"}, []analytics.InvestmentYear{
			{Key: "all", Year: 2023, Projects: 1, Jobs: 50, USD: money("625000")},
			{Key: "all", Year: 2024, Projects: 1, Jobs: 20, USD: money("333333.33")},
		}},
	} {
		got, err := analytics.InvestmentByYear(ctx, conn, c.metric, c.by, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if !sameInvestment(got, c.want) {
			t.Errorf("%s by %s %+v:\n got %+v\nwant %+v", c.metric, c.by, c.f, got, c.want)
		}
	}
	// The drill-down lists the leads behind a figure, and they add up to it.
	recs, err := analytics.InvestmentRecords(ctx, conn, analytics.Committed, analytics.BySector, "mining", analytics.KPIFilter{Years: []int{2023}})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Title != "Lead L1" || recs[0].EnteredOn != "2023-05-10" || recs[1].Title != "Lead L2" ||
		recs[1].USD.String() != "625000" || recs[1].RateDay != "2020-01-01" || !recs[0].USD.Add(recs[1].USD).Equal(money("1625000")) {
		t.Errorf("mining 2023 records: %+v", recs)
	}
}

func sameInvestment(a, b []analytics.InvestmentYear) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Key != y.Key || x.Year != y.Year || x.Projects != y.Projects || x.Jobs != y.Jobs || !x.USD.Equal(y.USD) || x.NoRate != y.NoRate {
			return false
		}
	}
	return true
}

func TestPipelineAndConversion(t *testing.T) {
	conn := kpiFixture(t)
	ctx := context.Background()
	open, err := analytics.OpenPipeline(ctx, conn, analytics.ByTotal, analytics.KPIFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// L6 400,000 × 0.50 and L7 100,000 × 0.10.
	if len(open) != 1 || open[0].Leads != 2 || !open[0].USD.Equal(money("500000")) || !open[0].WeightedUSD.Equal(money("210000")) ||
		!open[0].ByDecisionYear[2030].Equal(money("200000")) || !open[0].ByDecisionYear[2027].Equal(money("10000")) {
		t.Errorf("open pipeline: %+v", open)
	}
	conv, err := analytics.Conversion(ctx, conn, analytics.ByTotal, analytics.KPIFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// Identified 2022: L1 (committed). 2023: L2, L3 (both committed since). 2024: L4, L5, L6 (two). 2025: L7.
	// Days to commit, by the year committed: 2023: L1 435, L2 229 → median 332. 2024: L3 274, L4 60, L5 61 → 61.
	want := []struct {
		year                  uint16
		identified, committed uint64
		rate, median          string
	}{{2022, 1, 1, "1", ""}, {2023, 2, 2, "1", "332"}, {2024, 3, 2, "0.6667", "61"}, {2025, 1, 0, "0", ""}}
	if len(conv) != len(want) {
		t.Fatalf("conversion: %+v", conv)
	}
	for i, w := range want {
		g := conv[i]
		med := ""
		if g.MedianDaysToCommit != nil {
			med = g.MedianDaysToCommit.String()
		}
		if g.Year != w.year || g.Identified != w.identified || g.Committed != w.committed || g.Rate == nil || g.Rate.String() != w.rate || med != w.median {
			t.Errorf("conversion %d: %+v (rate %v, median %q), want %+v", w.year, g, g.Rate, med, w)
		}
	}
	// A year filter keeps the leads identified in it and, for the days to
	// commit, those committed in it (L1 was identified in 2022).
	conv, err = analytics.Conversion(ctx, conn, analytics.ByTotal, analytics.KPIFilter{Years: []int{2023}})
	if err != nil {
		t.Fatal(err)
	}
	if len(conv) != 1 || conv[0].Year != 2023 || conv[0].Identified != 2 || conv[0].Committed != 2 ||
		conv[0].MedianDaysToCommit == nil || conv[0].MedianDaysToCommit.String() != "332" {
		t.Errorf("conversion in 2023 only: %+v; want 2 identified, 2 committed, median 332 days", conv)
	}
}

func TestExportsAndBarrierKPIs(t *testing.T) {
	conn := kpiFixture(t)
	ctx := context.Background()
	got, err := analytics.ExportsByYear(ctx, conn, analytics.ByClause, analytics.KPIFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's rates are years old but inside its limits: no amount is
	// stale (the limits have their own test, nbk_test.go); KZT at 450 per USD.
	strip := func(rows []analytics.ExportYear) []analytics.ExportYear {
		for i := range rows {
			if rows[i].Stale != 0 || rows[i].TooOld != 0 {
				t.Errorf("stale rates under the fixture's limits: %+v", rows[i])
			}
			rows[i].MaxRateAge = 0
		}
		return rows
	}
	got = strip(got)
	want := []analytics.ExportYear{
		{Key: "2.6", Year: 2025, Deals: 1, USD: money("500000"), NonRawUSD: money("500000"), NonRawKZT: money("225000000"), KZT: money("225000000"), Markets: 1},    // D3
		{Key: "2.7", Year: 2025, Deals: 3, USD: money("4500000"), NonRawUSD: money("1500000"), NonRawKZT: money("675000000"), KZT: money("2025000000"), Markets: 2}, // D1-D3: CN, DE
		{Key: "2.7", Year: 2026, Deals: 1, USD: money("100000"), NonRawUSD: money("100000"), NonRawKZT: money("45000000"), KZT: money("45000000"), Markets: 1},      // D5
	}
	if !reflect.DeepEqual(fmt.Sprint(got), fmt.Sprint(want)) {
		t.Errorf("exports by clause:\n got %+v\nwant %+v", got, want)
	}
	bySector, err := analytics.ExportsByYear(ctx, conn, analytics.BySector, analytics.KPIFilter{Years: []int{2025}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(strip(bySector)) != fmt.Sprint([]analytics.ExportYear{
		{Key: "mining", Year: 2025, Deals: 1, USD: money("3000000"), NonRawUSD: money("0"), NonRawKZT: money("0"), KZT: money("1350000000"), Markets: 1},
		{Key: "non_ferrous_metallurgy", Year: 2025, Deals: 1, USD: money("1000000"), NonRawUSD: money("1000000"), NonRawKZT: money("450000000"), KZT: money("450000000"), Markets: 1},
		{Key: "petrochemistry_refining", Year: 2025, Deals: 1, USD: money("500000"), NonRawUSD: money("500000"), NonRawKZT: money("225000000"), KZT: money("225000000"), Markets: 1},
	}) {
		t.Errorf("exports by sector 2025: %+v", bySector)
	}
	recs, err := analytics.ExportRecords(ctx, conn, analytics.ByClause, "2.7", analytics.KPIFilter{Years: []int{2025}})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].HSCode != "271012" || recs[2].USD.String() != "500000" || recs[2].RateDay != "2020-01-01" || recs[1].Raw != true {
		t.Errorf("export records: %+v", recs)
	}
	barriers, err := analytics.BarrierValueResolved(ctx, conn, analytics.ByTotal, analytics.KPIFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// B1, B2, B4 resolved in 2025; only B1's value converts (500,000,000 KZT at 450 per USD; its rate day is old but the fixture's limits are wide).
	for i := range barriers {
		barriers[i].MaxRateAge = 0
	}
	if fmt.Sprint(barriers) != fmt.Sprint([]analytics.BarrierValueYear{{Key: "all", Year: 2025, Resolved: 3, USD: money("1111111.11"), KZT: money("500000000"), NoRate: 1}}) {
		t.Errorf("barrier value resolved: %+v", barriers)
	}
}

func TestForecast(t *testing.T) {
	ys := func(start int, values ...string) []analytics.YearValue {
		var out []analytics.YearValue
		for i, v := range values {
			out = append(out, analytics.YearValue{Year: start + i, Value: money(v)})
		}
		return out
	}
	for _, c := range []struct {
		name     string
		complete []analytics.YearValue
		added    string
		unit     string
		want     string
	}{
		{"no year", nil, "0", "USD", "0"},
		{"one year: flat", ys(2025, "120.5"), "0", "USD", "120.5"},
		// 100, 200, 300 in 2023-2025: slope 100 a year, 300 + 5 × 100 = 800 in 2030.
		{"a straight line", ys(2023, "100", "200", "300"), "0", "USD", "800"},
		// Only the last five years: 2021-2025 are 10, 10, 10, 10, 10 whatever 2020 was.
		{"last five years", ys(2020, "1000", "10", "10", "10", "10", "10"), "0", "USD", "10"},
		// Falling: 300, 200, 100 → −400 in 2030, never below 0; plus the pipeline.
		{"never below zero", ys(2023, "300", "200", "100"), "250.75", "USD", "250.75"},
		// 1, 2, 2 in 2023-2025: mean 5/3, slope 0.5 → 5/3 + 0.5 × 6 = 4.67 → 5 projects.
		{"counts are whole", ys(2023, "1", "2", "2"), "0", "count", "5"},
	} {
		if got := analytics.Forecast(c.complete, money(c.added), c.unit); got.String() != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestScorecardRowsStatusAndForecast(t *testing.T) {
	conn := kpiFixture(t)
	ctx := context.Background()
	targets := []reference.Target{
		// Past year: 1,625,000 of 2,000,000 = 81.3 % → amber (≥ 80 %).
		{Edition: "2024", Scope: "sector", Code: "mining", Metric: reference.MetricInvestmentCommitted, Year: 2023, Value: money("2000000"), Unit: "USD", Source: "DEMO: test"},
		{Edition: "2024", Scope: "sector", Code: "mining", Metric: reference.MetricInvestmentCommitted, Year: 2030, Value: money("3000000"), Unit: "USD", Source: "DEMO: test"},
		{Edition: "2024", Scope: "clause", Code: "2.7", Metric: reference.MetricNonRawExports, Year: 2025, Value: money("1000000"), Unit: "USD", Source: "test"},
		{Edition: "2024", Scope: "clause", Code: "2.7", Metric: reference.MetricExportMarkets, Year: 2026, Value: money("3"), Unit: "count", Source: "test"},
		{Edition: "2024", Scope: "clause", Code: "2.7", Metric: reference.MetricExportMarkets, Year: 2030, Value: money("3"), Unit: "count", Source: "test"},
	}
	for i := range targets {
		targets[i].Line = i + 2
	}
	if _, err := analytics.LoadTargets(ctx, conn, targets); err != nil {
		t.Fatal(err)
	}
	today := day("2026-11-27") // day 331 of 365
	find := func(rows []analytics.ScorecardRow, scope, code, metric string) analytics.ScorecardRow {
		t.Helper()
		for _, r := range rows {
			if r.Scope == scope && r.Code == code && r.Metric == metric {
				return r
			}
		}
		t.Fatalf("no scorecard row %s %s %s in %+v", scope, code, metric, rows)
		return analytics.ScorecardRow{}
	}
	rows, err := analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: 2023, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	m := find(rows, "sector", "mining", "investment_committed_usd")
	// Forecast: complete years 2021-2025 are 0, 0, 1,625,000, 0, 0: a flat line at their mean, 325,000;
	// plus L6's weighted 200,000 expected in 2030 = 525,000 of 3,000,000 → off track.
	if !m.Actual.Equal(money("1625000")) || m.Target == nil || m.Percent.String() != "81.3" || m.Status != "amber" ||
		!m.Forecast.Equal(money("525000")) || m.Status2030 != "off_track" || !m.TargetDemo || m.Records != 2 {
		t.Errorf("mining committed 2023: %+v (percent %v)", m, m.Percent)
	}
	if len(m.Trend) != 4 || !m.Trend[3].Value.Equal(money("1625000")) || !m.Trend[0].Value.IsZero() {
		t.Errorf("trend 2020-2023: %+v", m.Trend)
	}
	// A key with actuals and no target shows, without a status.
	if j := find(rows, "sector", "mining", "jobs"); !j.Actual.Equal(money("150")) || j.Target != nil || j.Status != "none" {
		t.Errorf("mining jobs 2023: %+v", j)
	}

	rows, err = analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: 2025, Today: today, Scope: "clause", Code: "2.7"})
	if err != nil {
		t.Fatal(err)
	}
	// Non-raw exports 2025 under 2.7: D1 + D3 = 1,500,000 of 1,000,000 → 150 %, green.
	if n := find(rows, "clause", "2.7", "non_raw_exports_usd"); !n.Actual.Equal(money("1500000")) || n.Status != "green" || n.Percent.String() != "150" {
		t.Errorf("2.7 non-raw 2025: %+v", n)
	}
	rows, err = analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: 2026, Today: today, Scope: "clause", Code: "2.7"})
	if err != nil {
		t.Fatal(err)
	}
	// The year in progress: 3 markets × 331/365 = 2.72 expected; 1 market (D5) < 80 % of that → red.
	// Forecast of markets: 2021-2025 are 0, 0, 0, 0, 2 → mean 0.4, slope 0.4 → 0.4 + 0.4 × 7 = 3.2 → 3 = the target: on track.
	mk := find(rows, "clause", "2.7", "export_markets")
	if !mk.Actual.Equal(money("1")) || mk.Expected == nil || mk.Expected.String() != "2.72" || mk.Status != "red" ||
		!mk.Forecast.Equal(money("3")) || mk.Status2030 != "on_track" {
		t.Errorf("2.7 markets 2026: %+v (expected %v)", mk, mk.Expected)
	}
	for _, r := range rows {
		if r.Scope != "clause" || r.Code != "2.7" {
			t.Errorf("filtered to clause 2.7, got %s %s", r.Scope, r.Code)
		}
	}
}
