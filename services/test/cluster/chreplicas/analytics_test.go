package chreplicas

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// TestQueriesAnswerTheSameOnTheClusterAsOnOneNode writes the same rows into
// a single-node database (plain tables on replica 1) and into a cluster-mode
// database (through the Distributed tables), each migrated and loaded with
// the same reference files by the stack, and runs every dashboard query on
// the single node and on each replica of the cluster: the answers must be
// equal. The queries read FINAL, ANY LEFT JOIN, joinGet (fx_join, a copy
// per node), IN and subqueries over the Distributed tables.
func TestQueriesAnswerTheSameOnTheClusterAsOnOneNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const single, clustered = "econdip_single", "econdip_cluster"
	dropDatabaseAtEnd(t, single)
	dropDatabaseAtEnd(t, clustered)
	dataDir := t.TempDir() // the reference files both databases load
	start := func(db, addr, clusterName string) {
		cfg := stack.Config{DataDir: dataDir, CHAddr: addr, CHCluster: clusterName, CHDatabase: db, CHUser: "default",
			MappingDir: filepath.Join(dataDir, "mapping")}
		s := stack.New(cfg, obs.Discard(), reference.Default())
		defer s.Close()
		if err := s.StartClickHouse(ctx, false); err != nil {
			t.Fatalf("start ClickHouse for %s: %v", db, err)
		}
	}
	start(single, cluster.Replicas[0].Addr, "")
	start(clustered, strings.Join(cluster.Addrs(), ","), cluster.Name)

	rows := fixture(42)
	singleConn, err := analytics.Open(ctx, analytics.Config{Addr: cluster.Replicas[0].Addr, Database: single, Username: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer singleConn.Close()
	if err := analytics.Write(ctx, singleConn, rows); err != nil {
		t.Fatal(err)
	}
	if err := analytics.Write(ctx, open(t, strings.Join(cluster.Addrs(), ","), clustered), rows); err != nil {
		t.Fatal(err)
	}
	syncReplicas(t, ctx, clustered)

	answers := func(conn driver.Conn) map[string]string {
		out := map[string]string{}
		for _, q := range dashboardQueries(rows) {
			v, err := q.run(ctx, conn)
			if err != nil {
				t.Fatalf("%s: %v", q.name, err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out[q.name] = string(b)
		}
		return out
	}
	want := answers(singleConn)
	for _, r := range cluster.Replicas {
		got := answers(open(t, r.Addr, clustered))
		for name, w := range want {
			if got[name] != w {
				t.Errorf("%s on replica %s (cluster mode) differs from the single node:\n  cluster: %.600s\n  single:  %.600s", name, r.Name, got[name], w)
			}
		}
	}
	// The fixture must reach the figures, or the comparison proves little.
	for _, name := range []string{"pipeline", "exports-by-sector", "barriers", "execution-by-commission", "investment-committed-by-sector", "scorecard", "audit"} {
		if len(want[name]) < 40 {
			t.Errorf("%s answers %s on the fixture: too little to compare", name, want[name])
		}
	}
}

type query struct {
	name string
	run  func(context.Context, driver.Conn) (any, error)
}

// dashboardQueries are the query functions behind the dashboards, each
// with the filters the fixture makes interesting.
func dashboardQueries(rows *analytics.Rows) []query {
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	q := func(name string, f func(ctx context.Context, c driver.Conn) (any, error)) query {
		return query{name, f}
	}
	leadID := rows.LeadStates[0].LeadID.String()
	auditRange := analytics.AuditFilter{From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	out := []query{
		q("pipeline", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.Pipeline(ctx, c, analytics.PipelineFilter{})
		}),
		q("pipeline-records", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.PipelineRecords(ctx, c, analytics.PipelineFilter{Country: "CN"})
		}),
		q("scorecard", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.Scorecard(ctx, c, analytics.ScorecardFilter{Year: 2025, Today: asOf})
		}),
		q("targets", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.Targets(ctx, c, analytics.TargetFilter{})
		}),
		q("open-pipeline", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.OpenPipeline(ctx, c, analytics.BySector, analytics.KPIFilter{})
		}),
		q("conversion", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.Conversion(ctx, c, analytics.ByClause, analytics.KPIFilter{})
		}),
		q("exports-by-year", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExportsByYear(ctx, c, analytics.ByCountry, analytics.KPIFilter{})
		}),
		q("export-records", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExportRecords(ctx, c, analytics.ByTotal, "all", analytics.KPIFilter{})
		}),
		q("barrier-value-resolved", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.BarrierValueResolved(ctx, c, analytics.ByTotal, analytics.KPIFilter{})
		}),
		q("exports-by-stage", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExportsByStage(ctx, c, analytics.ExportFilter{})
		}),
		q("exports-by-sector", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExportsBySector(ctx, c, analytics.ExportFilter{})
		}),
		q("exports-by-destination", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExportsByDestination(ctx, c, analytics.ExportFilter{})
		}),
		q("exports-by-chapter", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExportsByChapter(ctx, c, analytics.ExportFilter{})
		}),
		q("non-raw-share", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.NonRawShare(ctx, c, analytics.ExportFilter{})
		}),
		q("markets-and-products", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.MarketsAndProducts(ctx, c, analytics.ExportFilter{})
		}),
		q("concentration", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.Concentration(ctx, c, analytics.ExportFilter{})
		}),
		q("barriers", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.Barriers(ctx, c, analytics.BarrierFilter{})
		}),
		q("barriers-by-type", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.BarriersByType(ctx, c, analytics.BarrierFilter{})
		}),
		q("barriers-by-country", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.BarriersByCountry(ctx, c, analytics.BarrierFilter{})
		}),
		q("barriers-resolved-by-year", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.BarriersResolvedByYear(ctx, c, analytics.BarrierFilter{})
		}),
		q("barriers-reported-by-year", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.BarriersReportedByYear(ctx, c, analytics.BarrierFilter{})
		}),
		q("barrier-records", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.BarrierRecords(ctx, c, analytics.BarrierFilter{Country: "CN"})
		}),
		q("execution-by-commission", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExecutionByCommission(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("execution-by-agency", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExecutionByAgency(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("execution-by-year", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.ExecutionByYear(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("overdue-decisions", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.OverdueDecisions(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("done-late-decisions", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.DoneLateDecisions(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("decisions-by-sector", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.DecisionsBySector(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("decisions-by-clause", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.DecisionsByClause(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("decision-investment", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.DecisionInvestment(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("decisions-with-leads", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.DecisionsWithLeads(ctx, c, asOf, analytics.CommissionFilter{})
		}),
		q("decisions-for-lead", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.DecisionsForLead(ctx, c, leadID)
		}),
		q("audit", func(ctx context.Context, c driver.Conn) (any, error) {
			var out []analytics.AuditRow
			err := analytics.Audit(ctx, c, auditRange, 500, func(r analytics.AuditRow) error { out = append(out, r); return nil })
			return out, err
		}),
		q("audit-count", func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.AuditCount(ctx, c, auditRange)
		}),
	}
	for _, metric := range []string{analytics.Committed, analytics.Realised} {
		for _, by := range []analytics.By{analytics.BySector, analytics.ByClause, analytics.ByCountry, analytics.ByTotal} {
			out = append(out, q(fmt.Sprintf("investment-%s-by-%s", metric, by), func(ctx context.Context, c driver.Conn) (any, error) {
				return analytics.InvestmentByYear(ctx, c, metric, by, analytics.KPIFilter{})
			}))
		}
		out = append(out, q("investment-records-"+metric, func(ctx context.Context, c driver.Conn) (any, error) {
			return analytics.InvestmentRecords(ctx, c, metric, analytics.ByTotal, "all", analytics.KPIFilter{})
		}))
	}
	return out
}

// fixture makes a few thousand rows of every kind, as ingest would write
// them for leads, deals, barriers, commissions and their histories, with
// every version of each record (the queries read FINAL).
func fixture(seed uint64) *analytics.Rows {
	r := rand.New(rand.NewPCG(seed, seed+1))
	rows := &analytics.Rows{}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	day := func(from time.Time, n int) time.Time { return from.AddDate(0, 0, r.IntN(n)) }
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	var (
		posts      = []string{"de-berlin", "cn-beijing", "us-washington", "tr-ankara", "uz-tashkent"}
		countries  = []string{"DE", "CN", "US", "TR", "UZ"}
		currencies = []string{"USD", "EUR", "CNY", "RUB", "KZT"}
		sectors    = []string{"machine_building", "agro_industrial", "mining", "petrochemistry_refining", ""}
		clauses    = [][]string{{"2.2"}, {"2.2", "2.4"}, {"2.7"}, {"2.7", "2.6"}}
		hs         = []string{"760110", "740311", "271012", "270900", "100199", "110100", "151211", "870899", "020130"}
		leadStages = []string{"identified", "contacted", "qualified", "negotiating", "committed", "implementing", "operational", "on_hold", "lost"}
		dealStages = []string{"opportunity", "negotiating", "contracted", "shipped", "paid", "lost"}
		seq        uint64
	)
	event := func(typ, subject, post string, at time.Time) uuid.UUID {
		seq++
		id := uuid.New()
		rows.Events = append(rows.Events, analytics.EventRow{EventID: id, Type: typ, Source: "econdip/test", Subject: subject, Time: at,
			Actor: "attache." + post, Scope: "post:" + post, Stream: "TEST", StreamSeq: seq, Data: "{}"})
		return id
	}
	var leadIDs []string
	for range 300 {
		id := uuid.New()
		leadIDs = append(leadIDs, id.String())
		p := r.IntN(len(posts))
		on := day(start, 2300)
		capex := decimal.New(int64(1+r.IntN(400)), 6)
		cur, sector, cl := pick(currencies), pick(sectors), clauses[r.IntN(len(clauses))]
		stage := "identified"
		for v := uint32(1); v <= uint32(1+r.IntN(5)); v++ {
			from := stage
			if v > 1 {
				stage = leadStages[min(int(v)-1+r.IntN(3), len(leadStages)-1)]
			}
			ev := event("econdip.lead.v1", "lead/"+id.String(), posts[p], on)
			rows.LeadStates = append(rows.LeadStates, analytics.LeadStateRow{LeadID: id, Version: v, Post: posts[p], Attache: "attache." + posts[p],
				InvestorName: "Investor", InvestorCountry: countries[r.IntN(len(countries))], Title: "Project", Sector: sector, Clauses: cl,
				InvestmentType: "greenfield", Capex: capex, Currency: cur, ExpectedJobs: uint32(r.IntN(500)), Source: "own_research",
				Stage: stage, Probability: decimal.RequireFromString("0.25"), CreatedAt: on, UpdatedAt: on, StageChangedAt: on, StageDay: on,
				EventID: ev, StreamSeq: seq})
			rows.LeadStages = append(rows.LeadStages, analytics.LeadStageRow{LeadID: id, Version: v, From: from, To: stage, EffectiveOn: on,
				Actor: "attache." + posts[p], Time: on, EventID: ev, StreamSeq: seq})
			on = on.AddDate(0, 0, 20+r.IntN(150))
		}
	}
	for b := range 5 {
		bin := fmt.Sprintf("99034000%04d", b)
		ev := event("econdip.exporter.v1", "exporter/"+bin, "admin", start)
		rows.ExporterStates = append(rows.ExporterStates, analytics.ExporterStateRow{BIN: bin, Version: 1, Name: "Exporter", Region: "KZ-ALA",
			RegisteredBy: "admin", CreatedAt: start, UpdatedAt: start, EventID: ev, StreamSeq: seq})
	}
	var dealIDs []string
	for range 300 {
		id := uuid.NewString()
		dealIDs = append(dealIDs, id)
		p := r.IntN(len(posts))
		code := pick(hs)
		on := day(start, 2300)
		value, cur, cl := decimal.New(int64(1+r.IntN(5000)), 3), pick(currencies), clauses[r.IntN(len(clauses))]
		for v := uint32(1); v <= uint32(1+r.IntN(4)); v++ {
			stage := dealStages[min(int(v)-1+r.IntN(2), len(dealStages)-1)]
			ev := event("econdip.deal.v1", "deal/"+id, posts[p], on)
			row := analytics.DealStateRow{DealID: id, Version: v, Post: posts[p], Attache: "attache." + posts[p], ExporterBIN: fmt.Sprintf("99034000%04d", r.IntN(5)),
				ExporterName: "Exporter", BuyerCountry: countries[p], HSCode: code, HSChapter: code[:2], HSHeading: code[:4], Value: value,
				Currency: cur, Stage: stage, Support: []string{"b2b_meeting"}, Clauses: cl, DealDate: on, CreatedAt: on, UpdatedAt: on,
				StageChangedAt: on, EventID: ev, StreamSeq: seq}
			if stage == "contracted" || stage == "shipped" || stage == "paid" {
				c := on
				row.ContractDate = &c
			}
			rows.DealStates = append(rows.DealStates, row)
			on = on.AddDate(0, 0, 10+r.IntN(90))
		}
	}
	barrierStatuses := []string{"reported", "verified", "in_negotiation", "resolved_partly", "resolved", "dormant"}
	for range 80 {
		id := uuid.NewString()
		p := r.IntN(len(posts))
		on := day(start, 2300)
		status := "reported"
		value := decimal.New(int64(1+r.IntN(100)), 5)
		for v := uint32(1); v <= uint32(1+r.IntN(3)); v++ {
			from := status
			if v > 1 {
				status = barrierStatuses[min(int(v)+r.IntN(3), len(barrierStatuses)-1)]
			}
			ev := event("econdip.barrier.v1", "barrier/"+id, posts[p], on)
			row := analytics.BarrierStateRow{BarrierID: id, Version: v, Post: posts[p], Attache: "attache." + posts[p], Country: countries[p],
				HSCodes: []string{pick(hs)[:4]}, Type: pick([]string{"tariff", "sps", "technical", "procedural", "discrimination"}), Title: "Barrier",
				HasValue: r.IntN(4) > 0, ValueAtStake: value, Currency: pick(currencies), Status: status, LeadAgency: "mti", Clauses: []string{"2.6"},
				ReportedOn: on, ProgressOn: []time.Time{}, ProgressText: []string{}, ProgressAuthor: []string{}, CreatedAt: on, UpdatedAt: on,
				EventID: ev, StreamSeq: seq}
			if status == "resolved" {
				res := on
				row.ResolvedOn = &res
			}
			rows.BarrierStates = append(rows.BarrierStates, row)
			if v > 1 {
				rows.BarrierStatuses = append(rows.BarrierStatuses, analytics.BarrierStatusRow{BarrierID: id, Version: v, From: from, To: status,
					EffectiveOn: on, Actor: "attache." + posts[p], Time: on, EventID: ev, StreamSeq: seq})
			}
			on = on.AddDate(0, 0, 30+r.IntN(200))
		}
	}
	for ci, c := range []string{"igc-cn", "igc-de", "igc-tr"} {
		country := []string{"CN", "DE", "TR"}[ci]
		ev := event("econdip.commission.v1", "commission/"+c, "admin", start)
		rows.CommissionStates = append(rows.CommissionStates, analytics.CommissionStateRow{CommissionID: c, Version: 1, Name: "IGC " + country,
			PartnerCountry: country, SecretariatAgency: "mti", CreatedAt: start, UpdatedAt: start, EventID: ev, StreamSeq: seq})
		for s := uint32(1); s <= 3; s++ {
			sessionID := fmt.Sprintf("%s-s%d", c, s)
			date := start.AddDate(int(s)*2-1, r.IntN(12), 0)
			var decisionIDs []string
			for i := range 8 {
				did := fmt.Sprintf("%s-d%d", sessionID, i+1)
				decisionIDs = append(decisionIDs, did)
				status := pick([]string{"open", "in_progress", "done", "cancelled"})
				deadline := date.AddDate(0, 0, 60+r.IntN(500))
				ev := event("econdip.decision.v1", "decision/"+did, "admin", date)
				row := analytics.DecisionStateRow{CommissionID: c, DecisionID: did, Version: 1, PartnerCountry: country, SessionID: sessionID,
					SessionNumber: s, SessionDate: date, Item: fmt.Sprint(i + 1), Text: "Decision", Agencies: []string{pick([]string{"mti", "mfa", "kazakh_invest"})},
					Deadline: deadline, Sector: pick(sectors), Clauses: clauses[r.IntN(len(clauses))], HasValue: r.IntN(2) == 0,
					Value: decimal.New(int64(1+r.IntN(90)), 6), Currency: pick(currencies), LeadIDs: []string{pick(leadIDs)}, DealIDs: []string{pick(dealIDs)},
					Status: status, StatusDate: date, CreatedAt: date, UpdatedAt: date, EventID: ev, StreamSeq: seq}
				if status == "done" {
					done := deadline.AddDate(0, 0, r.IntN(60)-30)
					row.DoneOn = &done
				}
				rows.DecisionStates = append(rows.DecisionStates, row)
				if status != "open" {
					rows.DecisionStatuses = append(rows.DecisionStatuses, analytics.DecisionStatusRow{CommissionID: c, DecisionID: did, Version: 1,
						From: "open", To: status, EffectiveOn: date, Actor: "secretariat", Time: date, EventID: ev, StreamSeq: seq})
				}
			}
			ev := event("econdip.session.v1", "session/"+sessionID, "admin", date)
			rows.SessionStates = append(rows.SessionStates, analytics.SessionStateRow{SessionID: sessionID, CommissionID: c, Number: s, Date: date,
				Place: "Astana", DecisionIDs: decisionIDs, Decisions: uint32(len(decisionIDs)), CreatedAt: date, EventID: ev, StreamSeq: seq})
		}
	}
	return rows
}
