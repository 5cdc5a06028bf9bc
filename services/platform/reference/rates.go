package reference

// Official exchange rates: the rates store administrators load (the
// National Bank of Kazakhstan's daily rates, imported with `econdip rates
// import` or from the administrator's page), read by the figures in
// ClickHouse and by the Go conversion.
//
// The store is a CSV file (UTF-8, one header line):
//
//	date,currency,quant,kzt,source
//	2026-06-01,USD,1,512.31,NBK
//	2026-06-01,UZS,100,4.02,NBK
//
//   - date: YYYY-MM-DD, the day the rate applies from;
//   - currency: an ISO 4217 code in force (currencies.csv), not KZT;
//   - quant: the number of units the rate is for: 1, 10, 100, ... 1000000,
//     as the National Bank publishes it (100 UZS);
//   - kzt: tenge per quant units, positive, a point or a comma as the
//     decimal mark, at most 6 decimal places, and at most 8 decimal places
//     once divided by quant;
//   - source (optional column): where the rate comes from (NBK for the
//     National Bank's files; DEMO... for invented demo rates).
//
// A rate is kept as KZT per one unit: kzt / quant, exact (quant is a power of
// ten). A rate applies from its day until the day of the next rate of the
// same currency: an amount dated on a day without a rate uses the latest
// earlier rate. Amounts convert through the tenge (a cross rate of the same
// day for US dollars):
//
//	KZT = amount × kzt_per_unit(currency)
//	USD = amount × kzt_per_unit(currency) / kzt_per_unit(USD)
//
// KZT is exact before rounding; USD is cut to 12 decimal places; both are
// then rounded to the cent (tiyn), half away from zero: the same arithmetic
// in Go (Rates.Convert) and in ClickHouse (analytics/fx.go), so a figure
// equals the sum of its records. A tenge amount has the rate 1 on every day.
//
// The rate day of an amount is the older of the two rate days it uses (its
// currency's and the dollar's; only the dollar's for tenge and dollars). An
// amount whose rate day is more than RateLimits.StaleDays before its own day
// is flagged stale; more than RateLimits.MaxAgeDays before, it has no rate
// (counted "without rate", never converted at a rate that old).

import (
	"bufio"
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
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// RatesFile is the name of the rates store in its folder.
const RatesFile = "rates_kzt.csv"

// RateLimits say how old a rate may be against the day of the amount it
// converts: older than StaleDays it is flagged, older than MaxAgeDays it is
// not used at all.
type RateLimits struct {
	StaleDays  int `json:"stale_days"`   // default 7 (ECONDIP_RATE_STALE_DAYS)
	MaxAgeDays int `json:"max_age_days"` // default 45 (ECONDIP_RATE_MAX_AGE_DAYS)
}

// DefaultRateLimits are the limits when nothing is configured.
var DefaultRateLimits = RateLimits{StaleDays: 7, MaxAgeDays: 45}

// Check says what is wrong with the limits, if anything.
func (l RateLimits) Check() error {
	switch {
	case l.StaleDays < 0:
		return fmt.Errorf("stale limit %d days: must be 0 or more", l.StaleDays)
	case l.MaxAgeDays < l.StaleDays:
		return fmt.Errorf("hard limit %d days: must not be below the stale limit (%d days)", l.MaxAgeDays, l.StaleDays)
	case l.MaxAgeDays > 3660:
		return fmt.Errorf("hard limit %d days: at most 3660", l.MaxAgeDays)
	}
	return nil
}

// DayRate is one rate of the store.
type DayRate struct {
	Day      time.Time // UTC midnight
	Currency string
	Quant    int64
	KZT      decimal.Decimal // tenge per Quant units, as published
	PerUnit  decimal.Decimal // tenge per unit: KZT / Quant, exact
	Source   string
}

// Rates are the official rates by currency, each series sorted by day.
type Rates struct {
	series map[string][]DayRate
}

// UnitScale is the most decimal places of a rate per unit: it keeps the
// exact conversion within ClickHouse's Decimal128 (see analytics/fx.go).
const UnitScale = 8

// maxPerUnit bounds a rate per unit (the dearest currency, the Kuwaiti
// dinar, is below 2,000 KZT): with amounts below 10^13 the products stay
// inside Decimal128.
var maxPerUnit = decimal.New(1, 5)

var reRateText = regexp.MustCompile(`^[0-9]{1,9}([.,][0-9]{1,6})?$`)

// rateFields are the names a format gives the fields of a rate, for errors.
type rateFields struct{ date, currency, quant, kzt string }

var csvFields = rateFields{"date", "currency", "quant", "kzt"}

// newDayRate validates one rate; where says where it is (file, line or
// day), for the errors, which name the currency and the field.
func (d *Data) newDayRate(where string, day time.Time, cur, quant, kzt, source string, names rateFields) (DayRate, error) {
	fail := func(field, format string, args ...any) (DayRate, error) {
		c := cur
		if c == "" {
			c = "(none)"
		}
		return DayRate{}, fmt.Errorf("%s, currency %s, field %s: %s", where, c, field, fmt.Sprintf(format, args...))
	}
	if day.Year() < 1990 || day.Year() > 2100 {
		return fail(names.date, "%s is outside 1990-2100", day.Format(time.DateOnly))
	}
	switch _, known := d.Currency(cur); {
	case cur == "KZT":
		return fail(names.currency, "KZT is the base (1 KZT = 1 KZT): leave it out")
	case !known:
		return fail(names.currency, "%q is not an ISO 4217 currency in force (currencies.csv)", cur)
	}
	q, err := strconv.ParseInt(quant, 10, 64)
	if err != nil || q < 1 || q > 1_000_000 || !isPowerOfTen(q) {
		return fail(names.quant, "%q is not a quant: write 1, 10, 100, 1000, 10000, 100000 or 1000000 (the units the rate is for)", quant)
	}
	if !reRateText.MatchString(kzt) {
		return fail(names.kzt, "%q is not a rate: write digits with a point or a comma and at most 6 decimal places, e.g. 512.31 or 4,02", kzt)
	}
	v, _ := decimal.NewFromString(strings.Replace(kzt, ",", ".", 1))
	if !v.IsPositive() {
		return fail(names.kzt, "%q is not positive", kzt)
	}
	per := v.Shift(-int32(len(quant) - 1))
	if -per.Exponent() > UnitScale && !per.Equal(per.Truncate(UnitScale)) {
		return fail(names.kzt, "%q per %d units has more than %d decimal places per unit: publish it for fewer units", kzt, q, UnitScale)
	}
	if per.GreaterThanOrEqual(maxPerUnit) {
		return fail(names.kzt, "%q per %d units is %s KZT per unit: more than any currency is worth (the limit is %s)", kzt, q, per, maxPerUnit)
	}
	if len(source) > 200 || strings.ContainsAny(source, "\r\n") {
		return fail("source", "at most 200 characters on one line")
	}
	return DayRate{Day: day, Currency: cur, Quant: q, KZT: v, PerUnit: per.Truncate(UnitScale), Source: source}, nil
}

func isPowerOfTen(q int64) bool {
	for q%10 == 0 {
		q /= 10
	}
	return q == 1
}

// ratesHeader and ratesHeaderShort are the columns of the rates CSV: source
// may be left out.
var (
	ratesHeader      = []string{"date", "currency", "quant", "kzt", "source"}
	ratesHeaderShort = ratesHeader[:4]
)

// ParseRatesCSV reads rates in the CSV format (see the package comment of
// this file) without the store's own checks; name is how errors call it.
// Every error names the file, line, currency and field; a day and currency
// twice is refused.
func (d *Data) ParseRatesCSV(name string, in io.Reader) ([]DayRate, error) {
	body, err := io.ReadAll(io.LimitReader(in, maxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(body) > maxImportBytes {
		return nil, fmt.Errorf("%s: larger than %d MB: split it", name, maxImportBytes>>20)
	}
	body = bytes.TrimPrefix(body, []byte("\ufeff"))
	first, _, _ := bytes.Cut(body, []byte("\n"))
	header := ratesHeader
	switch got := strings.Split(strings.TrimSpace(string(first)), ","); {
	case slices.Equal(got, ratesHeaderShort):
		header = ratesHeaderShort
	case slices.Equal(got, []string{"date", "currency", "per_usd"}):
		return nil, fmt.Errorf("%s line 1: this is the former rates file (units per USD): rates are now tenge per quant units, "+
			"header %s; import the National Bank's files, or write kzt = KZT's per_usd / the currency's per_usd with quant 1 (and USD at KZT's per_usd)",
			name, strings.Join(ratesHeader, ","))
	}
	var out []DayRate
	var errs []error
	dup := seen{}
	err = readCSV(name, bytes.NewReader(body), header, func(r row) error {
		if len(errs) >= 20 {
			return errors.Join(append(errs, fmt.Errorf("%s: stopped after 20 errors", name))...)
		}
		where := fmt.Sprintf("%s line %d", name, r.line)
		v := r.get("date")
		day, err := time.Parse(time.DateOnly, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s, currency %s, field date: %q is not a YYYY-MM-DD date", where, r.get("currency"), v))
			return nil
		}
		source := ""
		if len(header) == 5 {
			source = r.get("source")
		}
		rate, err := d.newDayRate(where, day, r.get("currency"), r.get("quant"), r.get("kzt"), source, csvFields)
		if err == nil {
			err = dup.add(r, "date", v+" "+rate.Currency)
		}
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		out = append(out, rate)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rates (a header line and one line per rate: %s)", name, strings.Join(ratesHeader, ","))
	}
	return out, nil
}

// ParseRates reads the rates store: the CSV format, with at least one USD
// rate (every conversion to dollars needs it).
func (d *Data) ParseRates(name string, in io.Reader) (*Rates, error) {
	list, err := d.ParseRatesCSV(name, in)
	if err != nil {
		return nil, err
	}
	rs := NewRates(list)
	if len(rs.series["USD"]) == 0 {
		return nil, fmt.Errorf("%s: no USD rate: every conversion to dollars goes through KZT per USD (lines like 2026-06-01,USD,1,512.31,NBK)", name)
	}
	return rs, nil
}

// NewRates builds the store from rates; a later rate of the same day and
// currency replaces an earlier one.
func NewRates(list []DayRate) *Rates {
	rs := &Rates{series: map[string][]DayRate{}}
	rs.merge(list)
	return rs
}

// merge adds rates, replacing those of the same day and currency; it returns how many it replaced.
func (rs *Rates) merge(list []DayRate) int {
	replaced := 0
	for _, r := range list {
		s := rs.series[r.Currency]
		i := sort.Search(len(s), func(i int) bool { return !s[i].Day.Before(r.Day) })
		if i < len(s) && s[i].Day.Equal(r.Day) {
			s[i] = r
			replaced++
			continue
		}
		if i == len(s) {
			rs.series[r.Currency] = append(s, r)
			continue
		}
		rs.series[r.Currency] = slices.Insert(s, i, r)
	}
	return replaced
}

// Clone copies the store.
func (rs *Rates) Clone() *Rates {
	out := &Rates{series: map[string][]DayRate{}}
	for c, s := range rs.series {
		out.series[c] = slices.Clone(s)
	}
	return out
}

// Scaled copies the store with every rate of currency multiplied by factor:
// a what-if, and the tests' "other rates were loaded".
func (rs *Rates) Scaled(currency string, factor decimal.Decimal) *Rates {
	out := rs.Clone()
	for i, r := range out.series[currency] {
		out.series[currency][i].PerUnit = r.PerUnit.Mul(factor)
	}
	return out
}

// Currencies returns the currencies with rates, KZT and USD included, sorted.
func (rs *Rates) Currencies() []string {
	out := []string{"KZT"}
	for c := range rs.series {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Series returns a currency's rates in day order (nil for KZT or a currency without rates).
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
// it), in KZT per unit, and the day of that rate; KZT is 1 on every day.
func (rs *Rates) At(currency string, day time.Time) (perUnit decimal.Decimal, from time.Time, ok bool) {
	if currency == "KZT" {
		return decimal.NewFromInt(1), day, true
	}
	s := rs.series[currency]
	i := sort.Search(len(s), func(i int) bool { return s[i].Day.After(day) }) - 1
	if i < 0 {
		return decimal.Decimal{}, time.Time{}, false
	}
	return s[i].PerUnit, s[i].Day, true
}

// ErrRateTooOld is returned (with ErrNoRate) when the latest rate is older
// than the hard limit.
var ErrRateTooOld = errors.New("reference: the latest exchange rate is too old")

// DayConversion is an amount converted at the rates in force on its day.
type DayConversion struct {
	USD, KZT   decimal.Decimal // rounded to the cent, half away from zero
	RateDay    time.Time       // the older of the rate days used
	AgeDays    int             // days from RateDay to the amount's day
	Stale      bool            // AgeDays above the stale limit
	KZTPerUnit decimal.Decimal // the currency's rate used
	KZTPerUSD  decimal.Decimal // the dollar's rate used
}

// ConvertScale is the number of decimal places the exact dollar quotient
// is cut to before rounding to the cent; ClickHouse's Decimal division of
// a 12-place dividend does the same.
const ConvertScale = 12

// Convert converts a non-negative amount dated day (a calendar day; its
// clock is ignored) to USD and KZT, or says why it cannot: no rate on or
// before the day, or a rate older than lim.MaxAgeDays (ErrNoRate, and
// ErrRateTooOld for the latter).
func (rs *Rates) Convert(amount decimal.Decimal, currency string, day time.Time, lim RateLimits) (DayConversion, error) {
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	on := day.Format(time.DateOnly)
	per, from, ok := rs.At(currency, day)
	if !ok {
		return DayConversion{}, fmt.Errorf("%w for %s on %s: the rates store has no %s rate on or before that day", ErrNoRate, currency, on, currency)
	}
	usd, usdFrom, ok := rs.At("USD", day)
	if !ok {
		return DayConversion{}, fmt.Errorf("%w for USD on %s: the rates store has no USD rate on or before that day", ErrNoRate, on)
	}
	rateDay := from
	if currency == "KZT" || usdFrom.Before(rateDay) {
		rateDay = usdFrom
	}
	age := int(day.Sub(rateDay).Hours() / 24)
	if age > lim.MaxAgeDays {
		return DayConversion{RateDay: rateDay, AgeDays: age}, fmt.Errorf("%w: %w: %s on %s: the latest rate is of %s, %d days older than the record (the limit is %d)",
			ErrNoRate, ErrRateTooOld, currency, on, rateDay.Format(time.DateOnly), age, lim.MaxAgeDays)
	}
	kztExact := amount.Mul(per)
	usdExact, _ := kztExact.QuoRem(usd, ConvertScale)
	return DayConversion{USD: usdExact.Round(2), KZT: kztExact.Round(2), RateDay: rateDay, AgeDays: age, Stale: age > lim.StaleDays,
		KZTPerUnit: per, KZTPerUSD: usd}, nil
}

// WriteCSV writes the store in its CSV format, by day and currency.
func (rs *Rates) WriteCSV(w io.Writer) error {
	// encoding/csv, not csvx: this is a data file ParseRates reads back, not
	// an export for people; every cell is a date, an ISO code, a number or a
	// source the import checked, and an apostrophe would change what is read back.
	var all []DayRate
	for _, s := range rs.series {
		all = append(all, s...)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].Day.Equal(all[j].Day) {
			return all[i].Day.Before(all[j].Day)
		}
		return all[i].Currency < all[j].Currency
	})
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	_ = cw.Write(ratesHeader)
	for _, r := range all {
		_ = cw.Write([]string{r.Day.Format(time.DateOnly), r.Currency, strconv.FormatInt(r.Quant, 10), r.KZT.String(), r.Source})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// DemoRates is the rates store shipped for the demo (DemoRatesCSV), made
// once per Data (a store is never changed in place: an import makes a copy).
func (d *Data) DemoRates() (*Rates, error) {
	if d.rated == nil {
		return d.ParseRates("demo "+RatesFile, bytes.NewReader(d.DemoRatesCSV()))
	}
	d.rated.demoOnce.Do(func() {
		d.rated.demo, d.rated.demoErr = d.ParseRates("demo "+RatesFile, bytes.NewReader(d.DemoRatesCSV()))
	})
	return d.rated.demo, d.rated.demoErr
}

// WriteRatesFile writes the demo rates to path unless a file is there
// already (or overwrite is set), so an administrator has a store in the
// documented format to import into.
func (d *Data) WriteRatesFile(path string, overwrite bool) error {
	if _, err := os.Stat(path); err == nil && !overwrite {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(path, d.DemoRatesCSV())
}

// LoadRatesFile reads and validates the rates store.
func (d *Data) LoadRatesFile(path string) (*Rates, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return d.ParseRates(path, f)
}

// writeFileAtomic replaces path with body: a temporary file in the same
// folder, synced, then renamed over it, so a reader never sees half a file.
func writeFileAtomic(path string, body []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
