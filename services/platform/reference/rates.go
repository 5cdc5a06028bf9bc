package reference

// Daily exchange rates: the file administrators load (the National Bank's
// official rates, or any other source), read by the figures in ClickHouse.
//
// Format (CSV, UTF-8, one header line):
//
//	date,currency,per_usd
//	2026-06-01,EUR,0.8684
//	2026-06-01,KZT,512.31
//
//   - date: YYYY-MM-DD, the day the rate applies from;
//   - currency: an ISO 4217 code in force (currencies.csv), not USD;
//   - per_usd: units of the currency per 1 US dollar on that day, positive,
//     digits with at most 6 decimal places (KZT per USD for KZT).
//
// A rate applies from its day until the day of the next rate of the same
// currency: an amount dated on a day without a rate uses the latest earlier
// rate. Amounts convert as
//
//	USD = amount / per_usd(currency)
//	KZT = amount × per_usd(KZT) / per_usd(currency)
//
// computed exactly to 10 decimal places (truncated), then rounded to the cent
// (tiyn), half away from zero: the same arithmetic in Go (Rates.Convert) and
// in ClickHouse (analytics), so a figure equals the sum of its records.
// An amount dated before its currency's (or KZT's) first rate has no rate.

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// RatesFile is the name of the rates file in its folder.
const RatesFile = "fx_daily.csv"

// DayRate is one line of the rates file.
type DayRate struct {
	Day      time.Time // UTC midnight
	Currency string
	PerUSD   decimal.Decimal
	Line     int
}

// Rates are daily exchange rates by currency, each series sorted by day.
type Rates struct {
	series map[string][]DayRate
}

// ratesScale is the most decimal places a rate may have: it keeps the
// exact conversion within ClickHouse's Decimal128 (see analytics/fx.go).
const ratesScale = 6

var reRateDigits = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,6})?$`)

// ParseRates reads a rates file; name is how errors call it. Every error
// names the file, line and field; duplicate (day, currency) lines are refused.
func (d *Data) ParseRates(name string, in io.Reader) (*Rates, error) {
	out := &Rates{series: map[string][]DayRate{}}
	dup := seen{}
	var errs []error
	err := readCSV(name, in, []string{"date", "currency", "per_usd"}, func(r row) error {
		if len(errs) >= 20 {
			return errors.Join(append(errs, fmt.Errorf("%s: stopped after 20 errors", name))...)
		}
		rate, err := d.rateRow(r, dup)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		out.series[rate.Currency] = append(out.series[rate.Currency], rate)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out.series["KZT"]) == 0 {
		return nil, fmt.Errorf("%s: no KZT rate: every conversion to tenge needs KZT per USD (lines like 2026-06-01,KZT,512.31)", name)
	}
	for _, s := range out.series {
		sort.Slice(s, func(i, j int) bool { return s[i].Day.Before(s[j].Day) })
	}
	return out, nil
}

func (d *Data) rateRow(r row, dup seen) (DayRate, error) {
	v := r.get("date")
	day, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return DayRate{}, r.errf("date", "%q is not a YYYY-MM-DD date", v)
	}
	if day.Year() < 1990 || day.Year() > 2100 {
		return DayRate{}, r.errf("date", "%q is outside 1990-2100", v)
	}
	cur := r.get("currency")
	switch _, known := d.Currency(cur); {
	case cur == "USD":
		return DayRate{}, r.errf("currency", "USD is the base (1 USD = 1 USD): leave it out")
	case !known:
		return DayRate{}, r.errf("currency", "%q is not an ISO 4217 currency in force (currencies.csv)", cur)
	}
	p := r.get("per_usd")
	if !reRateDigits.MatchString(p) {
		return DayRate{}, r.errf("per_usd", "%q is not a rate: write digits with a point and at most %d decimal places, e.g. 512.31", p, ratesScale)
	}
	per, _ := decimal.NewFromString(p)
	if !per.IsPositive() {
		return DayRate{}, r.errf("per_usd", "%q is not positive", p)
	}
	if err := dup.add(r, "date", v+" "+cur); err != nil {
		return DayRate{}, err
	}
	return DayRate{Day: day, Currency: cur, PerUSD: per, Line: r.line}, nil
}

// Currencies returns the currencies with rates, USD included, sorted.
func (rs *Rates) Currencies() []string {
	out := []string{"USD"}
	for c := range rs.series {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Series returns a currency's rates in day order (nil for USD or a currency without rates).
func (rs *Rates) Series(currency string) []DayRate { return rs.series[currency] }

// Lines is the number of rates.
func (rs *Rates) Lines() int {
	n := 0
	for _, s := range rs.series {
		n += len(s)
	}
	return n
}

// At returns the rate of currency in force on day (the latest on or before
// it), in units per USD, and the day of that rate; USD is 1 on every day.
func (rs *Rates) At(currency string, day time.Time) (perUSD decimal.Decimal, from time.Time, ok bool) {
	if currency == "USD" {
		return decimal.NewFromInt(1), day, true
	}
	s := rs.series[currency]
	i := sort.Search(len(s), func(i int) bool { return s[i].Day.After(day) }) - 1
	if i < 0 {
		return decimal.Decimal{}, time.Time{}, false
	}
	return s[i].PerUSD, s[i].Day, true
}

// DayConversion is an amount converted at the rates of one day.
type DayConversion struct {
	USD, KZT          decimal.Decimal // rounded to the cent, half away from zero
	USDRateDay        time.Time       // day of the currency's rate used
	KZTRateDay        time.Time       // day of the KZT rate used
	PerUSD, KZTPerUSD decimal.Decimal // the rates used
}

// convertScale is the number of decimal places the exact quotient is cut to
// before rounding to the cent; ClickHouse's Decimal division does the same.
const convertScale = 10

// Convert converts a non-negative amount dated day (a calendar day; its
// clock is ignored) to USD and KZT, or says why it cannot.
func (rs *Rates) Convert(amount decimal.Decimal, currency string, day time.Time) (DayConversion, error) {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	per, from, ok := rs.At(currency, day)
	if !ok {
		return DayConversion{}, fmt.Errorf("%w for %s on %s: the rates file has no %s rate on or before that day", ErrNoRate, currency, day.Format(time.DateOnly), currency)
	}
	kzt, kztFrom, ok := rs.At("KZT", day)
	if !ok {
		return DayConversion{}, fmt.Errorf("%w for KZT on %s: the rates file has no KZT rate on or before that day", ErrNoRate, day.Format(time.DateOnly))
	}
	usdExact, _ := amount.QuoRem(per, convertScale)
	kztExact, _ := amount.Mul(kzt).QuoRem(per, convertScale)
	return DayConversion{USD: usdExact.Round(2), KZT: kztExact.Round(2), USDRateDay: from, KZTRateDay: kztFrom, PerUSD: per, KZTPerUSD: kzt}, nil
}

// DemoRatesCSV is the rates file shipped for the demo and the local
// default: the real monthly average rates of the embedded reference data
// (FRED for currencies per USD, the National Bank of Kazakhstan for KZT),
// each written on the first day of its month from 2015 on (amounts dated earlier have no rate), so an amount
// converts at its month's average. A ministry replaces it with the National
// Bank's official daily rates in the same format.
func (d *Data) DemoRatesCSV() []byte {
	var b bytes.Buffer
	// encoding/csv, not csvx: this is a data file ParseRates reads back, not
	// an export for people, and every cell is a date, an ISO code or a
	// positive rate from the embedded reference data: none can start a
	// formula, and an apostrophe would change the values read back.
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"date", "currency", "per_usd"})
	codes := make([]string, 0, len(d.fx))
	byMonth := map[string]map[int]decimal.Decimal{}
	for c, series := range d.fx {
		if c == "USD" {
			continue
		}
		codes = append(codes, c)
		byMonth[c] = map[int]decimal.Decimal{}
		for _, r := range series {
			byMonth[c][r.month] = r.perUSD
		}
	}
	slices.Sort(codes)
	from := monthIndex(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, m := range d.fx["KZT"] {
		if m.month < from {
			continue
		}
		day := monthTime(m.month).Format(time.DateOnly)
		for _, c := range codes {
			if r, ok := byMonth[c][m.month]; ok {
				_ = w.Write([]string{day, c, r.Round(ratesScale).String()})
			}
		}
	}
	w.Flush()
	return b.Bytes()
}

// DemoRates parses DemoRatesCSV.
func (d *Data) DemoRates() (*Rates, error) {
	return d.ParseRates("demo "+RatesFile, bytes.NewReader(d.DemoRatesCSV()))
}

// WriteRatesFile writes the demo rates to dir/RatesFile unless a file is
// there already (or overwrite is set), so an administrator has a file in the
// documented format to extend or replace.
func (d *Data) WriteRatesFile(dir string, overwrite bool) (string, error) {
	path := filepath.Join(dir, RatesFile)
	if _, err := os.Stat(path); err == nil && !overwrite {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return path, err
	}
	return path, os.WriteFile(path, d.DemoRatesCSV(), 0o644)
}

// LoadRatesFile reads and validates a rates file.
func (d *Data) LoadRatesFile(path string) (*Rates, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return d.ParseRates(path, f)
}
