package analytics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/reference"
	"econdip/services/tradestats"
)

// tradeConn is the package's database with the trade tables empty.
func tradeConn(t *testing.T) driver.Conn {
	t.Helper()
	conn := migrated(t)
	for _, table := range []string{"trade_exports", "trade_editions"} {
		if err := conn.Exec(context.Background(), "TRUNCATE TABLE "+table); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}

func parseTrade(t *testing.T, name, csv string) *tradestats.File {
	t.Helper()
	f, err := tradestats.Parse(name, []byte(csv), reference.Default())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func importTrade(t *testing.T, conn driver.Conn, by string, files ...*tradestats.File) []analytics.TradeImported {
	t.Helper()
	out, err := analytics.ImportTrade(context.Background(), conn, files, analytics.TradeImportOptions{LoadedBy: by})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func month(s string) time.Time { return day(s + "-01") }

// The July 2026 BNS file imports; its total in ClickHouse is the exact sum
// of its lines, equal to its TOTAL line to the cent; imported twice, it
// counts once, and the second import names the edition it replaced.
func TestTradeImportJuly2026CountsOnce(t *testing.T) {
	conn := tradeConn(t)
	ctx := context.Background()
	file, err := tradestats.Parse(tradestats.DemoFileName, tradestats.DemoFile, reference.Default())
	if err != nil {
		t.Fatal(err)
	}
	exact := decimal.RequireFromString("10169912.7375600024090390")
	stated := decimal.RequireFromString("10169912.73756003")
	check := func(round int) {
		t.Helper()
		var sum decimal.Decimal
		if err := conn.QueryRow(ctx, `SELECT sum(value_thousand_usd) FROM trade_exports
			WHERE edition_id IN (SELECT argMax(edition_id, load_seq) FROM trade_editions GROUP BY month, partner)`).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if !sum.Equal(exact) {
			t.Fatalf("import %d: ClickHouse sums %s thousand USD, the file's lines %s", round, sum, exact)
		}
		if sum.Sub(stated).Abs().GreaterThan(decimal.New(1, -5)) {
			t.Fatalf("import %d: total %s is not the TOTAL line %s to the cent", round, sum, stated)
		}
		cmp, err := analytics.TradeCompare(ctx, conn, analytics.TradeByTotal, analytics.TradeFilter{From: month("2026-07"), To: month("2026-07")})
		if err != nil {
			t.Fatal(err)
		}
		if want := decimal.RequireFromString("10169912737.56"); !cmp.Total.RealisedUSD.Equal(want) {
			t.Fatalf("import %d: realised %s USD, want %s", round, cmp.Total.RealisedUSD, want)
		}
		if strings.Join(cmp.MonthsWith, ",") != "2026-07" || len(cmp.MonthsWithout) != 0 {
			t.Fatalf("months %v / %v", cmp.MonthsWith, cmp.MonthsWithout)
		}
		byChapter, err := analytics.TradeCompare(ctx, conn, analytics.TradeByChapter, analytics.TradeFilter{From: month("2026-07"), To: month("2026-07")})
		if err != nil {
			t.Fatal(err)
		}
		if len(byChapter.Rows) != 97 {
			t.Fatalf("import %d: %d chapters, want 97", round, len(byChapter.Rows))
		}
	}
	first := importTrade(t, conn, "admin", file)
	if len(first) != 1 || first[0].Replaced != nil || first[0].Edition.Chapters != 97 || !first[0].Edition.HasTotal {
		t.Fatalf("first import: %+v", first)
	}
	check(1)
	second := importTrade(t, conn, "ops", file)
	if second[0].Replaced == nil || second[0].Replaced.LoadedBy != "admin" || second[0].Replaced.EditionID != first[0].Edition.EditionID {
		t.Fatalf("second import replaced %+v", second[0].Replaced)
	}
	check(2)
	all, err := analytics.TradeEditions(ctx, conn, false)
	if err != nil {
		t.Fatal(err)
	}
	current, err := analytics.TradeEditions(ctx, conn, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || len(current) != 1 || current[0].LoadedBy != "ops" || current[0].FileSHA256 != file.SHA256 ||
		current[0].FileName != tradestats.DemoFileName || !current[0].TotalThousand.Equal(stated) {
		t.Fatalf("editions: all %+v, current %+v", all, current)
	}
}

// tradeFixture is the statistics set against the export fixture's deals
// (exports_test.go), in thousand USD:
//
//	month    partner  chapter  value
//	2025-03  all      01         100.5   agro-industrial, non-raw
//	2025-03  all      27       10000     mixed sector (mining, petrochemistry), mixed raw/non-raw
//	2025-03  all      76        2000     non-ferrous metallurgy, non-raw
//	2025-06  all      27        5000
//	2025-03  CN       76        1000
//
// No statistics for 2025-09 and 2025-12: D3 (DE, shipped, 2025-09) and D6
// (CN, no rate, 2025-12) fall in months without statistics and are left out.
const tradeFixture = `date,item_code,hs_chapter,value_thousand_usd,hs_description_en,partner_country
2025-03-01,HS01,01,100.5,Animals; live,
2025-03-01,HS27,27,10000,Mineral fuels,
2025-03-01,HS76,76,2000,Aluminium,
2025-03-01,TOTAL,,12100.5,Total,
2025-06-01,HS27,27,5000,Mineral fuels,
2025-03-01,HS76,76,1000,Aluminium,CN
`

// The comparison on a small fixture, worked out by hand:
//
//	realised, all partners, 2025: 100,500 + 10,000,000 + 2,000,000 + 5,000,000 = 17,100,500.00 USD
//	deals in months with statistics: D1 (paid, 760110, 2025-03, 500,000) and D2 (contracted, 270900, 2025-06, 300,000)
//	coverage 800,000 / 17,100,500 = 0.046782... -> 0.0468
//	realised non-raw: chapters 01 and 76 = 2,100,500 / 17,100,500 = 0.12283... -> 0.1228; mixed (27) 0.8772
//	deals non-raw: D1 only (2709 is raw) = 500,000 / 800,000 = 0.6250
//	CN: realised 1,000,000 (2025-03); D1 500,000 in that month: 0.5000; D2 (June) has no CN statistics
func TestTradeCompare(t *testing.T) {
	loadExportFixture(t)
	conn := tradeConn(t)
	ctx := context.Background()
	importTrade(t, conn, "admin", parseTrade(t, "fixture.csv", tradeFixture))
	year := analytics.TradeFilter{From: month("2025-01"), To: month("2025-12")}
	total, err := analytics.TradeCompare(ctx, conn, analytics.TradeByTotal, year)
	if err != nil {
		t.Fatal(err)
	}
	tot := total.Total
	want := func(what string, got *decimal.Decimal, w string) {
		t.Helper()
		if got == nil || !got.Equal(decimal.RequireFromString(w)) {
			t.Errorf("%s = %v, want %s", what, got, w)
		}
	}
	want("realised", &tot.RealisedUSD, "17100500")
	want("realised non-raw", &tot.RealisedNonRawUSD, "2100500")
	want("realised mixed", &tot.RealisedMixedUSD, "15000000")
	want("deals", &tot.DealsUSD, "800000")
	want("paid", &tot.Paid.USD, "500000")
	want("contracted", &tot.Contracted.USD, "300000")
	want("coverage", tot.Coverage, "0.0468")
	want("realised non-raw share", tot.RealisedNonRaw, "0.1228")
	want("realised mixed share", tot.RealisedMixed, "0.8772")
	want("deals non-raw share", tot.DealsNonRaw, "0.625")
	if tot.Deals() != 2 || tot.Shipped.Deals != 0 || tot.DealsWithoutRate != 0 {
		t.Errorf("deals %d, shipped %d, without rate %d", tot.Deals(), tot.Shipped.Deals, tot.DealsWithoutRate)
	}
	if strings.Join(total.MonthsWith, ",") != "2025-03,2025-06" || len(total.MonthsWithout) != 10 {
		t.Errorf("months with %v, without %v", total.MonthsWith, total.MonthsWithout)
	}

	byChapter, err := analytics.TradeCompare(ctx, conn, analytics.TradeByChapter, year)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range byChapter.Rows {
		got = append(got, r.Key+" "+r.RealisedUSD.String()+" "+r.DealsUSD.String()+" "+fixedOr(r.Coverage))
	}
	if w := "01 100500 0 0; 27 15000000 300000 0.02; 76 2000000 500000 0.25"; strings.Join(got, "; ") != w {
		t.Errorf("by chapter: %s, want %s", strings.Join(got, "; "), w)
	}

	bySector, err := analytics.TradeCompare(ctx, conn, analytics.TradeBySector, year)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, r := range bySector.Rows {
		got = append(got, r.Key+" "+r.RealisedUSD.String()+" "+r.DealsUSD.String())
	}
	if w := "agro_industrial 100500 0; mixed 15000000 300000; non_ferrous_metallurgy 2000000 500000"; strings.Join(got, "; ") != w {
		t.Errorf("by sector: %s, want %s", strings.Join(got, "; "), w)
	}

	byClass, err := analytics.TradeCompare(ctx, conn, analytics.TradeByClass, analytics.TradeFilter{From: month("2025-01"), To: month("2025-12"), Class: analytics.ClassNonRaw})
	if err != nil {
		t.Fatal(err)
	}
	if len(byClass.Rows) != 1 || byClass.Rows[0].Key != "non_raw" || !byClass.Total.RealisedUSD.Equal(decimal.RequireFromString("2100500")) ||
		!byClass.Total.DealsUSD.Equal(decimal.RequireFromString("500000")) {
		t.Errorf("non-raw only: %+v", byClass)
	}

	byPartner, err := analytics.TradeCompare(ctx, conn, analytics.TradeByPartner, year)
	if err != nil {
		t.Fatal(err)
	}
	if len(byPartner.Rows) != 1 || byPartner.Rows[0].Key != "CN" || !byPartner.Rows[0].RealisedUSD.Equal(decimal.RequireFromString("1000000")) ||
		!byPartner.Rows[0].DealsUSD.Equal(decimal.RequireFromString("500000")) || fixedOr(byPartner.Rows[0].Coverage) != "0.5" {
		t.Errorf("by partner: %+v", byPartner.Rows)
	}
	cn, err := analytics.TradeCompare(ctx, conn, analytics.TradeByTotal, analytics.TradeFilter{From: month("2025-01"), To: month("2025-12"), Partner: "CN"})
	if err != nil {
		t.Fatal(err)
	}
	if !cn.Total.RealisedUSD.Equal(decimal.RequireFromString("1000000")) || !cn.Total.DealsUSD.Equal(decimal.RequireFromString("500000")) ||
		strings.Join(cn.MonthsWith, ",") != "2025-03" {
		t.Errorf("CN: %+v", cn)
	}

	// A corrected March, without chapter 01, replaces the first: 01 is gone
	// although the new edition says nothing of it.
	importTrade(t, conn, "admin", parseTrade(t, "march-corrected.csv", "date,item_code,hs_chapter,value_thousand_usd\n2025-03-01,HS27,27,10000\n2025-03-01,HS76,76,3000\n"))
	total, err = analytics.TradeCompare(ctx, conn, analytics.TradeByTotal, year)
	if err != nil {
		t.Fatal(err)
	}
	want("realised after the correction", &total.Total.RealisedUSD, "18000000")

	// The scorecard's non-raw exports of clause 2.7 gain the realised line:
	// after the correction, March's 76 (3,000,000) is the only non-raw chapter.
	rows, err := analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: 2025, Today: day("2026-12-07"), Scope: "clause", Code: "2.7"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if r.Metric != "non_raw_exports_usd" {
			continue
		}
		found = true
		if r.RealisedBNS == nil || !r.RealisedBNS.Value.Equal(decimal.RequireFromString("3000000")) || strings.Join(r.RealisedBNS.Months, ",") != "2025-03,2025-06" {
			t.Errorf("realised line of 2.7: %+v", r.RealisedBNS)
		}
	}
	if !found {
		t.Errorf("no non-raw exports row for 2.7: %+v", rows)
	}
	rows, err = analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: 2025, Today: day("2026-12-07"), Scope: "clause", Code: "2.7", Post: "de-berlin"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.RealisedBNS != nil {
			t.Errorf("a post's scorecard has a realised line: %+v", r)
		}
	}
}

func fixedOr(d *decimal.Decimal) string {
	if d == nil {
		return "-"
	}
	return d.String()
}

// In KZT, each month's realised USD converts at the KZT per USD in force on
// the month's last day (the demo rates' USD rate on or before it), exact and
// rounded to the cent after the sum; the shares stay the USD ones, and the
// deals keep their days' rates (their KZT is the sum of amount_kzt).
func TestTradeRealisedInKZTAtMonthEndRates(t *testing.T) {
	loadExportFixture(t)
	conn := tradeConn(t)
	ctx := context.Background()
	importTrade(t, conn, "admin", parseTrade(t, "fixture.csv", tradeFixture))
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	rateOn := func(d string) decimal.Decimal {
		t.Helper()
		r, from, ok := rs.At("USD", day(d))
		if !ok || day(d).Sub(from) > time.Duration(reference.DefaultRateLimits.MaxAgeDays)*24*time.Hour {
			t.Fatalf("no USD rate in force on %s", d)
		}
		return r
	}
	march, june := rateOn("2025-03-31"), rateOn("2025-06-30")
	thousand := decimal.NewFromInt(1000)
	// March all partners: 100.5 + 10,000 + 2,000 thousand USD; June: 5,000.
	wantMarch := decimal.RequireFromString("12100.5").Mul(thousand).Mul(march)
	wantJune := decimal.RequireFromString("5000").Mul(thousand).Mul(june)

	byMonth, err := analytics.TradeCompare(ctx, conn, analytics.TradeByMonth, analytics.TradeFilter{From: month("2025-01"), To: month("2025-12")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]analytics.TradeFigure{}
	for _, r := range byMonth.Rows {
		got[r.Key] = r
	}
	if m := got["2025-03"]; !m.RealisedKZT.Equal(wantMarch.Round(2)) || !m.RealisedUSD.Equal(decimal.RequireFromString("12100500")) {
		t.Errorf("March: %s KZT (%s USD), want %s KZT at %s", m.RealisedKZT, m.RealisedUSD, wantMarch.Round(2), march)
	}
	if m := got["2025-03"]; !m.RealisedNonRawKZT.Equal(decimal.RequireFromString("2100.5").Mul(thousand).Mul(march).Round(2)) {
		t.Errorf("March non-raw: %s KZT", m.RealisedNonRawKZT)
	}
	if m := got["2025-06"]; !m.RealisedKZT.Equal(wantJune.Round(2)) {
		t.Errorf("June: %s KZT, want %s", m.RealisedKZT, wantJune.Round(2))
	}
	tot := byMonth.Total
	if !tot.RealisedKZT.Equal(wantMarch.Add(wantJune).Round(2)) {
		t.Errorf("total %s KZT, want %s", tot.RealisedKZT, wantMarch.Add(wantJune).Round(2))
	}
	if len(byMonth.MonthsWithoutRate) != 0 || len(byMonth.MonthRates) != 2 || !byMonth.MonthRates[0].KZTPerUSD.Equal(march) ||
		!byMonth.MonthRates[0].LastDay.Equal(day("2025-03-31")) {
		t.Errorf("month rates %+v, without rate %v", byMonth.MonthRates, byMonth.MonthsWithoutRate)
	}
	// The deals in KZT: D1 (paid, March) and D2 (contracted, June) at their days' rates.
	if !tot.DealsKZT.Equal(tot.Paid.KZT.Add(tot.Contracted.KZT)) || !tot.DealsKZT.IsPositive() || tot.DealsKZT.Equal(tot.DealsUSD) {
		t.Errorf("deals %s KZT (paid %s, contracted %s)", tot.DealsKZT, tot.Paid.KZT, tot.Contracted.KZT)
	}
	// Shares are unit-free: the KZT ratios of the realised side agree to rounding
	// only within a month; the figure carries the one share for both units.
	if fixedOr(tot.Coverage) != "0.0468" || fixedOr(tot.RealisedNonRaw) != "0.1228" {
		t.Errorf("shares changed: coverage %s, non-raw %s", fixedOr(tot.Coverage), fixedOr(tot.RealisedNonRaw))
	}
	marchShare := got["2025-03"].RealisedNonRawKZT.DivRound(got["2025-03"].RealisedKZT, 4)
	if !marchShare.Equal(*got["2025-03"].RealisedNonRaw) {
		t.Errorf("March non-raw share in KZT %s, in USD %s", marchShare, got["2025-03"].RealisedNonRaw)
	}

	// A month whose last day has no rate within the hard limit (2019-12: before
	// the demo rates begin) is without rate: listed, and nothing in KZT.
	importTrade(t, conn, "admin", parseTrade(t, "old.csv", "date,item_code,hs_chapter,value_thousand_usd\n2019-12-01,HS27,27,10\n"))
	old, err := analytics.TradeCompare(ctx, conn, analytics.TradeByTotal, analytics.TradeFilter{From: month("2019-12"), To: month("2019-12")})
	if err != nil {
		t.Fatal(err)
	}
	if !old.Total.RealisedUSD.Equal(decimal.NewFromInt(10000)) || !old.Total.RealisedKZT.IsZero() || strings.Join(old.MonthsWithoutRate, ",") != "2019-12" {
		t.Errorf("month without rate: %s USD, %s KZT, without rate %v", old.Total.RealisedUSD, old.Total.RealisedKZT, old.MonthsWithoutRate)
	}
}
