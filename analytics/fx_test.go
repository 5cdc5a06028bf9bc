package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// migrated returns the test database's connection, migrated, with the demo rates loaded.
func migrated(t *testing.T) driver.Conn {
	t.Helper()
	conn := chtest.Conn(t)
	ctx := context.Background()
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	rs, err := reference.Default().DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := analytics.LoadRates(ctx, conn, rs, reference.DefaultRateLimits, "demo"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// The conversion in ClickHouse gives, to the cent, what the Go conversion
// of the rates store gives for the same amounts, currencies and days, with
// the same rate day, stale flag and "without rate" (no rate, or one past the
// hard limit).
func TestConversionInClickHouseMatchesTheRatesFile(t *testing.T) {
	conn := migrated(t)
	ctx := context.Background()
	ref := reference.Default()
	rs, _ := ref.DemoRates()
	lim := reference.DefaultRateLimits

	r := rand.New(rand.NewPCG(7, 11))
	currencies := rs.Currencies()
	type sample struct {
		amount decimal.Decimal
		cur    string
		day    time.Time
	}
	var samples []sample
	var selects []string
	for i := range 500 {
		// Amounts from cents to 10^13, with up to 4 decimals; days from 2019
		// (before the first rate, 2020: no rate) to 2027, and one in ten from
		// late December 2027 (the demo rates end then: stale, then past the hard limit).
		amount := decimal.New(r.Int64N(10_000_000_000_000), -int32(r.IntN(5))) // the money limit is 10^13
		if i == 0 {
			amount = decimal.RequireFromString("10000000000000")
		}
		s := sample{amount, currencies[r.IntN(len(currencies))], time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(8*365))}
		if i%10 == 1 {
			s.day = time.Date(2027, 12, 20, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(90))
		}
		samples = append(samples, s)
		selects = append(selects, fmt.Sprintf("SELECT toInt32(%d) AS n, toDecimal128('%s', 4) AS fx_amount, '%s' AS fx_currency, toDate('%s') AS fx_day",
			i, s.amount.String(), s.cur, s.day.Format(time.DateOnly)))
	}
	q := "SELECT n, amount_usd, amount_kzt, fx_missing, fx_stale, fx_expired, rate_day, fx_age_days FROM (" + analytics.Converted(strings.Join(selects, " UNION ALL ")) + ") ORDER BY n"
	rows, err := conn.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen, missing, stale, expired := 0, 0, 0, 0
	for rows.Next() {
		var n, age int32
		var usd, kzt decimal.Decimal
		var fxMissing, fxStale, fxExpired uint8
		var rateDay time.Time
		if err := rows.Scan(&n, &usd, &kzt, &fxMissing, &fxStale, &fxExpired, &rateDay, &age); err != nil {
			t.Fatal(err)
		}
		s := samples[n]
		want, err := rs.Convert(s.amount, s.cur, s.day, lim)
		on := s.day.Format(time.DateOnly)
		switch {
		case errors.Is(err, reference.ErrRateTooOld):
			if fxMissing != 1 || fxExpired != 1 || !rateDay.Equal(want.RateDay) || int(age) != want.AgeDays {
				t.Errorf("%s %s on %s: Go: too old (%v); ClickHouse missing %d expired %d rate day %s age %d", s.amount, s.cur, on, err, fxMissing, fxExpired, rateDay, age)
			}
			expired++
		case err != nil && fxMissing != 1:
			t.Errorf("%s %s on %s: Go has no rate (%v), ClickHouse converted it to %s USD", s.amount, s.cur, on, err, usd)
		case err != nil:
			missing++
		case fxMissing == 1 || !usd.Equal(want.USD) || !kzt.Equal(want.KZT) || !rateDay.Equal(want.RateDay) || (fxStale == 1) != want.Stale || int(age) != want.AgeDays:
			t.Errorf("%s %s on %s: ClickHouse %s USD %s KZT (missing %d, rate day %s, stale %d), Go %s USD %s KZT (%s, %v)", s.amount, s.cur, on,
				usd, kzt, fxMissing, rateDay.Format(time.DateOnly), fxStale, want.USD, want.KZT, want.RateDay.Format(time.DateOnly), want.Stale)
		case want.Stale:
			stale++
		}
		seen++
	}
	if seen != len(samples) || missing == 0 || missing > len(samples)/5 || stale == 0 || expired == 0 {
		t.Fatalf("compared %d of %d samples, %d without rate, %d stale, %d too old", seen, len(samples), missing, stale, expired)
	}
}

func TestLoadRatesSkipsUnchangedAndReplacesChangedRates(t *testing.T) {
	conn := migrated(t) // demo rates loaded
	ctx := context.Background()
	ref := reference.Default()
	rs, _ := ref.DemoRates()
	lim := reference.DefaultRateLimits
	n, loaded, err := analytics.LoadRates(ctx, conn, rs, lim, "demo again")
	if err != nil || loaded || n != len(analytics.FXDaily(rs, lim)) {
		t.Fatalf("unchanged rates: %d rows, loaded %v, %v; want a skip with %d rows", n, loaded, err, len(analytics.FXDaily(rs, lim)))
	}
	small, err := ref.ParseRates("small.csv", strings.NewReader("date,currency,quant,kzt\n2031-12-30,USD,1,600\n2031-12-31,EUR,1,1200\n"))
	if err != nil {
		t.Fatal(err)
	}
	n, loaded, err = analytics.LoadRates(ctx, conn, small, lim, "small.csv")
	// KZT and USD on 30 and 31 December, EUR on the 31st.
	if err != nil || !loaded || n != 5 {
		t.Fatalf("changed rates: %d rows, loaded %v, %v", n, loaded, err)
	}
	var c uint64
	var usd decimal.Decimal
	if err := conn.QueryRow(ctx, `SELECT count(), any(amount_usd) FROM (`+analytics.Converted(
		"SELECT toDecimal128('100', 4) AS fx_amount, 'EUR' AS fx_currency, toDate('2031-12-31') AS fx_day")+`)`).Scan(&c, &usd); err != nil {
		t.Fatal(err)
	}
	if c != 1 || usd.String() != "200" {
		t.Fatalf("100 EUR at 1200 KZT, USD at 600: %s USD", usd)
	}
	// Other limits are another load.
	if _, loaded, err := analytics.LoadRates(ctx, conn, small, reference.RateLimits{StaleDays: 1, MaxAgeDays: 2}, "small.csv"); err != nil || !loaded {
		t.Fatalf("new limits: %v %v", loaded, err)
	}
	// Put the demo rates back for the other tests.
	if _, loaded, err := analytics.LoadRates(ctx, conn, rs, lim, "demo"); err != nil || !loaded {
		t.Fatalf("reload the demo rates: %v %v", loaded, err)
	}
}

func BenchmarkLoadRates(b *testing.B) {
	conn := chtest.Conn(b)
	ctx := context.Background()
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		b.Fatal(err)
	}
	ref := reference.Default()
	rs, _ := ref.DemoRates()
	for i := range b.N {
		// A different end each time defeats the skip of unchanged rates.
		analytics.RatesEnd = time.Date(2031, 12, 31-i%2, 0, 0, 0, 0, time.UTC)
		if _, _, err := analytics.LoadRates(ctx, conn, rs, reference.DefaultRateLimits, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	analytics.RatesEnd = time.Date(2031, 12, 31, 0, 0, 0, 0, time.UTC)
	b.ReportMetric(float64(len(analytics.FXDaily(rs, reference.DefaultRateLimits))), "rows")
}
