package analytics_test

// Latency of the dashboards' queries on a large data set, against a
// baseline measured in the same run (a plain scan of the largest table).
//
//	ECONDIP_BENCH_EVENTS=10000000 go test -run '^$' -bench DashboardQueries -benchtime 20x -timeout 60m ./analytics/
//
// The data set is what ingest would have written for that many events: a
// state row per event (ReplacingMergeTree keeps every version until it
// merges; the queries read FINAL) and a history row per stage or status
// change. Mix: 40 % lead events (4 per lead), 40 % deal events (4 per
// deal), 10 % barrier events, 10 % decision events. The events table
// itself (the raw log) is not filled: no dashboard reads it.

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"

	"strings"
)

func benchEvents() int {
	n, err := strconv.Atoi(os.Getenv("ECONDIP_BENCH_EVENTS"))
	if err != nil || n <= 0 {
		return 1_000_000
	}
	return n
}

var (
	leadStages  = []string{"identified", "contacted", "qualified", "negotiating", "committed", "implementing", "operational", "on_hold", "lost"}
	dealStages  = []string{"opportunity", "negotiating", "contracted", "shipped", "paid", "lost"}
	benchHS     = []string{"760110", "740311", "271012", "270900", "100199", "110100", "151211", "390210", "310540", "284410", "720241", "300490", "870899", "520100", "020130"}
	benchPosts  = []string{"de-berlin", "cn-beijing", "us-washington", "tr-ankara", "kr-seoul", "jp-tokyo", "gb-london", "it-rome", "fr-paris", "uz-tashkent"}
	benchBuyers = []string{"DE", "CN", "US", "TR", "KR", "JP", "GB", "IT", "FR", "UZ"}
	currencies  = []string{"USD", "USD", "USD", "EUR", "CNY", "KRW", "JPY", "GBP", "RUB"}
	sectors     = []string{"machine_building", "agro_industrial", "light_industry", "mining", "non_ferrous_metallurgy", "petrochemistry_refining", ""}
	clauseSets  = [][]string{{"2.2"}, {"2.2", "2.4"}, {"2.7"}, {"2.2", "2.3"}, {"2.7", "2.6"}}
)

// fillBench writes a data set of about n events, in batches, with progress.
func fillBench(b testing.TB, conn driver.Conn, n int) {
	newBenchFiller().fill(b, conn, n)
}

// benchFiller generates the data set in steps: filling to 1 million events
// and then to 3 million gives the first million of the 3-million set.
type benchFiller struct {
	r      *rand.Rand
	events int // events written so far
}

func newBenchFiller() *benchFiller { return &benchFiller{r: rand.New(rand.NewPCG(1, 2))} }

// fill writes events until about n have been written.
func (f *benchFiller) fill(b testing.TB, conn driver.Conn, n int) {
	ctx := context.Background()
	r := f.r
	day := func(from time.Time, maxDays int) time.Time { return from.AddDate(0, 0, r.IntN(maxDays)) }
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 200_000
	rows := &analytics.Rows{}
	// the ledgers' rows, as ingest writes them
	var dealChanges []analytics.Change[analytics.ExportKeys]
	var kpiChanges []analytics.Change[analytics.LeadKPIKeys]
	var barrierChanges []analytics.Change[analytics.BarrierKeys]
	written, began := 0, time.Now()
	flush := func() {
		if err := analytics.Write(ctx, conn, rows); err != nil {
			b.Fatal(err)
		}
		if err := analytics.DealExports.Write(ctx, conn, dealChanges); err != nil {
			b.Fatal(err)
		}
		if err := analytics.LeadKPI.Write(ctx, conn, kpiChanges); err != nil {
			b.Fatal(err)
		}
		if err := analytics.BarrierFigures.Write(ctx, conn, barrierChanges); err != nil {
			b.Fatal(err)
		}
		dealChanges, kpiChanges, barrierChanges = dealChanges[:0], kpiChanges[:0], barrierChanges[:0]
		written += rows.Len()
		fmt.Fprintf(os.Stderr, "\rbench data: %d events, %d rows written in this step (%.0f rows/s)", f.events, written, float64(written)/time.Since(began).Seconds())
		rows = &analytics.Rows{}
	}
	defer func() { fmt.Fprintln(os.Stderr) }()
	for f.events < n {
		events := f.events
		switch k := r.IntN(10); {
		case k < 4: // a lead and its stage changes
			id := uuid.New()
			on := day(start, 2400)
			sector := sectors[r.IntN(len(sectors))]
			clauses := clauseSets[r.IntN(len(clauseSets))]
			capex := decimal.New(int64(2+r.IntN(400)), 6)
			cur := currencies[r.IntN(len(currencies))]
			post := benchPosts[r.IntN(len(benchPosts))]
			var prevKPI analytics.LeadKPIKeys
			for v := 1; v <= 4; v++ {
				stage := leadStages[min(v-1+r.IntN(2), len(leadStages)-1)]
				if v == 1 {
					stage = "identified"
				}
				state := analytics.LeadStateRow{LeadID: id, Version: uint32(v), Post: post,
					InvestorCountry: benchBuyers[r.IntN(len(benchBuyers))], Title: "Bench project", Sector: sector, Clauses: clauses,
					Capex: capex, Currency: cur, ExpectedJobs: uint32(r.IntN(500)), Stage: stage, Probability: decimal.RequireFromString("0.25"),
					CreatedAt: on, UpdatedAt: on, StageChangedAt: on, StageDay: on, EventID: uuid.New(), StreamSeq: uint64(events + v)}
				rows.LeadStates = append(rows.LeadStates, state)
				kpi := analytics.LeadKPIKeysOf(state, true) // every version enters a stage (its lead_stage_history row below)
				if v > 1 {
					kpi = analytics.LeadKPI.Derive(prevKPI, kpi)
				}
				kpiChanges = append(kpiChanges, analytics.Changes(state.StreamSeq, state.EventID, id, v == 1, prevKPI, kpi)...)
				prevKPI = kpi
				rows.LeadStages = append(rows.LeadStages, analytics.LeadStageRow{LeadID: id, Version: uint32(v), To: stage, EffectiveOn: on,
					Time: on, EventID: uuid.New(), StreamSeq: uint64(events + v)})
				on = on.AddDate(0, 0, 30+r.IntN(120))
			}
			f.events += 4
		case k < 8: // a deal and its moves
			id := uuid.NewString()
			hs := benchHS[r.IntN(len(benchHS))]
			on := day(start, 2400)
			post := r.IntN(len(benchPosts))
			var prev analytics.ExportKeys
			for v := 1; v <= 4; v++ {
				stage := dealStages[min(v-1+r.IntN(2), len(dealStages)-1)]
				row := analytics.DealStateRow{DealID: id, Version: uint32(v), Post: benchPosts[post], ExporterBIN: "990340004592",
					ExporterName: "Bench JSC", BuyerCountry: benchBuyers[post], HSCode: hs, HSChapter: hs[:2], HSHeading: hs[:4],
					Value: decimal.New(int64(1+r.IntN(5000)), 3), Currency: currencies[r.IntN(len(currencies))], Stage: stage,
					Clauses: clauseSets[r.IntN(len(clauseSets))], DealDate: on, CreatedAt: on, UpdatedAt: on, StageChangedAt: on,
					EventID: uuid.New(), StreamSeq: uint64(events + v)}
				if stage == "contracted" || stage == "shipped" || stage == "paid" {
					c := on
					row.ContractDate = &c
				}
				rows.DealStates = append(rows.DealStates, row)
				keys := analytics.ExportKeysOf(row)
				dealChanges = append(dealChanges, analytics.Changes(row.StreamSeq, row.EventID, id, v == 1, prev, keys)...)
				prev = keys
			}
			f.events += 4
		case k < 9: // a barrier
			id := uuid.NewString()
			on := day(start, 2400)
			status := []string{"reported", "verified", "in_negotiation", "resolved", "dormant"}[r.IntN(5)]
			row := analytics.BarrierStateRow{BarrierID: id, Version: 1, Post: benchPosts[r.IntN(len(benchPosts))],
				Country: benchBuyers[r.IntN(len(benchBuyers))], HSCodes: []string{"1001"}, Type: "sps", Title: "Bench barrier",
				HasValue: true, ValueAtStake: decimal.New(int64(1+r.IntN(100)), 5), Currency: "USD", Status: status, LeadAgency: "mti",
				Clauses: []string{"2.6"}, ReportedOn: on, ProgressOn: []time.Time{}, CreatedAt: on, UpdatedAt: on, EventID: uuid.New(), StreamSeq: uint64(events)}
			if status == "resolved" {
				res := on.AddDate(0, 0, 30+r.IntN(500))
				row.ResolvedOn = &res
			}
			rows.BarrierStates = append(rows.BarrierStates, row)
			barrierChanges = append(barrierChanges, analytics.Changes(row.StreamSeq, row.EventID, id, true, analytics.BarrierKeys{}, analytics.BarrierKeysOf(row))...)
			f.events++
		default: // a decision
			on := day(start, 2400)
			c := "igc-" + []string{"cn", "de", "tr", "uz", "kr"}[r.IntN(5)]
			rows.DecisionStates = append(rows.DecisionStates, analytics.DecisionStateRow{CommissionID: c, DecisionID: uuid.NewString(),
				Version: 1, PartnerCountry: "CN", SessionID: c + "-s1", SessionNumber: 1, SessionDate: on, Item: "1", Text: "Bench decision",
				Agencies: []string{"mti"}, Deadline: on.AddDate(0, 0, 90+r.IntN(400)), Clauses: []string{"2.2"},
				Status: []string{"open", "in_progress", "done", "cancelled"}[r.IntN(4)], StatusDate: on, CreatedAt: on, UpdatedAt: on,
				EventID: uuid.New(), StreamSeq: uint64(events)})
			f.events++
		}
		if rows.Len() >= batch {
			flush()
		}
	}
	flush()
}

// BenchmarkDashboardQueries times each query behind a dashboard endpoint
// on the data set; "x baseline" is its time over the baseline's, a plain
// sum over lead_states measured in the same run.
func BenchmarkDashboardQueries(b *testing.B) {
	conn := chtest.Conn(b)
	ctx := context.Background()
	prepareBenchDatabase(b, conn)
	n := benchEvents()
	var have uint64
	_ = conn.QueryRow(ctx, "SELECT count() FROM lead_states").Scan(&have)
	if have < uint64(n)*4/10*9/10 { // else the data set is there already (b.Run runs this function again)
		truncateBenchTables(b, conn)
		fillBench(b, conn, n)
	}
	queries := dashboardQueries(ctx, conn, time.Now())
	var baseline time.Duration
	for i, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			var total time.Duration
			var times []time.Duration
			for range b.N {
				t0 := time.Now()
				if err := q.run(); err != nil {
					b.Fatal(err)
				}
				d := time.Since(t0)
				total += d
				times = append(times, d)
			}
			mean := total / time.Duration(b.N)
			if i == 0 {
				baseline = mean
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[(len(times)*95+99)/100-1].Milliseconds()), "p95-ms")
			if baseline > 0 {
				b.ReportMetric(float64(mean)/float64(baseline), "x-baseline")
			}
		})
	}
}

// benchQuery is one query behind a dashboard endpoint; the first of
// dashboardQueries is the baseline.
type benchQuery struct {
	name string
	run  func() error
}

func dashboardQueries(ctx context.Context, conn driver.Conn, now time.Time) []benchQuery {
	return []benchQuery{
		{"baseline-sum-lead_states", func() error {
			var s decimal.Decimal
			return conn.QueryRow(ctx, "SELECT sum(capex) FROM lead_states").Scan(&s)
		}},
		{"pipeline", func() error {
			if current, err := analytics.LeadKPI.Current(ctx, conn); err != nil || !current {
				return fmt.Errorf("the pipeline aggregates are not current (%v): the benchmark would time the states", err)
			}
			_, err := analytics.Pipeline(ctx, conn, analytics.PipelineFilter{})
			return err
		}},
		{"pipeline-from-states", func() error { // the figure before issue 19, and its definition
			_, err := analytics.PipelineFromStates(ctx, conn, analytics.PipelineFilter{})
			return err
		}},
		{"scorecard", func() error {
			_, err := analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: now.Year(), Today: now})
			return err
		}},
		{"investment-committed-by-sector", func() error {
			_, err := analytics.InvestmentByYear(ctx, conn, analytics.Committed, analytics.BySector, analytics.KPIFilter{})
			return err
		}},
		{"conversion", func() error {
			_, err := analytics.Conversion(ctx, conn, analytics.ByTotal, analytics.KPIFilter{})
			return err
		}},
		{"exports-by-sector", func() error {
			if current, err := analytics.DealExports.Current(ctx, conn); err != nil || !current {
				return fmt.Errorf("the export aggregates are not current (%v): the benchmark would time the states", err)
			}
			_, err := analytics.ExportsBySector(ctx, conn, analytics.ExportFilter{})
			return err
		}},
		{"exports-by-sector-from-states", func() error {
			_, err := analytics.ExportsBySector(analytics.ReadStates(ctx), conn, analytics.ExportFilter{})
			return err
		}},
		{"non-raw-share", func() error { _, err := analytics.NonRawShare(ctx, conn, analytics.ExportFilter{}); return err }},
		{"concentration", func() error { _, err := analytics.Concentration(ctx, conn, analytics.ExportFilter{}); return err }},
		{"barriers-by-type", func() error { _, err := analytics.BarriersByType(ctx, conn, analytics.BarrierFilter{}); return err }},
		{"barriers-by-type-from-states", func() error {
			_, err := analytics.BarriersByType(analytics.ReadStates(ctx), conn, analytics.BarrierFilter{})
			return err
		}},
		{"commission-execution", func() error {
			_, err := analytics.ExecutionByCommission(ctx, conn, now, analytics.CommissionFilter{})
			return err
		}},
	}
}

// prepareBenchDatabase migrates the test database and loads the demo rates
// and the HS classification, as `econdip up` does.
func prepareBenchDatabase(b testing.TB, conn driver.Conn) {
	ctx := context.Background()
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		b.Fatal(err)
	}
	rs, _ := reference.Default().DemoRates()
	if _, _, err := analytics.LoadRates(ctx, conn, rs, reference.DefaultRateLimits, "demo"); err != nil {
		b.Fatal(err)
	}
	if _, err := analytics.LoadHSClassification(ctx, conn, reference.Default()); err != nil {
		b.Fatal(err)
	}
	for _, prepare := range []func(context.Context, driver.Conn, *slog.Logger) (bool, error){analytics.LeadKPI.Prepare, analytics.DealExports.Prepare, analytics.BarrierFigures.Prepare} {
		if _, err := prepare(ctx, conn, obs.Discard()); err != nil {
			b.Fatal(err)
		}
	}
}

func truncateBenchTables(b testing.TB, conn driver.Conn) {
	for _, t := range []string{"lead_states", "lead_stage_history", "deal_states", "barrier_states", "decision_states", "lead_pipeline", "deal_exports_changes", "deal_exports",
		"barrier_changes", "barrier_tally", "lead_kpi_changes", "lead_investment", "lead_open", "lead_conversion"} {
		if err := conn.Exec(context.Background(), "TRUNCATE TABLE "+t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDashboardGrowth is the growth curve: the data set grows to each
// size of ECONDIP_BENCH_SIZES (events, comma-separated; default 1, 3 and
// 10 million), and at each size every dashboard query runs
// ECONDIP_BENCH_RUNS times (default 11; the first, which warms the caches,
// is dropped). It logs a table of p50 and p95 per query and size, each
// p50 over the baseline's p50 at the same size, and the slope: how the
// time grows with the events (the exponent k of time ∝ events^k between
// the smallest and the largest size; 1 is linear).
//
//	go test -run '^$' -bench DashboardGrowth -benchtime 1x -timeout 90m ./analytics/
func BenchmarkDashboardGrowth(b *testing.B) {
	sizes := []int{1_000_000, 3_000_000, 10_000_000}
	if v := os.Getenv("ECONDIP_BENCH_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("ECONDIP_BENCH_SIZES=%q: want event counts, comma-separated, growing", v)
			}
			sizes = append(sizes, n)
		}
	}
	runs := 11
	if v, err := strconv.Atoi(os.Getenv("ECONDIP_BENCH_RUNS")); err == nil && v >= 2 {
		runs = v
	}
	conn := chtest.Conn(b)
	ctx := context.Background()
	for range b.N {
		prepareBenchDatabase(b, conn)
		truncateBenchTables(b, conn)
		filler := newBenchFiller()
		queries := dashboardQueries(ctx, conn, time.Now())
		p50 := map[string][]time.Duration{} // query -> p50 at each size
		var table strings.Builder
		fmt.Fprintf(&table, "| query | %s |\n|---|%s\n", strings.Join(sizeHeads(sizes), " | "), strings.Repeat("---:|", len(sizes)+1))
		lines := map[string][]string{}
		for _, n := range sizes {
			filler.fill(b, conn, n)
			var rows uint64
			_ = conn.QueryRow(ctx, "SELECT count() FROM lead_states").Scan(&rows)
			fmt.Fprintf(os.Stderr, "growth: %d events (lead_states %d rows): timing %d queries × %d runs\n", n, rows, len(queries), runs)
			checkModelsAgree(b, conn)
			var baseline time.Duration
			for i, q := range queries {
				times := make([]time.Duration, 0, runs-1)
				for run := range runs {
					t0 := time.Now()
					if err := q.run(); err != nil {
						b.Fatalf("%s at %d events: %v", q.name, n, err)
					}
					if run > 0 {
						times = append(times, time.Since(t0))
					}
				}
				slices.Sort(times)
				median, p95 := times[len(times)/2], times[(len(times)*95+99)/100-1]
				if i == 0 {
					baseline = median
				}
				p50[q.name] = append(p50[q.name], median)
				lines[q.name] = append(lines[q.name], fmt.Sprintf("%s / %s (%s×)", ms(median), ms(p95), ratio(median, baseline)))
			}
		}
		for _, q := range queries {
			ts := p50[q.name]
			slope := math.Log(float64(ts[len(ts)-1])/float64(ts[0])) / math.Log(float64(sizes[len(sizes)-1])/float64(sizes[0]))
			fmt.Fprintf(&table, "| %s | %s | k = %.2f |\n", q.name, strings.Join(lines[q.name], " | "), slope)
		}
		// To stderr: the benchmark log would cut a long table at ten lines.
		fmt.Fprintf(os.Stderr, "\ngrowth curve: p50 / p95 (p50 × the baseline's p50 at that size); k: time ∝ events^k from %d to %d events\n%s\n",
			sizes[0], sizes[len(sizes)-1], table.String())
		timeReprojection(b, conn)
	}
}

// timeReprojection loads rates with the euro 1 % dearer and times the
// re-projection of the pipeline's aggregates from their ledger.
func timeReprojection(b testing.TB, conn driver.Conn) {
	ctx := context.Background()
	rs, _ := reference.Default().DemoRates()
	if _, _, err := analytics.LoadRates(ctx, conn, rs.Scaled("EUR", decimal.RequireFromString("1.01")), reference.DefaultRateLimits, "eur+1%"); err != nil {
		b.Fatal(err)
	}
	for _, f := range []struct {
		ledger  string
		prepare func(context.Context, driver.Conn, *slog.Logger) (bool, error)
	}{{"lead_kpi_changes", analytics.LeadKPI.Prepare}, {"deal_exports_changes", analytics.DealExports.Prepare}, {"barrier_changes", analytics.BarrierFigures.Prepare}} {
		var ledger uint64
		_ = conn.QueryRow(ctx, "SELECT count() FROM "+f.ledger).Scan(&ledger)
		t0 := time.Now()
		if _, err := f.prepare(ctx, conn, obs.Discard()); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "re-projection after a rates change: %s, %d ledger rows in %s\n", f.ledger, ledger, time.Since(t0).Round(time.Millisecond))
	}
	checkModelsAgree(b, conn)
}

// checkModelsAgree: the figures from the aggregates equal the figures from
// the states on the benchmark's data set.
func checkModelsAgree(b testing.TB, conn driver.Conn) {
	ctx := context.Background()
	for name, current := range map[string]func(context.Context, driver.Conn) (bool, error){"lead_kpi": analytics.LeadKPI.Current, "deal_exports": analytics.DealExports.Current, "barrier_tally": analytics.BarrierFigures.Current} {
		if ok, err := current(ctx, conn); err != nil || !ok {
			b.Fatalf("the %s aggregates are not current (%v): the benchmark would time the states", name, err)
		}
	}
	agg, err := analytics.Pipeline(ctx, conn, analytics.PipelineFilter{})
	if err != nil {
		b.Fatal(err)
	}
	st, err := analytics.PipelineFromStates(ctx, conn, analytics.PipelineFilter{})
	if err != nil {
		b.Fatal(err)
	}
	if !reflect.DeepEqual(agg, st) {
		b.Fatalf("the pipeline from the aggregates differs from the pipeline from the states:\n%+v\n%+v", agg, st)
	}
	for _, figure := range []struct {
		name string
		read func(context.Context) (any, error)
	}{
		{"exports by sector", func(ctx context.Context) (any, error) {
			return analytics.ExportsBySector(ctx, conn, analytics.ExportFilter{})
		}},
		{"non-raw share", func(ctx context.Context) (any, error) {
			return analytics.NonRawShare(ctx, conn, analytics.ExportFilter{})
		}},
		{"concentration", func(ctx context.Context) (any, error) {
			return analytics.Concentration(ctx, conn, analytics.ExportFilter{})
		}},
		{"scorecard", func(ctx context.Context) (any, error) {
			now := time.Now()
			return analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: now.Year(), Today: now})
		}},
		{"conversion", func(ctx context.Context) (any, error) {
			return analytics.Conversion(ctx, conn, analytics.ByTotal, analytics.KPIFilter{})
		}},
		{"barriers by type", func(ctx context.Context) (any, error) {
			return analytics.BarriersByType(ctx, conn, analytics.BarrierFilter{})
		}},
	} {
		agg, err := figure.read(ctx)
		if err != nil {
			b.Fatal(err)
		}
		st, err := figure.read(analytics.ReadStates(ctx))
		if err != nil {
			b.Fatal(err)
		}
		if !reflect.DeepEqual(agg, st) {
			b.Fatalf("%s from the aggregates differs from the states:\n%+v\n%+v", figure.name, agg, st)
		}
	}
}

func sizeHeads(sizes []int) []string {
	out := make([]string, 0, len(sizes)+1)
	for _, n := range sizes {
		out = append(out, fmt.Sprintf("%g M events", float64(n)/1e6))
	}
	return append(out, "slope")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func ratio(d, baseline time.Duration) string {
	if baseline <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(d)/float64(baseline))
}
