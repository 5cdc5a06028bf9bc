package analytics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/reference"
)

// nbkDay is a day of the National Bank's rates XML written for this test in
// the feed's format (invented values near the real ones): USD, EUR, RUB,
// CNY, TRY, AED, UZS per 100 units, KGS.
const nbkDay = `<?xml version="1.0" encoding="utf-8"?>
<rates>
  <generator>nationalbank.kz</generator>
  <title>Official exchange rates of National Bank of Republic Kazakhstan</title>
  <date>03.11.2026</date>
  <item><fullname>ДОЛЛАР США</fullname><title>USD</title><description>512.37</description><quant>1</quant><index>UP</index><change>1.21</change></item>
  <item><fullname>ЕВРО</fullname><title>EUR</title><description>590,12</description><quant>1</quant><index>DOWN</index><change>-0.5</change></item>
  <item><fullname>РОССИЙСКИЙ РУБЛЬ</fullname><title>RUB</title><description>6.37</description><quant>1</quant><index>DOWN</index><change>-0.02</change></item>
  <item><fullname>КИТАЙСКИЙ ЮАНЬ</fullname><title>CNY</title><description>71.93</description><quant>1</quant><index>UP</index><change>0.11</change></item>
  <item><fullname>ТУРЕЦКАЯ ЛИРА</fullname><title>TRY</title><description>11.62</description><quant>1</quant><index></index><change>0.00</change></item>
  <item><fullname>ДИРХАМ ОАЭ</fullname><title>AED</title><description>139.51</description><quant>1</quant><index>UP</index><change>0.33</change></item>
  <item><fullname>100 УЗБЕКСКИХ СУМОВ</fullname><title>UZS</title><description>4,21</description><quant>100</quant><index>DOWN</index><change>-0.01</change></item>
  <item><fullname>КЫРГЫЗСКИЙ СОМ</fullname><title>KGS</title><description>5.86</description><quant>1</quant><index>UP</index><change>0.01</change></item>
</rates>
`

// Done when (issue 16): a small NBK XML day is imported; a lead in roubles
// and a deal in Uzbek som then convert to USD and KZT exactly as computed by
// hand, in Go and in ClickHouse; a record dated after the last rate is
// flagged stale, and past the hard limit it has no rate.
func TestNBKDayConvertsARoubleLeadAndAnUzbekDeal(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	ref := reference.Default()
	rs, sum, err := ref.ImportRates(nil, []reference.RatesInput{{Name: "03.11.2026.xml", Body: []byte(nbkDay)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Days != 1 || len(sum.Currencies) != 8 || len(sum.Gaps) != 0 {
		t.Fatalf("summary %+v", sum)
	}
	lim := reference.DefaultRateLimits
	if _, _, err := analytics.LoadRates(ctx, conn, rs, lim, "03.11.2026.xml"); err != nil {
		t.Fatal(err)
	}
	defer func() { // the demo rates back for the other tests
		demo, _ := ref.DemoRates()
		if _, _, err := analytics.LoadRates(ctx, conn, demo, lim, "demo"); err != nil {
			t.Fatal(err)
		}
	}()
	cases := []struct {
		what, amount, cur, on string
		usd, kzt              string
		stale, noRate         bool
	}{
		// 123,456,789.50 RUB × 6.37 = 786,419,749.1150 KZT → 786,419,749.12;
		// / 512.37 = 1,534,866.8913… USD → 1,534,866.89.
		{"lead in RUB", "123456789.50", "RUB", "2026-11-03", "1534866.89", "786419749.12", false, false},
		// 9,876,543,210 UZS × 4.21 / 100 = 415,802,469.141 KZT → 415,802,469.14;
		// / 512.37 = 811,527.7419… USD → 811,527.74. Two days after the rate: not stale.
		{"deal in UZS", "9876543210", "UZS", "2026-11-05", "811527.74", "415802469.14", false, false},
		// 8 days after the last rate: converted, flagged stale.
		{"deal after the last rate", "9876543210", "UZS", "2026-11-11", "811527.74", "415802469.14", true, false},
		// 46 days after: past the hard limit, without rate.
		{"deal long after the last rate", "9876543210", "UZS", "2026-12-19", "0", "0", false, true},
	}
	var selects []string
	for i, c := range cases {
		selects = append(selects, "SELECT toInt32("+decimal.NewFromInt(int64(i)).String()+") AS n, toDecimal128('"+c.amount+"', 4) AS fx_amount, '"+c.cur+"' AS fx_currency, toDate('"+c.on+"') AS fx_day")
		conv, err := rs.Convert(decimal.RequireFromString(c.amount), c.cur, day(c.on), lim)
		switch {
		case c.noRate:
			if !errors.Is(err, reference.ErrRateTooOld) || !strings.Contains(err.Error(), "46 days older than the record") {
				t.Errorf("%s: Go: %v, want too old", c.what, err)
			}
		case err != nil || conv.USD.String() != c.usd || conv.KZT.String() != c.kzt || conv.Stale != c.stale:
			t.Errorf("%s: Go %s USD %s KZT stale %v (%v), by hand %s USD %s KZT stale %v", c.what, conv.USD, conv.KZT, conv.Stale, err, c.usd, c.kzt, c.stale)
		}
	}
	rows, err := conn.Query(ctx, "SELECT n, amount_usd, amount_kzt, fx_missing, fx_stale, fx_expired, rate_day FROM ("+analytics.Converted(strings.Join(selects, " UNION ALL "))+") ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var i int32
		var usd, kzt decimal.Decimal
		var missing, stale, expired uint8
		var rateDay time.Time
		if err := rows.Scan(&i, &usd, &kzt, &missing, &stale, &expired, &rateDay); err != nil {
			t.Fatal(err)
		}
		c := cases[i]
		if usd.String() != c.usd || kzt.String() != c.kzt || (stale == 1) != c.stale || (missing == 1) != c.noRate || (expired == 1) != c.noRate ||
			rateDay.Format(time.DateOnly) != "2026-11-03" {
			t.Errorf("%s: ClickHouse %s USD %s KZT stale %d missing %d expired %d rate day %s; by hand %s USD %s KZT", c.what, usd, kzt, stale, missing, expired,
				rateDay.Format(time.DateOnly), c.usd, c.kzt)
		}
		n++
	}
	if n != len(cases) {
		t.Fatalf("%d rows", n)
	}
}

// Done when (issue 16): a deal dated after the last rate shows the stale
// flag on the figure and its record; past the hard limit it counts as
// without rate, the figure and the record saying why.
func TestFiguresFlagStaleAndTooOldRates(t *testing.T) {
	conn := kpiFixture(t) // puts the demo rates back at the end
	ctx := context.Background()
	ref := reference.Default()
	rs, _, err := ref.ImportRates(nil, []reference.RatesInput{{Name: "03.11.2026.xml", Body: []byte(nbkDay)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs, reference.DefaultRateLimits, "03.11.2026.xml"); err != nil {
		t.Fatal(err)
	}
	rows := &analytics.Rows{}
	for _, d := range []dealSpec{
		// 9,876,543,210 UZS of aluminium (non-raw) each: 811,527.74 USD, 415,802,469.14 KZT at the rates of 3 November.
		{6, 1, "uz-tashkent", "UZ", "760110", "contracted", "9876543210", "UZS", "", "2026-11-05", "2026-11-01"}, // 2 days after the rate
		{7, 1, "uz-tashkent", "UZ", "760110", "contracted", "9876543210", "UZS", "", "2026-11-11", "2026-11-01"}, // 8 days: stale
		{8, 1, "uz-tashkent", "UZ", "760110", "contracted", "9876543210", "UZS", "", "2026-12-19", "2026-11-01"}, // 46 days: too old
	} {
		rows.DealStates = append(rows.DealStates, d.row())
	}
	if err := analytics.Write(ctx, conn, rows); err != nil {
		t.Fatal(err)
	}
	f := analytics.KPIFilter{Years: []int{2026}, Country: "UZ"}
	years, err := analytics.ExportsByYear(ctx, conn, analytics.ByTotal, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(years) != 1 {
		t.Fatalf("exports 2026 to UZ: %+v", years)
	}
	y := years[0]
	if y.Deals != 3 || y.NonRawUSD.String() != "1623055.48" || y.NonRawKZT.String() != "831604938.28" || y.NoRate != 1 ||
		y.Stale != 1 || y.MaxRateAge != 8 || y.TooOld != 1 {
		t.Errorf("exports 2026 to UZ: %+v", y)
	}
	recs, err := analytics.ExportRecords(ctx, conn, analytics.ByTotal, "all", f)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("records: %+v", recs)
	}
	for i, want := range []struct {
		usd, kzt      string
		age           int32
		stale, tooOld bool
	}{{"811527.74", "415802469.14", 2, false, false}, {"811527.74", "415802469.14", 8, true, false}, {"0", "0", 46, false, true}} {
		r := recs[i]
		if r.USD.String() != want.usd || r.KZT.String() != want.kzt || r.RateDay != "2026-11-03" || r.RateAge != want.age || r.Stale != want.stale ||
			r.TooOld != want.tooOld || r.NoRate != want.tooOld {
			t.Errorf("record %d (%s): %+v", i, r.DealDate, r)
		}
	}
	// The scorecard line of clause 2.7's non-raw exports says the same.
	lines, err := analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: 2026, Today: day("2026-12-20"), Scope: "clause", Code: "2.7", Country: "UZ"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lines {
		if l.Metric == "non_raw_exports_usd" {
			found = true
			if l.Stale != 1 || l.TooOld != 1 || l.NoRate != 1 || l.MaxRateAge != 8 || l.Actual.String() != "1623055.48" || l.ActualKZT.String() != "831604938.28" {
				t.Errorf("scorecard line: %+v", l)
			}
		}
	}
	if !found {
		t.Errorf("no non-raw exports line: %+v", lines)
	}
	// In KZT: the same line in tenge, and the targets' rate is the dollar's in force on the day.
	lines, err = analytics.Scorecard(ctx, conn, analytics.ScorecardFilter{Year: 2026, Today: day("2026-12-20"), Scope: "clause", Code: "2.7", Country: "UZ", InKZT: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if l.Metric == "non_raw_exports_usd" && (l.Unit != "KZT" || l.Actual.String() != "831604938.28" || l.ActualUSD.String() != "1623055.48") {
			t.Errorf("scorecard line in KZT: %+v", l)
		}
	}
	rate, err := analytics.TargetRate(ctx, conn, 2026, day("2026-12-20"))
	if err != nil || !rate.Found || rate.KZTPerUSD.String() != "512.37" || rate.RateDay != "2026-11-03" || rate.Day != "2026-12-20" {
		t.Errorf("the targets' rate: %+v %v", rate, err)
	}
}
