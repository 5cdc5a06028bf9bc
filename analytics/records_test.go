package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/reference"
)

// The fixture of "exports that followed from IGC decisions", as of 2026-06-15:
//
//	decision  commission  session     deal_ids      notes
//	ra-1      igc-r18a    2025-03-01  E1, E2
//	ra-2      igc-r18a    2025-03-01  E1, E3        E1 again: counts once for igc-r18a; E3 not committed
//	ra-3      igc-r18a    2026-07-01  E5            session after as-of: E5 not counted
//	rb-1      igc-r18b    2025-09-01  E1            E1 counts for igc-r18b too; igc-r18b has no commission event
//	deals naming a decision: E6 → ra-2 (no rate), E4 → rb-1
//
//	deal  stage        value         deal date (contract or created)
//	E1    contracted   1,000.00 USD  2025-05-10
//	E2    shipped      500.00 EUR    2026-02-01 (v1 was lost: FINAL keeps v2)
//	E3    opportunity  700.00 USD    2025-04-01
//	E4    paid         10,000 CNY    2026-03-01
//	E5    paid         900.00 USD    2026-01-01
//	E6    contracted   9,000 XOF     2026-01-10 (no rate)
type r18Deal struct {
	n        int
	version  uint32
	stage    string
	value    string
	currency string
	day      string
	decision string
}

var r18DealIDs = func() []string {
	ids := make([]string, 6)
	for i := range ids {
		ids[i] = fmt.Sprintf("e1800000-0000-4000-8000-00000000000%d", i+1)
	}
	return ids
}()

func (d r18Deal) row() analytics.DealStateRow {
	at := day(d.day).Add(9 * time.Hour)
	c := day(d.day)
	r := analytics.DealStateRow{DealID: r18DealIDs[d.n-1], Version: d.version, Post: "cn-beijing", Attache: "attache.cn", ExporterBIN: "990340004593",
		ExporterName: "R18 Exporter", BuyerCountry: "CN", HSCode: "760110", HSChapter: "76", HSHeading: "7601", Value: money(d.value), Currency: d.currency,
		Unit: "t", Stage: d.stage, DecisionID: d.decision, ContractDate: &c, DealDate: c, Clauses: []string{"2.7"},
		CreatedAt: at, UpdatedAt: at, StageChangedAt: at, EventID: uuid.New(), StreamSeq: uint64(1800 + 10*d.n + int(d.version))}
	if d.decision != "" {
		r.CommissionID = map[string]string{"ra": "igc-r18a", "rb": "igc-r18b"}[d.decision[:2]]
	}
	return r
}

type r18Decision struct {
	commission, id, session string
	deals                   []int
}

func (d r18Decision) row() analytics.DecisionStateRow {
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	ids := make([]string, len(d.deals))
	for i, n := range d.deals {
		ids[i] = r18DealIDs[n-1]
	}
	return analytics.DecisionStateRow{CommissionID: d.commission, DecisionID: d.id, Version: 1, PartnerCountry: "CN", SessionID: d.commission + d.session,
		SessionNumber: 1, SessionDate: day(d.session), Item: d.id, Text: "Decision " + d.id, Agencies: []string{"MTI"}, Deadline: day("2026-12-31"),
		DealIDs: ids, Status: "open", StatusDate: day(d.session), CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: 1}
}

func r18Fixture() ([]r18Decision, []r18Deal) {
	decisions := []r18Decision{
		{"igc-r18a", "ra-1", "2025-03-01", []int{1, 2}},
		{"igc-r18a", "ra-2", "2025-03-01", []int{1, 3}},
		{"igc-r18a", "ra-3", "2026-07-01", []int{5}},
		{"igc-r18b", "rb-1", "2025-09-01", []int{1}},
	}
	deals := []r18Deal{
		{1, 1, "contracted", "1000.00", "USD", "2025-05-10", ""},
		{2, 1, "lost", "500.00", "EUR", "2026-02-01", ""},
		{2, 2, "shipped", "500.00", "EUR", "2026-02-01", ""},
		{3, 1, "opportunity", "700.00", "USD", "2025-04-01", ""},
		{4, 1, "paid", "10000", "CNY", "2026-03-01", "rb-1"},
		{5, 1, "paid", "900.00", "USD", "2026-01-01", ""},
		{6, 1, "contracted", "9000", "XOF", "2026-01-10", "ra-2"},
	}
	return decisions, deals
}

func removeR18(ctx context.Context, conn driver.Conn) error {
	for _, stmt := range []string{
		"ALTER TABLE deal_states DELETE WHERE deal_id LIKE 'e1800000-%'",
		"ALTER TABLE decision_states DELETE WHERE commission_id IN ('igc-r18a', 'igc-r18b')",
		"ALTER TABLE commission_states DELETE WHERE commission_id IN ('igc-r18a', 'igc-r18b')",
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// The figure against a computation in Go from the fixture's specs: the
// links both ways, the as-of day, committed stages only, each deal once per
// commission, values converted by the rates store (reference.Rates.Convert).
func TestDecisionExportsAgainstAnIndependentComputation(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	if err := removeR18(ctx, conn); err != nil {
		t.Fatal(err)
	}
	waitMutations(t, conn)
	t.Cleanup(func() {
		if err := removeR18(ctx, conn); err != nil {
			t.Error(err)
		}
		waitMutations(t, conn)
	})
	if _, err := analytics.LoadHSClassification(ctx, conn, reference.Default()); err != nil {
		t.Fatal(err)
	}
	decisions, deals := r18Fixture()
	rows := &analytics.Rows{CommissionStates: []analytics.CommissionStateRow{{CommissionID: "igc-r18a", Version: 1, Name: "R18 A", PartnerCountry: "CN",
		CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC(), EventID: uuid.New(), StreamSeq: 1}}}
	for _, d := range decisions {
		rows.DecisionStates = append(rows.DecisionStates, d.row())
	}
	for _, d := range deals {
		rows.DealStates = append(rows.DealStates, d.row())
	}
	for range 2 { // a redelivery inserts the same rows again
		if err := analytics.Write(ctx, conn, rows); err != nil {
			t.Fatal(err)
		}
	}
	asOf := day("2026-06-15")

	// The independent computation.
	latest := map[int]r18Deal{}
	for _, d := range deals {
		if d.version >= latest[d.n].version {
			latest[d.n] = d
		}
	}
	commissionOf := map[string]string{}
	pairs := map[[2]string]bool{}
	for _, d := range decisions {
		if day(d.session).After(asOf) {
			continue
		}
		commissionOf[d.id] = d.commission
		for _, n := range d.deals {
			pairs[[2]string{d.commission, fmt.Sprint(n)}] = true
		}
	}
	for n, d := range latest {
		if c, ok := commissionOf[d.decision]; ok {
			pairs[[2]string{c, fmt.Sprint(n)}] = true
		}
	}
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		commission string
		year       int
	}
	want := map[key]*analytics.DecisionExportsYear{}
	for p := range pairs {
		var n int
		fmt.Sscan(p[1], &n)
		d := latest[n]
		if d.stage != "contracted" && d.stage != "shipped" && d.stage != "paid" {
			continue
		}
		k := key{p[0], day(d.day).Year()}
		w := want[k]
		if w == nil {
			w = &analytics.DecisionExportsYear{CommissionID: k.commission, Year: uint16(k.year), ValueUSD: decimal.Zero, ValueKZT: decimal.Zero}
			want[k] = w
		}
		w.Deals++
		conv, err := rs.Convert(money(d.value), d.currency, day(d.day), reference.DefaultRateLimits)
		switch {
		case errors.Is(err, reference.ErrNoRate):
			w.DealsWithoutRate++
		case err != nil:
			t.Fatal(err)
		default:
			w.ValueUSD, w.ValueKZT = w.ValueUSD.Add(conv.USD), w.ValueKZT.Add(conv.KZT)
		}
	}
	if len(want) != 4 { // the fixture's own check: r18a 2025, r18a 2026, r18b 2025, r18b 2026
		t.Fatalf("fixture: want 4 commission-years, computed %d", len(want))
	}

	got, err := analytics.DecisionExports(ctx, conn, asOf, analytics.CommissionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var mine []analytics.DecisionExportsYear
	for _, r := range got {
		if strings.HasPrefix(r.CommissionID, "igc-r18") {
			mine = append(mine, r)
		}
	}
	if len(mine) != len(want) {
		t.Fatalf("got %d commission-years %+v, want %d", len(mine), mine, len(want))
	}
	sort.Slice(mine, func(i, j int) bool {
		return mine[i].CommissionID+fmt.Sprint(mine[i].Year) < mine[j].CommissionID+fmt.Sprint(mine[j].Year)
	})
	for _, r := range mine {
		w := want[key{r.CommissionID, int(r.Year)}]
		if w == nil {
			t.Errorf("unexpected %s %d", r.CommissionID, r.Year)
			continue
		}
		if r.Deals != w.Deals || !r.ValueUSD.Equal(w.ValueUSD) || !r.ValueKZT.Equal(w.ValueKZT) || r.DealsWithoutRate != w.DealsWithoutRate {
			t.Errorf("%s %d: got deals %d USD %s KZT %s without rate %d; want %d, %s, %s, %d", r.CommissionID, r.Year, r.Deals, r.ValueUSD, r.ValueKZT,
				r.DealsWithoutRate, w.Deals, w.ValueUSD, w.ValueKZT, w.DealsWithoutRate)
		}
		if wantName := map[string]string{"igc-r18a": "R18 A"}[r.CommissionID]; r.Name != wantName {
			t.Errorf("%s: name %q, want %q", r.CommissionID, r.Name, wantName)
		}
		// The figure's number links to the list of its deals: the list counts the same.
		list, total, err := analytics.ListDeals(ctx, conn, analytics.DealListFilter{
			ExportFilter: analytics.ExportFilter{Years: []int{int(r.Year)}, Stages: analytics.CommittedStages},
			Commission:   r.CommissionID, AsOf: asOf}, analytics.ListPage{Sort: "value", Desc: true})
		if err != nil {
			t.Fatal(err)
		}
		if total != r.Deals || len(list) != int(r.Deals) {
			t.Errorf("%s %d: list total %d (%d rows), figure %d", r.CommissionID, r.Year, total, len(list), r.Deals)
		}
		sum := decimal.Zero
		for _, d := range list {
			if !d.NoRate {
				sum = sum.Add(d.USD)
			}
		}
		if !sum.Equal(r.ValueUSD) {
			t.Errorf("%s %d: list sums %s USD, figure %s", r.CommissionID, r.Year, sum, r.ValueUSD)
		}
	}

	// A list's pages: sorted, no overlap, the same total.
	first, total, err := analytics.ListDeals(ctx, conn, analytics.DealListFilter{Commission: "igc-r18a", AsOf: asOf}, analytics.ListPage{Sort: "deal_date", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	second, total2, err := analytics.ListDeals(ctx, conn, analytics.DealListFilter{Commission: "igc-r18a", AsOf: asOf}, analytics.ListPage{Sort: "deal_date", Limit: 2, Offset: 2})
	if err != nil {
		t.Fatal(err)
	}
	// igc-r18a as of the day: E1, E2, E3 (any stage), E6.
	if total != 4 || total2 != 4 || len(first) != 2 || len(second) != 2 {
		t.Fatalf("pages: totals %d %d, rows %d %d; want 4, 2 and 2", total, total2, len(first), len(second))
	}
	all := append(first, second...)
	for i := 1; i < len(all); i++ {
		if all[i].DealDate < all[i-1].DealDate {
			t.Errorf("not in deal date order: %s after %s", all[i].DealDate, all[i-1].DealDate)
		}
	}
	if _, _, err := analytics.ListDeals(ctx, conn, analytics.DealListFilter{}, analytics.ListPage{Sort: "value; DROP TABLE x"}); err == nil {
		t.Error("an unknown sort key was accepted")
	}

	// Decisions: the list of a commission as of the day leaves out the later session.
	_, n, err := analytics.ListDecisions(ctx, conn, analytics.DecisionListFilter{CommissionFilter: analytics.CommissionFilter{CommissionID: "igc-r18a"}, AsOf: asOf},
		analytics.ListPage{Sort: "item"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("decisions of igc-r18a as of %s: %d, want 2", asOf.Format(time.DateOnly), n)
	}
}

func waitMutations(t *testing.T, conn driver.Conn) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var pending uint64
		if err := conn.QueryRow(context.Background(), `SELECT count() FROM system.mutations WHERE database = currentDatabase() AND is_done = 0`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("fixture rows still being removed after 10 s")
		}
	}
}

// Each commission figure's count equals the total of the list its number
// opens, on the commission fixture (older versions redelivered late included).
func TestDecisionListsCountWhatTheFiguresCount(t *testing.T) {
	loadCommissionFixture(t)
	conn, ctx, asOf := migrated(t), context.Background(), day("2026-06-15")
	list := func(f analytics.DecisionListFilter) uint64 {
		t.Helper()
		f.AsOf = asOf
		_, n, err := analytics.ListDecisions(ctx, conn, f, analytics.ListPage{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec, err := analytics.ExecutionByCommission(ctx, conn, asOf, analytics.CommissionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exec {
		cf := analytics.CommissionFilter{CommissionID: e.CommissionID}
		for flag, want := range map[string]uint64{"due": e.Due, "on_time": e.DoneOnTime, "late": e.DoneLate, "overdue": e.Overdue, "cancelled": e.Cancelled, "": e.Total} {
			if got := list(analytics.DecisionListFilter{CommissionFilter: cf, Flag: flag}); got != want {
				t.Errorf("%s %q: list %d, figure %d", e.CommissionID, flag, got, want)
			}
		}
	}
	sectors, err := analytics.DecisionsBySector(ctx, conn, asOf, analytics.CommissionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sectors {
		if got := list(analytics.DecisionListFilter{Sector: s.Sector}); got != s.Decisions {
			t.Errorf("sector %s: list %d, figure %d", s.Sector, got, s.Decisions)
		}
		if got := list(analytics.DecisionListFilter{Sector: s.Sector, Flag: "overdue"}); got != s.Overdue {
			t.Errorf("sector %s overdue: list %d, figure %d", s.Sector, got, s.Overdue)
		}
	}
	clauses, err := analytics.DecisionsByClause(ctx, conn, asOf, analytics.CommissionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clauses {
		if got := list(analytics.DecisionListFilter{Clause: c.Clause, Statuses: []string{"done"}}); got != c.Done {
			t.Errorf("clause %s done: list %d, figure %d", c.Clause, got, c.Done)
		}
	}
}

// Each barrier figure's count equals the total of its list, on the export fixture.
func TestBarrierListsCountWhatTheFiguresCount(t *testing.T) {
	loadExportFixture(t)
	conn, ctx := migrated(t), context.Background()
	types, err := analytics.BarriersByType(ctx, conn, analytics.BarrierFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range types {
		for state, want := range map[string]uint64{"open": ty.Open, "dormant": ty.Dormant, "resolved": ty.Resolved} {
			_, got, err := analytics.ListBarriers(ctx, conn, analytics.BarrierListFilter{BarrierFilter: analytics.BarrierFilter{Type: ty.Type}, State: state}, analytics.ListPage{})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s %s: list %d, figure %d", ty.Type, state, got, want)
			}
		}
	}
	years, err := analytics.BarriersResolvedByYear(ctx, conn, analytics.BarrierFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range years {
		_, got, err := analytics.ListBarriers(ctx, conn, analytics.BarrierListFilter{ResolvedYears: []int{int(y.Year)}}, analytics.ListPage{Sort: "reported_on", Desc: true})
		if err != nil {
			t.Fatal(err)
		}
		if got != y.Resolved {
			t.Errorf("resolved in %d: list %d, figure %d", y.Year, got, y.Resolved)
		}
	}
	// Deals: every stage's count, and each year's non-raw deals.
	stages, err := analytics.ExportsByStage(ctx, conn, analytics.ExportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stages {
		_, got, err := analytics.ListDeals(ctx, conn, analytics.DealListFilter{ExportFilter: analytics.ExportFilter{Stages: []string{st.Stage}}}, analytics.ListPage{})
		if err != nil {
			t.Fatal(err)
		}
		if got != st.Deals {
			t.Errorf("stage %s: list %d, figure %d", st.Stage, got, st.Deals)
		}
	}
}
