package analytics_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/reference"
)

// The export fixture. Values are in USD (value_usd = value) unless said.
// Sector and raw come from the default mapping: 7601 (aluminium) is
// non-ferrous metallurgy, non-raw; 2709 (crude oil) is mining, raw; 2710
// (refined oil) is petrochemistry and refining, non-raw; 1001 (wheat) is
// agro-industrial, raw.
//
//	deal  post        buyer  hs      stage        value          deal date (year)
//	D1    cn-beijing  CN     760110  paid           500,000.00   contract 2025-03-10 (2025)
//	D2    cn-beijing  CN     270900  contracted     300,000.00   contract 2025-06-01 (2025); v1 (negotiating, 250,000.00,
//	                                                              no contract, created 2025-01-15) arrives late
//	D3    de-berlin   DE     271012  shipped        200,000.00   contract 2025-09-15 (2025)
//	D4    de-berlin   DE     760110  negotiating  1,000,000.25   created 2025-11-20 (2025), no contract
//	D5    cn-beijing  UZ     100199  lost            80,000.75   created 2025-02-01 (2025)
//	D6    cn-beijing  CN     271012  contracted   9,000,000 XOF  contract 2025-12-01 (2025): no rate
//	D7    de-berlin   DE     270900  paid           300,000.00   contract 2026-02-10 (2026)
//	D8    de-berlin   FR     760110  contracted     300,000.00   contract 2026-03-05 (2026)
//	D9    cn-beijing  KR     760120  shipped        300,000.00   contract 2026-04-20 (2026)
var dealIDs = func() []string {
	ids := make([]string, 9)
	for i := range ids {
		ids[i] = "d0000000-0000-4000-8000-00000000000" + string(rune('1'+i))
	}
	return ids
}()

// barrierIDs: B1..B8, see barrierFixture.
var barrierIDs = func() []string {
	ids := make([]string, 8)
	for i := range ids {
		ids[i] = "b0000000-0000-4000-8000-00000000000" + string(rune('1'+i))
	}
	return ids
}()

var exporterBINs = []string{"990340004593", "120440012345"}

type dealSpec struct {
	n        int // D1..D9
	version  uint32
	post     string
	buyer    string
	hs       string
	stage    string
	value    string
	currency string
	usd      string // "" for no rate
	contract string // "" for none
	created  string
}

func (s dealSpec) row() analytics.DealStateRow {
	created := day(s.created)
	at := created.Add(9 * time.Hour)
	r := analytics.DealStateRow{
		DealID: dealIDs[s.n-1], Version: s.version, Post: s.post, Attache: "attache." + s.post,
		ExporterBIN: exporterBINs[0], ExporterName: "Fixture Exporter JSC", BuyerCountry: s.buyer, BuyerName: "Buyer " + s.buyer,
		HSCode: s.hs, HSChapter: s.hs[:2], HSHeading: s.hs[:4], Product: "product " + s.hs,
		Value: money(s.value), Currency: s.currency,
		Unit: "t", Stage: s.stage, Support: []string{"b2b_meeting"}, Clauses: []string{"2.7"}, DealDate: created,
		CreatedAt: at, UpdatedAt: at, StageChangedAt: at, EventID: uuid.New(), StreamSeq: uint64(100*s.n) + uint64(s.version),
	}
	if s.n == 1 {
		q := money("1500.5")
		r.Quantity = &q
	}
	if s.contract != "" {
		c := day(s.contract)
		r.ContractDate, r.DealDate = &c, c
	}
	return r
}

type barrierSpec struct {
	n          int // B1..B8
	version    uint32
	country    string
	typ        string
	status     string
	value      string // "" for none
	currency   string
	usd        string // "" for no rate
	reportedOn string
	resolvedOn string
}

func (s barrierSpec) row() analytics.BarrierStateRow {
	at := time.Date(2025, 1, 1, 6, 0, 0, 0, time.UTC)
	r := analytics.BarrierStateRow{
		BarrierID: barrierIDs[s.n-1], Version: s.version, Post: map[string]string{"CN": "cn-beijing", "DE": "de-berlin", "UZ": "uz-tashkent"}[s.country],
		Country: s.country, HSCodes: []string{"7601"}, Type: s.typ, Title: "Barrier B" + string(rune('0'+s.n)), Status: s.status,
		LeadAgency: "mti", Clauses: []string{"2.6"}, ReportedOn: day(s.reportedOn),
		ProgressOn: []time.Time{day(s.reportedOn)}, ProgressText: []string{"reported"}, ProgressAuthor: []string{"attache.x"},
		CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: uint64(100*s.n) + uint64(s.version),
	}
	if s.value != "" {
		r.HasValue, r.ValueAtStake, r.Currency = true, money(s.value), s.currency
	}
	if s.resolvedOn != "" {
		on := day(s.resolvedOn)
		r.ResolvedOn = &on
	}
	return r
}

func exportFixture() (first, late *analytics.Rows) {
	at := time.Date(2025, 1, 5, 6, 0, 0, 0, time.UTC)
	first = &analytics.Rows{
		ExporterStates: []analytics.ExporterStateRow{
			{BIN: exporterBINs[0], Version: 1, Name: "Fixture Exporter (draft)", CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: 1},
			{BIN: exporterBINs[0], Version: 2, Name: "Fixture Exporter JSC", Region: "KZ-55", CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: 2},
			{BIN: exporterBINs[1], Version: 1, Name: "Second Exporter LLP", CreatedAt: at, UpdatedAt: at, EventID: uuid.New(), StreamSeq: 3},
		},
		DealStates: []analytics.DealStateRow{
			dealSpec{1, 1, "cn-beijing", "CN", "760110", "paid", "500000.00", "USD", "500000.00", "2025-03-10", "2025-01-10"}.row(),
			dealSpec{2, 2, "cn-beijing", "CN", "270900", "contracted", "300000.00", "USD", "300000.00", "2025-06-01", "2025-01-15"}.row(),
			dealSpec{3, 1, "de-berlin", "DE", "271012", "shipped", "200000.00", "USD", "200000.00", "2025-09-15", "2025-08-01"}.row(),
			dealSpec{4, 1, "de-berlin", "DE", "760110", "negotiating", "1000000.25", "USD", "1000000.25", "", "2025-11-20"}.row(),
			dealSpec{5, 1, "cn-beijing", "UZ", "100199", "lost", "80000.75", "USD", "80000.75", "", "2025-02-01"}.row(),
			dealSpec{6, 1, "cn-beijing", "CN", "271012", "contracted", "9000000", "XOF", "", "2025-12-01", "2025-10-01"}.row(),
			dealSpec{7, 1, "de-berlin", "DE", "270900", "paid", "300000.00", "USD", "300000.00", "2026-02-10", "2025-12-01"}.row(),
			dealSpec{8, 1, "de-berlin", "FR", "760110", "contracted", "300000.00", "USD", "300000.00", "2026-03-05", "2026-01-20"}.row(),
			dealSpec{9, 1, "cn-beijing", "KR", "760120", "shipped", "300000.00", "USD", "300000.00", "2026-04-20", "2026-02-01"}.row(),
		},
		BarrierStates: barrierFixture(),
		BarrierStatuses: []analytics.BarrierStatusRow{
			{BarrierID: barrierIDs[1], Version: 2, From: "in_negotiation", To: "resolved", EffectiveOn: day("2025-03-02"), Actor: "attache.cn-beijing", Comment: "tariff lifted", Time: at, EventID: uuid.New(), StreamSeq: 202},
			{BarrierID: barrierIDs[2], Version: 2, From: "in_negotiation", To: "resolved", EffectiveOn: day("2025-12-20"), Actor: "attache.de-berlin", Comment: "standard accepted", Time: at, EventID: uuid.New(), StreamSeq: 302},
		},
	}
	// Older versions arriving after the newer ones (late redeliveries): D2 as
	// a negotiating deal without contract, B2 still open with a value at stake.
	late = &analytics.Rows{
		DealStates: []analytics.DealStateRow{
			dealSpec{2, 1, "cn-beijing", "CN", "270900", "negotiating", "250000.00", "USD", "250000.00", "", "2025-01-15"}.row(),
		},
		BarrierStates: []analytics.BarrierStateRow{
			barrierSpec{2, 1, "CN", "tariff", "in_negotiation", "2000000", "USD", "2000000.00", "2025-01-01", ""}.row(),
		},
	}
	return first, late
}

// barrierFixture, with the days to resolve worked out:
//
//	barrier  country  type            status           value at stake            reported    resolved    days
//	B1       CN       sps             in_negotiation   12,000,000.00 USD         2025-01-10  -
//	B2       CN       tariff          resolved (v2)    -                         2025-01-01  2025-03-02  31 + 28 + 1 = 60
//	B3       DE       technical       resolved         -                         2025-02-10  2025-12-20  313
//	B4       UZ       tariff          resolved         -                         2025-06-01  2026-01-15  228
//	B5       DE       sps             dormant          1,000,000 EUR (1,080,000.00 USD)  2025-04-01  -
//	B6       CN       procedural      resolved_partly  500,000.50 USD            2025-05-05  -
//	B7       UZ       discrimination  reported         50,000,000 XOF: no rate   2025-07-07  -
//	B8       DE       tariff          verified         -                         2025-08-08  -
//
// B3: 2025-02-10 to 2025-03-10 is 28 days, to 2025-12-10 another
// 31+30+31+30+31+31+30+31+30 = 275, plus 10: 313. B4: 2025-06-01 to
// 2026-01-01 is 30+31+31+30+31+30+31 = 214, plus 14: 228.
func barrierFixture() []analytics.BarrierStateRow {
	return []analytics.BarrierStateRow{
		barrierSpec{1, 1, "CN", "sps", "in_negotiation", "12000000", "USD", "12000000.00", "2025-01-10", ""}.row(),
		barrierSpec{2, 2, "CN", "tariff", "resolved", "", "", "", "2025-01-01", "2025-03-02"}.row(),
		barrierSpec{3, 2, "DE", "technical", "resolved", "", "", "", "2025-02-10", "2025-12-20"}.row(),
		barrierSpec{4, 3, "UZ", "tariff", "resolved", "", "", "", "2025-06-01", "2026-01-15"}.row(),
		barrierSpec{5, 1, "DE", "sps", "dormant", "1000000", "EUR", "1080000.00", "2025-04-01", ""}.row(),
		barrierSpec{6, 1, "CN", "procedural", "resolved_partly", "500000.50", "USD", "500000.50", "2025-05-05", ""}.row(),
		barrierSpec{7, 1, "UZ", "discrimination", "reported", "50000000", "XOF", "", "2025-07-07", ""}.row(),
		barrierSpec{8, 1, "DE", "tariff", "verified", "", "", "", "2025-08-08", ""}.row(),
	}
}

// removeExportFixture deletes the fixture's rows from the export tables,
// which other tests of the package share, and waits for the deletions.
func removeExportFixture(ctx context.Context, conn driver.Conn) error {
	list := func(ids []string) string { return "'" + strings.Join(ids, "', '") + "'" }
	for _, stmt := range []string{
		"ALTER TABLE deal_states DELETE WHERE deal_id IN (" + list(dealIDs) + ")",
		"ALTER TABLE barrier_states DELETE WHERE barrier_id IN (" + list(barrierIDs) + ")",
		"ALTER TABLE barrier_status_history DELETE WHERE barrier_id IN (" + list(barrierIDs) + ")",
		"ALTER TABLE exporter_states DELETE WHERE bin IN (" + list(exporterBINs) + ")",
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var pending uint64
		if err := conn.QueryRow(ctx, `SELECT count() FROM system.mutations WHERE database = currentDatabase()
			AND table IN ('deal_states', 'barrier_states', 'barrier_status_history', 'exporter_states') AND is_done = 0`).Scan(&pending); err != nil {
			return err
		}
		if pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fixture rows still being removed after 10 s")
		}
	}
}

func loadExportFixture(t *testing.T) {
	t.Helper()
	conn := migrated(t)
	ctx := context.Background()
	clean := func() error { return removeExportFixture(ctx, conn) }
	// Start clean (a previous run may have died before its clean-up), and clean up at the end.
	if err := clean(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := clean(); err != nil {
			t.Errorf("remove the export fixture: %v", err)
		}
		// Leave the default classification behind for the other tests.
		if _, err := analytics.LoadHSClassification(ctx, conn, reference.Default()); err != nil {
			t.Errorf("restore the default classification: %v", err)
		}
	})
	if _, err := analytics.LoadHSClassification(ctx, conn, reference.Default()); err != nil {
		t.Fatal(err)
	}
	first, late := exportFixture()
	// The same rows twice, as a redelivery would insert them, then the late old versions.
	for _, rows := range []*analytics.Rows{first, first, late} {
		if err := analytics.Write(ctx, conn, rows); err != nil {
			t.Fatal(err)
		}
	}
}

func totals(deals uint64, usd, nonRaw string, noRate uint64) analytics.ExportTotals {
	return analytics.ExportTotals{Deals: deals, ValueUSD: money(usd), NonRawUSD: money(nonRaw), DealsWithoutRate: noRate}
}

func sameTotals(a, b analytics.ExportTotals) bool {
	return a.Deals == b.Deals && a.ValueUSD.Equal(b.ValueUSD) && a.NonRawUSD.Equal(b.NonRawUSD) && a.DealsWithoutRate == b.DealsWithoutRate
}

// keyed flattens the figures' rows for comparison: key, then totals.
type keyedWant struct {
	key string
	analytics.ExportTotals
}

func checkKeyed(t *testing.T, what string, keys []string, got []analytics.ExportTotals, want []keyedWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d rows %v %+v, want %+v", what, len(got), keys, got, want)
	}
	for i, w := range want {
		if keys[i] != w.key || !sameTotals(got[i], w.ExportTotals) {
			t.Errorf("%s row %d = %s %+v, want %s %+v", what, i, keys[i], got[i], w.key, w.ExportTotals)
		}
	}
}

func bySector(t *testing.T, conn driver.Conn, f analytics.ExportFilter) ([]string, []analytics.ExportTotals) {
	t.Helper()
	rows, err := analytics.ExportsBySector(context.Background(), conn, f)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	var got []analytics.ExportTotals
	for _, r := range rows {
		if r.Sector != "unassigned" && r.SectorName == "" {
			t.Errorf("sector %s has no name", r.Sector)
		}
		keys, got = append(keys, r.Sector), append(got, r.ExportTotals)
	}
	return keys, got
}

func decimalPtr(s string) *decimal.Decimal {
	if s == "" {
		return nil
	}
	d := money(s)
	return &d
}

func samePtr(a, b *decimal.Decimal) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func fmtPtr(d *decimal.Decimal) string {
	if d == nil {
		return "nil"
	}
	return d.String()
}

func TestExportFigures(t *testing.T) {
	loadExportFixture(t)
	conn := chtest.Conn(t)
	ctx := context.Background()
	all := analytics.ExportFilter{}

	t.Run("tables collapse duplicates and older versions", func(t *testing.T) {
		for q, want := range map[string]uint64{
			"SELECT count() FROM exporter_states FINAL WHERE bin IN ('990340004593', '120440012345')":    2,
			"SELECT count() FROM deal_states FINAL WHERE startsWith(deal_id, 'd0000000-')":               9,
			"SELECT count() FROM barrier_states FINAL WHERE startsWith(barrier_id, 'b0000000-')":         8,
			"SELECT count() FROM barrier_status_history FINAL WHERE startsWith(barrier_id, 'b0000000-')": 2,
			// D2's latest version (2) wins over the late version 1.
			"SELECT toUInt64(version) FROM deal_states FINAL WHERE deal_id = 'd0000000-0000-4000-8000-000000000002'":       2,
			"SELECT toUInt64(version) FROM barrier_states FINAL WHERE barrier_id = 'b0000000-0000-4000-8000-000000000002'": 2,
			// Only D1 states a quantity (1,500.5 t); the others are NULL.
			"SELECT toUInt64(countIf(isNotNull(quantity))) FROM deal_states FINAL WHERE startsWith(deal_id, 'd0000000-')":                      1,
			"SELECT toUInt64(sum(assumeNotNull(quantity)) * 10) FROM deal_states FINAL WHERE deal_id = 'd0000000-0000-4000-8000-000000000001'": 15005,
		} {
			var got uint64
			if err := conn.QueryRow(ctx, q).Scan(&got); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
	})

	t.Run("by stage", func(t *testing.T) {
		rows, err := analytics.ExportsByStage(ctx, conn, all)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		var got []analytics.ExportTotals
		for _, r := range rows {
			keys, got = append(keys, r.Stage), append(got, r.ExportTotals)
		}
		// In stage order; no deal is at opportunity. 1 + 3 + 2 + 2 + 1 = 9 deals.
		checkKeyed(t, "by stage", keys, got, []keyedWant{
			{"negotiating", totals(1, "1000000.25", "1000000.25", 0)}, // D4 (aluminium: non-raw); not D2's late v1
			{"contracted", totals(3, "600000.00", "300000.00", 1)},    // D2 300,000 raw + D8 300,000 non-raw; D6 no rate
			{"shipped", totals(2, "500000.00", "500000.00", 0)},       // D3 200,000 + D9 300,000, both non-raw
			{"paid", totals(2, "800000.00", "500000.00", 0)},          // D1 500,000 non-raw + D7 300,000 raw (crude)
			{"lost", totals(1, "80000.75", "0", 0)},                   // D5 wheat: raw
		})
		// Narrowed: Berlin's mining deals with German buyers: D7 only.
		rows, err = analytics.ExportsByStage(ctx, conn, analytics.ExportFilter{Post: "de-berlin", BuyerCountry: "DE", Sector: "mining"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Stage != "paid" || !sameTotals(rows[0].ExportTotals, totals(1, "300000.00", "0", 0)) {
			t.Errorf("Berlin, DE, mining: %+v", rows)
		}
	})

	t.Run("by sector", func(t *testing.T) {
		keys, got := bySector(t, conn, all)
		// 1 + 2 + 4 + 2 = 9 deals.
		checkKeyed(t, "by sector", keys, got, []keyedWant{
			{"agro_industrial", totals(1, "80000.75", "0", 0)}, // D5
			{"mining", totals(2, "600000.00", "0", 0)},         // D2 + D7, crude: raw
			// D1 500,000 + D4 1,000,000.25 + D8 300,000 + D9 300,000 = 2,100,000.25, all non-raw.
			{"non_ferrous_metallurgy", totals(4, "2100000.25", "2100000.25", 0)},
			{"petrochemistry_refining", totals(2, "200000.00", "200000.00", 1)}, // D3; D6 has no rate
		})
		// Realised or committed in 2025: D1, D2, D3, D6.
		keys, got = bySector(t, conn, analytics.ExportFilter{Years: []int{2025}, Stages: analytics.CommittedStages})
		checkKeyed(t, "by sector 2025 committed", keys, got, []keyedWant{
			{"mining", totals(1, "300000.00", "0", 0)},
			{"non_ferrous_metallurgy", totals(1, "500000.00", "500000.00", 0)},
			{"petrochemistry_refining", totals(2, "200000.00", "200000.00", 1)},
		})
		keys, got = bySector(t, conn, analytics.ExportFilter{Sector: "unassigned"})
		if len(keys) != 0 {
			t.Errorf("no fixture deal is unassigned: %v %+v", keys, got)
		}
	})

	t.Run("by destination", func(t *testing.T) {
		rows, err := analytics.ExportsByDestination(ctx, conn, analytics.ExportFilter{Years: []int{2025}})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		var got []analytics.ExportTotals
		for _, r := range rows {
			keys, got = append(keys, r.BuyerCountry), append(got, r.ExportTotals)
		}
		// 2025 deals, the largest value first.
		checkKeyed(t, "by destination 2025", keys, got, []keyedWant{
			{"DE", totals(2, "1200000.25", "1200000.25", 0)}, // D3 200,000 + D4 1,000,000.25
			{"CN", totals(3, "800000.00", "500000.00", 1)},   // D1 500,000 + D2 300,000 (raw); D6 no rate
			{"UZ", totals(1, "80000.75", "0", 0)},            // D5
		})
		// Equal values are ordered by country: D8 (FR) and D9 (KR), 300,000 each.
		rows, err = analytics.ExportsByDestination(ctx, conn, analytics.ExportFilter{Sector: "non_ferrous_metallurgy", Stages: []string{"contracted", "shipped"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].BuyerCountry != "FR" || rows[1].BuyerCountry != "KR" ||
			!sameTotals(rows[0].ExportTotals, totals(1, "300000.00", "300000.00", 0)) || !sameTotals(rows[1].ExportTotals, totals(1, "300000.00", "300000.00", 0)) {
			t.Errorf("non-ferrous contracted or shipped: %+v", rows)
		}
	})

	t.Run("by chapter", func(t *testing.T) {
		rows, err := analytics.ExportsByChapter(ctx, conn, all)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		var got []analytics.ExportTotals
		for _, r := range rows {
			keys, got = append(keys, r.Chapter), append(got, r.ExportTotals)
		}
		checkKeyed(t, "by chapter", keys, got, []keyedWant{
			{"10", totals(1, "80000.75", "0", 0)},            // D5
			{"27", totals(4, "800000.00", "200000.00", 1)},   // D2 300,000 + D3 200,000 + D7 300,000; non-raw D3 only; D6 no rate
			{"76", totals(4, "2100000.25", "2100000.25", 0)}, // D1, D4, D8, D9
		})
	})

	t.Run("non-raw share", func(t *testing.T) {
		got, err := analytics.NonRawShare(ctx, conn, all)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			year  uint16
			tot   analytics.ExportTotals
			share string
		}{
			// Contracted or later, 2025: D1 500,000 (non-raw) + D2 300,000 (raw) + D3 200,000 (non-raw) = 1,000,000;
			// non-raw 700,000; share 700,000 / 1,000,000 = 0.7000. D6 has no rate; D4 (negotiating) and D5 (lost) do not count.
			{2025, totals(4, "1000000.00", "700000.00", 1), "0.7"},
			// 2026: D7 300,000 (raw) + D8 300,000 + D9 300,000 = 900,000; non-raw 600,000; 2/3 = 0.6667.
			{2026, totals(3, "900000.00", "600000.00", 0), "0.6667"},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v", got)
		}
		for i, w := range want {
			if got[i].Year != w.year || !sameTotals(got[i].ExportTotals, w.tot) || !samePtr(got[i].Share, decimalPtr(w.share)) {
				t.Errorf("year %d = %+v share %s, want %+v share %s", got[i].Year, got[i].ExportTotals, fmtPtr(got[i].Share), w.tot, w.share)
			}
		}
		// A stage filter narrows the rule: paid only. 2025: D1 non-raw, 1.0000; 2026: D7 raw, 0.0000.
		got, err = analytics.NonRawShare(ctx, conn, analytics.ExportFilter{Stages: []string{"paid"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !samePtr(got[0].Share, decimalPtr("1")) || !samePtr(got[1].Share, decimalPtr("0")) {
			t.Errorf("paid only: %+v", got)
		}
		// A stage outside the rule leaves nothing.
		if got, err := analytics.NonRawShare(ctx, conn, analytics.ExportFilter{Stages: []string{"negotiating"}}); err != nil || len(got) != 0 {
			t.Errorf("negotiating only: %+v, %v", got, err)
		}
	})

	t.Run("markets and products", func(t *testing.T) {
		got, err := analytics.MarketsAndProducts(ctx, conn, all)
		if err != nil {
			t.Fatal(err)
		}
		want := []analytics.MarketsProductsYear{
			// 2025 contracted or later: D1 CN 7601, D2 CN 2709, D3 DE 2710, D6 CN 2710 (counted without a rate):
			// markets {CN, DE} = 2, headings {7601, 2709, 2710} = 3.
			{Year: 2025, Deals: 4, Markets: 2, Products: 3},
			// 2026: D7 DE 2709, D8 FR 7601, D9 KR 7601: markets 3, headings {2709, 7601} = 2 (760110 and 760120 share 7601).
			{Year: 2026, Deals: 3, Markets: 3, Products: 2},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})

	t.Run("concentration", func(t *testing.T) {
		got, err := analytics.Concentration(ctx, conn, all)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			year               uint16
			usd                string
			markets, products  uint64
			marketsHHI, prodHH string
			noRate             uint64
		}{
			// 2025, value 1,000,000 (D6 has no rate):
			//   markets  CN 800,000 (80 %), DE 200,000 (20 %):           80² + 20² = 6,400 + 400 = 6,800
			//   products 7601 500,000 (50 %), 2709 300,000 (30 %), 2710 200,000 (20 %): 2,500 + 900 + 400 = 3,800
			{2025, "1000000.00", 2, 3, "6800", "3800", 1},
			// 2026, value 900,000:
			//   markets  DE, FR, KR 300,000 each (1/3):  3 × (100/3)² = 10,000/3 = 3,333.33
			//   products 2709 300,000 (1/3), 7601 600,000 (2/3): (100/3)² + (200/3)² = 1,111.11 + 4,444.44 = 50,000/9 = 5,555.56
			{2026, "900000.00", 3, 2, "3333.33", "5555.56", 0},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v", got)
		}
		for i, w := range want {
			g := got[i]
			if g.Year != w.year || !g.ValueUSD.Equal(money(w.usd)) || g.Markets != w.markets || g.Products != w.products ||
				!samePtr(g.MarketsHHI, decimalPtr(w.marketsHHI)) || !samePtr(g.ProductsHHI, decimalPtr(w.prodHH)) || g.DealsWithoutRate != w.noRate {
				t.Errorf("row %d = %+v (HHI markets %s products %s), want %+v", i, g, fmtPtr(g.MarketsHHI), fmtPtr(g.ProductsHHI), w)
			}
		}
		// One market only: Beijing's 2026 deal D9 holds all the value, HHI 100² = 10,000.
		got, err = analytics.Concentration(ctx, conn, analytics.ExportFilter{Post: "cn-beijing", Years: []int{2026}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !samePtr(got[0].MarketsHHI, decimalPtr("10000")) || !samePtr(got[0].ProductsHHI, decimalPtr("10000")) {
			t.Errorf("one market: %+v", got)
		}
		// A year whose only committed deal has no rate: no value, no index.
		got, err = analytics.Concentration(ctx, conn, analytics.ExportFilter{Sector: "petrochemistry_refining", BuyerCountry: "CN"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].MarketsHHI != nil || got[0].ProductsHHI != nil || got[0].DealsWithoutRate != 1 || !got[0].ValueUSD.IsZero() {
			t.Errorf("no value: %+v", got)
		}
	})
}

func TestExportsFollowTheEditedMapping(t *testing.T) {
	loadExportFixture(t)
	conn := chtest.Conn(t)
	ctx := context.Background()
	committed2025 := analytics.ExportFilter{Years: []int{2025}, Stages: analytics.CommittedStages}

	// The default mapping: D1 (760110) non-raw in non-ferrous metallurgy, D3
	// (271012) non-raw in petrochemistry and refining, D2 (270900) raw in mining.
	keys, got := bySector(t, conn, committed2025)
	checkKeyed(t, "default mapping", keys, got, []keyedWant{
		{"mining", totals(1, "300000.00", "0", 0)},
		{"non_ferrous_metallurgy", totals(1, "500000.00", "500000.00", 0)},
		{"petrochemistry_refining", totals(2, "200000.00", "200000.00", 1)},
	})

	// An administrator edits the mapping files: heading 7601 (aluminium) goes
	// to machine building (one line of the sectors file) and becomes raw (one
	// line added to the raw-commodity file). Then a restart reloads the
	// classification; no event is replayed, no deal row changes.
	dir := t.TempDir()
	if err := reference.WriteMappingFiles(dir, false); err != nil {
		t.Fatal(err)
	}
	sectorsFile := filepath.Join(dir, reference.MappingSectorsFile)
	sectors, err := os.ReadFile(sectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(sectors), `"84;85;86;87;88;89;90",""`, `"84;85;86;87;88;89;90","7601"`, 1)
	if edited == string(sectors) {
		t.Fatal("the edit did not apply: the machine_building line changed")
	}
	if err := os.WriteFile(sectorsFile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	rawFile := filepath.Join(dir, reference.MappingRawFile)
	raw, err := os.ReadFile(rawFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rawFile, append(raw, "7601,Unwrought aluminium\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	mapped, err := reference.Default().WithMappingDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The deals' latest states, fingerprinted (FINAL: a background merge may
	// collapse duplicates meanwhile, which changes no latest state).
	const fingerprint = `SELECT toUInt64(count()), sum(cityHash64(deal_id, version, hs_code, toString(event_id))) FROM deal_states FINAL`
	var before, after [2]uint64
	if err := conn.QueryRow(ctx, fingerprint).Scan(&before[0], &before[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := analytics.LoadHSClassification(ctx, conn, mapped); err != nil {
		t.Fatal(err)
	}

	// D1 has moved to machine building and is now raw; the other deals stay.
	keys, got = bySector(t, conn, committed2025)
	checkKeyed(t, "edited mapping", keys, got, []keyedWant{
		{"machine_building", totals(1, "500000.00", "0", 0)},
		{"mining", totals(1, "300000.00", "0", 0)},
		{"petrochemistry_refining", totals(2, "200000.00", "200000.00", 1)},
	})
	// The non-raw share follows: 2025 non-raw is D3's 200,000 of 1,000,000 = 0.2000;
	// 2026: D7 crude, D8 and D9 aluminium, all raw now: 0 of 900,000 = 0.0000.
	shares, err := analytics.NonRawShare(ctx, conn, analytics.ExportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(shares) != 2 || !samePtr(shares[0].Share, decimalPtr("0.2")) || !samePtr(shares[1].Share, decimalPtr("0")) {
		t.Errorf("shares under the edited mapping: %+v", shares)
	}
	// The sector filter reads the current mapping too.
	keys, _ = bySector(t, conn, analytics.ExportFilter{Sector: "non_ferrous_metallurgy"})
	if len(keys) != 0 {
		t.Errorf("no deal is in non-ferrous metallurgy any more: %v", keys)
	}
	if err := conn.QueryRow(ctx, fingerprint).Scan(&after[0], &after[1]); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("deal_states changed from %v to %v: reclassifying must not touch the deals", before, after)
	}
}

func TestLoadHSClassificationReplacesTheTableForReaders(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	ref := reference.Default()
	n, err := analytics.LoadHSClassification(ctx, conn, ref)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(analytics.HSClassification(ref)); n != want {
		t.Fatalf("loaded %d codes, want %d", n, want)
	}
	// Readers running while the table is replaced again and again see the
	// whole classification every time: never an error, never a missing or
	// partly filled table.
	var reads, bad atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var got uint64
				err := conn.QueryRow(ctx, "SELECT count() FROM hs_classification WHERE raw = 1 OR raw = 0").Scan(&got)
				reads.Add(1)
				if err != nil || got != uint64(n) {
					bad.Add(1)
					t.Errorf("a reader saw %d rows (err %v), want %d", got, err, n)
				}
			}
		}()
	}
	for range 5 {
		if _, err := analytics.LoadHSClassification(ctx, conn, ref); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if reads.Load() == 0 {
		t.Error("no read ran during the reloads")
	}
	// Nothing left behind but hs_classification itself.
	var left uint64
	if err := conn.QueryRow(ctx, `SELECT count() FROM system.tables WHERE database = currentDatabase()
		AND startsWith(name, 'hs_classification')`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 1 {
		t.Errorf("%d hs_classification tables, want 1", left)
	}
	var row struct {
		chapter, heading, sector, name string
		raw                            uint8
	}
	if err := conn.QueryRow(ctx, "SELECT chapter, heading, sector, sector_name, raw FROM hs_classification WHERE hs6 = '270900'").
		Scan(&row.chapter, &row.heading, &row.sector, &row.name, &row.raw); err != nil {
		t.Fatal(err)
	}
	if row.chapter != "27" || row.heading != "2709" || row.sector != "mining" || row.name != "Mining" || row.raw != 1 {
		t.Errorf("270900 = %+v", row)
	}
}

func TestBarrierFigures(t *testing.T) {
	loadExportFixture(t)
	conn := chtest.Conn(t)
	ctx := context.Background()

	t.Run("all", func(t *testing.T) {
		got, err := analytics.Barriers(ctx, conn, analytics.BarrierFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// Open: B1, B6 (resolved partly is not resolved), B7, B8 = 4; dormant B5; resolved B2, B3, B4: 4 + 1 + 3 = 8.
		// B2's late version 1 (open, 2,000,000 at stake) does not count.
		// Open value at stake: B1 12,000,000.00 + B6 500,000.50 = 12,500,000.50 (B8 states none, B7 has no rate,
		// B5 is dormant). Days to resolve 60, 228, 313: median 228.
		want := analytics.BarrierTally{Barriers: 8, Open: 4, Dormant: 1, Resolved: 3,
			OpenValueAtStakeUSD: money("12500000.50"), OpenWithoutRate: 1, MedianDaysToResolve: decimalPtr("228")}
		checkTally(t, "all", got, want)

		// China only: B1, B2, B6: open 2, resolved 1 (60 days).
		got, err = analytics.Barriers(ctx, conn, analytics.BarrierFilter{Country: "CN"})
		if err != nil {
			t.Fatal(err)
		}
		checkTally(t, "CN", got, analytics.BarrierTally{Barriers: 3, Open: 2, Resolved: 1,
			OpenValueAtStakeUSD: money("12500000.50"), MedianDaysToResolve: decimalPtr("60")})

		// A filter nothing matches: all zero, no median.
		got, err = analytics.Barriers(ctx, conn, analytics.BarrierFilter{Post: "no-such-post"})
		if err != nil {
			t.Fatal(err)
		}
		checkTally(t, "none", got, analytics.BarrierTally{OpenValueAtStakeUSD: decimal.Zero})
	})

	t.Run("by type", func(t *testing.T) {
		got, err := analytics.BarriersByType(ctx, conn, analytics.BarrierFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// 1 + 1 + 2 + 3 + 1 = 8 barriers.
		want := []analytics.BarrierTypeTally{
			{Type: "discrimination", BarrierTally: analytics.BarrierTally{Barriers: 1, Open: 1, OpenValueAtStakeUSD: money("0"), OpenWithoutRate: 1}}, // B7
			{Type: "procedural", BarrierTally: analytics.BarrierTally{Barriers: 1, Open: 1, OpenValueAtStakeUSD: money("500000.50")}},                 // B6
			{Type: "sps", BarrierTally: analytics.BarrierTally{Barriers: 2, Open: 1, Dormant: 1, OpenValueAtStakeUSD: money("12000000")}},             // B1 open, B5 dormant
			// B2 (60 days), B4 (228 days) resolved, B8 open without a value: median (60 + 228) / 2 = 144.
			{Type: "tariff", BarrierTally: analytics.BarrierTally{Barriers: 3, Open: 1, Resolved: 2, OpenValueAtStakeUSD: money("0"), MedianDaysToResolve: decimalPtr("144")}},
			{Type: "technical", BarrierTally: analytics.BarrierTally{Barriers: 1, Resolved: 1, OpenValueAtStakeUSD: money("0"), MedianDaysToResolve: decimalPtr("313")}}, // B3
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v", got)
		}
		for i, w := range want {
			if got[i].Type != w.Type {
				t.Errorf("row %d is %s, want %s", i, got[i].Type, w.Type)
			}
			checkTally(t, w.Type, got[i].BarrierTally, w.BarrierTally)
		}
	})

	t.Run("by country", func(t *testing.T) {
		got, err := analytics.BarriersByCountry(ctx, conn, analytics.BarrierFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// 3 + 3 + 2 = 8 barriers.
		want := []analytics.BarrierCountryTally{
			// B1 open 12,000,000.00, B6 open 500,000.50, B2 resolved in 60 days.
			{Country: "CN", BarrierTally: analytics.BarrierTally{Barriers: 3, Open: 2, Resolved: 1, OpenValueAtStakeUSD: money("12500000.50"), MedianDaysToResolve: decimalPtr("60")}},
			// B3 resolved in 313 days, B5 dormant, B8 open without a value.
			{Country: "DE", BarrierTally: analytics.BarrierTally{Barriers: 3, Open: 1, Dormant: 1, Resolved: 1, OpenValueAtStakeUSD: money("0"), MedianDaysToResolve: decimalPtr("313")}},
			// B4 resolved in 228 days, B7 open without a rate.
			{Country: "UZ", BarrierTally: analytics.BarrierTally{Barriers: 2, Open: 1, Resolved: 1, OpenValueAtStakeUSD: money("0"), OpenWithoutRate: 1, MedianDaysToResolve: decimalPtr("228")}},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v", got)
		}
		for i, w := range want {
			if got[i].Country != w.Country {
				t.Errorf("row %d is %s, want %s", i, got[i].Country, w.Country)
			}
			checkTally(t, w.Country, got[i].BarrierTally, w.BarrierTally)
		}
	})

	t.Run("resolved by year", func(t *testing.T) {
		got, err := analytics.BarriersResolvedByYear(ctx, conn, analytics.BarrierFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			year     uint16
			resolved uint64
			median   string
		}{
			{2025, 2, "186.5"}, // B2 (60 days) and B3 (313 days): an even count, (60 + 313) / 2 = 186.5
			{2026, 1, "228"},   // B4
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v", got)
		}
		for i, w := range want {
			if got[i].Year != w.year || got[i].Resolved != w.resolved || !samePtr(got[i].MedianDaysToResolve, decimalPtr(w.median)) {
				t.Errorf("row %d = %d %d %s, want %+v", i, got[i].Year, got[i].Resolved, fmtPtr(got[i].MedianDaysToResolve), w)
			}
		}
	})
}

func checkTally(t *testing.T, what string, got, want analytics.BarrierTally) {
	t.Helper()
	if got.Barriers != want.Barriers || got.Open != want.Open || got.Dormant != want.Dormant || got.Resolved != want.Resolved ||
		!got.OpenValueAtStakeUSD.Equal(want.OpenValueAtStakeUSD) || got.OpenWithoutRate != want.OpenWithoutRate ||
		!samePtr(got.MedianDaysToResolve, want.MedianDaysToResolve) {
		t.Errorf("%s = %+v (median %s), want %+v (median %s)", what, got, fmtPtr(got.MedianDaysToResolve), want, fmtPtr(want.MedianDaysToResolve))
	}
}
