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
	"math/rand/v2"
	"os"
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
func fillBench(b *testing.B, conn driver.Conn, n int) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	day := func(from time.Time, maxDays int) time.Time { return from.AddDate(0, 0, r.IntN(maxDays)) }
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 200_000
	rows := &analytics.Rows{}
	written, began := 0, time.Now()
	flush := func() {
		if err := analytics.Write(ctx, conn, rows); err != nil {
			b.Fatal(err)
		}
		written += rows.Len()
		fmt.Fprintf(os.Stderr, "\rbench data: %d rows written (%.0f rows/s)", written, float64(written)/time.Since(began).Seconds())
		rows = &analytics.Rows{}
	}
	for events := 0; events < n; {
		switch k := r.IntN(10); {
		case k < 4: // a lead and its stage changes
			id := uuid.New()
			on := day(start, 2400)
			sector := sectors[r.IntN(len(sectors))]
			clauses := clauseSets[r.IntN(len(clauseSets))]
			capex := decimal.New(int64(2+r.IntN(400)), 6)
			cur := currencies[r.IntN(len(currencies))]
			post := benchPosts[r.IntN(len(benchPosts))]
			for v := 1; v <= 4; v++ {
				stage := leadStages[min(v-1+r.IntN(2), len(leadStages)-1)]
				if v == 1 {
					stage = "identified"
				}
				rows.LeadStates = append(rows.LeadStates, analytics.LeadStateRow{LeadID: id, Version: uint32(v), Post: post,
					InvestorCountry: benchBuyers[r.IntN(len(benchBuyers))], Title: "Bench project", Sector: sector, Clauses: clauses,
					Capex: capex, Currency: cur, ExpectedJobs: uint32(r.IntN(500)), Stage: stage, Probability: decimal.RequireFromString("0.25"),
					CreatedAt: on, UpdatedAt: on, StageChangedAt: on, StageDay: on, EventID: uuid.New(), StreamSeq: uint64(events + v)})
				rows.LeadStages = append(rows.LeadStages, analytics.LeadStageRow{LeadID: id, Version: uint32(v), To: stage, EffectiveOn: on,
					Time: on, EventID: uuid.New(), StreamSeq: uint64(events + v)})
				on = on.AddDate(0, 0, 30+r.IntN(120))
			}
			events += 4
		case k < 8: // a deal and its moves
			id := uuid.NewString()
			hs := benchHS[r.IntN(len(benchHS))]
			on := day(start, 2400)
			post := r.IntN(len(benchPosts))
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
			}
			events += 4
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
			events++
		default: // a decision
			on := day(start, 2400)
			c := "igc-" + []string{"cn", "de", "tr", "uz", "kr"}[r.IntN(5)]
			rows.DecisionStates = append(rows.DecisionStates, analytics.DecisionStateRow{CommissionID: c, DecisionID: uuid.NewString(),
				Version: 1, PartnerCountry: "CN", SessionID: c + "-s1", SessionNumber: 1, SessionDate: on, Item: "1", Text: "Bench decision",
				Agencies: []string{"mti"}, Deadline: on.AddDate(0, 0, 90+r.IntN(400)), Clauses: []string{"2.2"},
				Status: []string{"open", "in_progress", "done", "cancelled"}[r.IntN(4)], StatusDate: on, CreatedAt: on, UpdatedAt: on,
				EventID: uuid.New(), StreamSeq: uint64(events)})
			events++
		}
		if rows.Len() >= batch {
			flush()
		}
	}
	flush()
	fmt.Fprintln(os.Stderr)
}

// BenchmarkDashboardQueries times each query behind a dashboard endpoint
// on the data set; "x baseline" is its time over the baseline's, a plain
// sum over lead_states measured in the same run.
func BenchmarkDashboardQueries(b *testing.B) {
	conn := chtest.Conn(b)
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
	n := benchEvents()
	var have uint64
	_ = conn.QueryRow(ctx, "SELECT count() FROM lead_states").Scan(&have)
	if have < uint64(n)*4/10*9/10 { // else the data set is there already (b.Run runs this function again)
		for _, t := range []string{"lead_states", "lead_stage_history", "deal_states", "barrier_states", "decision_states"} {
			if err := conn.Exec(ctx, "TRUNCATE TABLE "+t); err != nil {
				b.Fatal(err)
			}
		}
		fillBench(b, conn, n)
	}
	now := time.Now()
	queries := []struct {
		name string
		run  func() error
	}{
		{"baseline-sum-lead_states", func() error {
			var s decimal.Decimal
			return conn.QueryRow(ctx, "SELECT sum(capex) FROM lead_states").Scan(&s)
		}},
		{"pipeline", func() error { _, err := analytics.Pipeline(ctx, conn, analytics.PipelineFilter{}); return err }},
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
		{"exports-by-sector", func() error { _, err := analytics.ExportsBySector(ctx, conn, analytics.ExportFilter{}); return err }},
		{"non-raw-share", func() error { _, err := analytics.NonRawShare(ctx, conn, analytics.ExportFilter{}); return err }},
		{"concentration", func() error { _, err := analytics.Concentration(ctx, conn, analytics.ExportFilter{}); return err }},
		{"barriers-by-type", func() error { _, err := analytics.BarriersByType(ctx, conn, analytics.BarrierFilter{}); return err }},
		{"commission-execution", func() error {
			_, err := analytics.ExecutionByCommission(ctx, conn, now, analytics.CommissionFilter{})
			return err
		}},
	}
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
