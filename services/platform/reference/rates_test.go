package reference

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

const ratesFixture = `date,currency,per_usd
2026-01-01,KZT,500
2026-01-01,EUR,0.8
2026-01-15,EUR,0.9
2026-01-10,KZT,510.5
2026-01-01,JPY,150.123456
`

func TestRatesConvertAtTheLatestEarlierDay(t *testing.T) {
	rs, err := Default().ParseRates("rates.csv", strings.NewReader(ratesFixture))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		amount, cur, on string
		usd, kzt        string
		usdDay, kztDay  string
	}{
		// 1000 EUR at 0.8 per USD = 1250 USD; × 500 KZT = 625000 KZT.
		{"1000", "EUR", "2026-01-01", "1250", "625000", "2026-01-01", "2026-01-01"},
		// Between rates: EUR of the 1st, KZT of the 10th: 1250 × 510.5 = 638125.
		{"1000", "EUR", "2026-01-12", "1250", "638125", "2026-01-01", "2026-01-10"},
		// From the 15th: 1000 / 0.9 = 1111.1111… → 1111.11; × 510.5 / 0.9 = 567222.2222… → 567222.22.
		{"1000", "EUR", "2027-05-05", "1111.11", "567222.22", "2026-01-15", "2026-01-10"},
		// Half away from zero at the cent: 0.45 / 0.9 = 0.5 exactly; 0.009 / 0.8 = 0.01125 → 0.01.
		{"0.0045", "EUR", "2026-01-01", "0.01", "2.81", "2026-01-01", "2026-01-01"},
		// USD is 1; KZT converts at its own rate.
		{"99.99", "USD", "2026-01-02", "99.99", "49995", "2026-01-02", "2026-01-01"},
		{"510500", "KZT", "2026-01-10", "1000", "510500", "2026-01-10", "2026-01-10"},
		// 1e9 JPY / 150.123456 = 6661184.24558…; × 500 = 3330592122.79259… (Python decimal, 50 digits).
		{"1000000000", "JPY", "2026-01-01", "6661184.25", "3330592122.79", "2026-01-01", "2026-01-01"},
	}
	for _, c := range cases {
		conv, err := rs.Convert(decimal.RequireFromString(c.amount), c.cur, day(c.on))
		if err != nil {
			t.Errorf("%s %s on %s: %v", c.amount, c.cur, c.on, err)
			continue
		}
		if conv.USD.String() != c.usd || conv.KZT.String() != c.kzt ||
			conv.USDRateDay.Format(time.DateOnly) != c.usdDay || conv.KZTRateDay.Format(time.DateOnly) != c.kztDay {
			t.Errorf("%s %s on %s: %s USD (rate of %s), %s KZT (rate of %s); want %s USD (%s), %s KZT (%s)", c.amount, c.cur, c.on,
				conv.USD, conv.USDRateDay.Format(time.DateOnly), conv.KZT, conv.KZTRateDay.Format(time.DateOnly), c.usd, c.usdDay, c.kzt, c.kztDay)
		}
	}
	for _, c := range []struct{ cur, on string }{{"EUR", "2025-12-31"}, {"GBP", "2026-02-01"}, {"USD", "2025-12-31"}} {
		if _, err := rs.Convert(decimal.NewFromInt(1), c.cur, day(c.on)); err == nil || !strings.Contains(err.Error(), "no ") {
			t.Errorf("%s on %s: %v, want a missing rate", c.cur, c.on, err)
		}
	}
}

func TestParseRatesRefusesBadLinesNamingThem(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"date,currency,per_usd\n2026-13-01,EUR,0.9\n2026-01-01,KZT,500\n", "line 2, field date: \"2026-13-01\" is not a YYYY-MM-DD date"},
		{"date,currency,per_usd\n2026-01-01,EUX,0.9\n2026-01-01,KZT,500\n", "line 2, field currency: \"EUX\" is not an ISO 4217 currency"},
		{"date,currency,per_usd\n2026-01-01,USD,1\n2026-01-01,KZT,500\n", "line 2, field currency: USD is the base"},
		{"date,currency,per_usd\n2026-01-01,EUR,\"0,9\"\n2026-01-01,KZT,500\n", "line 2, field per_usd: \"0,9\" is not a rate"},
		{"date,currency,per_usd\n2026-01-01,EUR,1e3\n2026-01-01,KZT,500\n", "field per_usd: \"1e3\" is not a rate"},
		{"date,currency,per_usd\n2026-01-01,EUR,0.1234567\n2026-01-01,KZT,500\n", "at most 6 decimal places"},
		{"date,currency,per_usd\n2026-01-01,EUR,0\n2026-01-01,KZT,500\n", "field per_usd: \"0\" is not positive"},
		{"date,currency,per_usd\n2026-01-01,KZT,500\n2026-01-01,KZT,501\n", "line 3, field date: duplicate \"2026-01-01 KZT\" (first on line 2)"},
		{"date,currency,per_usd\n2026-01-01,EUR,0.9\n", "no KZT rate"},
		{"day,currency,rate\n", "header is"},
		{"date,currency,per_usd\n2026-01-01,EUR\n", "line 2: 2 fields, want 3"},
	} {
		_, err := Default().ParseRates("rates.csv", strings.NewReader(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "rates.csv") {
			t.Errorf("%q: %v, want an error containing %q", c.body, err, c.want)
		}
	}
	// Every bad line is named at once, not only the first.
	_, err := Default().ParseRates("rates.csv", strings.NewReader("date,currency,per_usd\n2026-01-01,EUX,1\n2026-01-01,KZT,500\nx,EUR,1\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("two bad lines: %v", err)
	}
}

// The demo rates reproduce the monthly averages of the reference data: every
// amount converts to the same USD and KZT as the monthly Convert, which reads
// the FRED and National Bank files directly.
func TestDemoRatesMatchTheMonthlyAverages(t *testing.T) {
	d := Default()
	rs, err := d.DemoRates()
	if err != nil {
		t.Fatal(err)
	}
	if rs.Lines() < 3000 || len(rs.Currencies()) != len(d.FXCurrencies()) {
		t.Fatalf("demo rates: %d lines, currencies %v; the monthly data has %v", rs.Lines(), rs.Currencies(), d.FXCurrencies())
	}
	amount := decimal.RequireFromString("2500000")
	for _, cur := range d.FXCurrencies() {
		for _, on := range []string{"2020-03-17", "2024-02-29", "2026-06-30"} {
			want, err := d.Convert(amount, cur, day(on))
			if err != nil {
				t.Fatalf("monthly %s %s: %v", cur, on, err)
			}
			got, err := rs.Convert(amount, cur, day(on))
			if err != nil {
				t.Fatalf("daily %s %s: %v", cur, on, err)
			}
			if !got.USD.Equal(want.USD) || !got.KZT.Equal(want.KZT) {
				t.Errorf("%s on %s: daily %s USD %s KZT, monthly %s USD %s KZT", cur, on, got.USD, got.KZT, want.USD, want.KZT)
			}
		}
	}
	// The fixture of the UI test: 2,500,000 EUR in June 2026 at 0.8684 = 2,878,857.67 USD.
	if c, _ := rs.Convert(amount, "EUR", day("2026-06-15")); c.USD.String() != "2878857.67" {
		t.Errorf("2,500,000 EUR in June 2026: %s USD", c.USD)
	}
}

func FuzzParseDailyRates(f *testing.F) {
	f.Add([]byte(ratesFixture))
	f.Add(Default().DemoRatesCSV()[:400])
	f.Add([]byte{})
	d := Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		rs, err := d.ParseRates("fuzz", bytes.NewReader(in))
		if err == nil && rs.Lines() == 0 {
			t.Fatal("a file without rates was accepted")
		}
	})
}
