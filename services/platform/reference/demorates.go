package reference

// The demo rates store and the currencies amounts may be recorded in.

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
)

const fileNBKCurrencies = "nbk_currencies.csv"

// NBKCurrency is a currency the National Bank of Kazakhstan publishes an
// official rate for, with the number of units its rate is for.
type NBKCurrency struct {
	Code     string
	Quant    int64
	FullName string            // as in the National Bank's feed (Russian)
	DemoUSD  []decimal.Decimal // DEMO: units per USD in 2020..2026, where no real series exists
}

// Demo rates span these years, one point a week: 2020-2026, and 2027 carried
// (DEMO) so that the local default's new records keep a rate for a year.
const demoFirstYear, demoLastYear = 2020, 2027

// NBKCurrencies returns the currencies of the National Bank's daily rates
// (data/nbk_currencies.csv), in the feed's order.
func NBKCurrencies() []NBKCurrency { return nbkList() }

var nbkList = sync.OnceValue(func() []NBKCurrency {
	body, err := embedded.ReadFile("data/" + fileNBKCurrencies)
	if err != nil {
		panic(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("%s: %v", fileNBKCurrencies, err))
	}
	var list []NBKCurrency
	for _, rec := range recs[1:] {
		q, _ := strconv.ParseInt(rec[1], 10, 64)
		c := NBKCurrency{Code: rec[0], Quant: q, FullName: rec[2]}
		for _, v := range rec[3:] {
			if v != "" {
				c.DemoUSD = append(c.DemoUSD, decimal.RequireFromString(v))
			}
		}
		list = append(list, c)
	}
	return list
})

// DemoRatesCSV is the rates store shipped for the demo and the local
// default: a point every 7 days from 2020-01-01 to the end of 2027 for every
// currency of the National Bank's feed and every currency of the FRED
// series. Its source column says what each rate is:
//
//   - NBK-monthly: KZT per USD, the National Bank's real monthly average of
//     the point's month (fx_kzt_usd_monthly.csv);
//   - FRED+NBK-monthly: a real cross rate, KZT per USD of the month divided
//     by FRED's monthly average units per USD (fx_rates.csv), to 2 decimals
//     per quant, as the National Bank publishes;
//   - DEMO...: not real: a currency without a real series (RUB, TRY, AED,
//     UZS, KGS, ...), at yearly levels written for the demo and interpolated
//     month by month, or a real series carried past its last month.
//
// Weekly points keep every amount within 6 days of a rate, below the
// default stale limit (7 days), while the file stays small.
func (d *Data) DemoRatesCSV() []byte {
	var b bytes.Buffer
	// encoding/csv, not csvx: a data file ParseRates reads back (see WriteCSV).
	w := csv.NewWriter(&b)
	_ = w.Write(ratesHeader)
	usd := d.fx["USD"]
	lastUSD := usd[len(usd)-1]
	monthOf := func(series []monthRate, m int) (monthRate, bool) {
		i := slices.IndexFunc(series, func(r monthRate) bool { return r.month == m })
		if i < 0 {
			return series[len(series)-1], false
		}
		return series[i], true
	}
	type cur struct {
		code  string
		quant int64
		demo  []decimal.Decimal
	}
	var curs []cur
	inList := map[string]bool{}
	for _, c := range NBKCurrencies() {
		curs = append(curs, cur{c.Code, c.Quant, c.DemoUSD})
		inList[c.Code] = true
	}
	for _, c := range d.FXCurrencies() { // FRED series the feed does not have (NZD, LKR, TWD)
		if !inList[c] && c != "KZT" {
			curs = append(curs, cur{c, 1, nil})
		}
	}
	slices.SortFunc(curs, func(a, b cur) int { return strings.Compare(a.code, b.code) })
	end := time.Date(demoLastYear, 12, 31, 0, 0, 0, 0, time.UTC)
	for day := time.Date(demoFirstYear, 1, 1, 0, 0, 0, 0, time.UTC); !day.After(end); day = day.AddDate(0, 0, 7) {
		m := monthIndex(day)
		u, real := monthOf(usd, m)
		kztUSD, usdSource := u.kztPerUSD, "NBK-monthly"
		if !real {
			kztUSD, usdSource = lastUSD.kztPerUSD, "DEMO: NBK-monthly of "+monthTime(lastUSD.month).Format("2006-01")+" carried"
		}
		date := day.Format(time.DateOnly)
		for _, c := range curs {
			q := decimal.NewFromInt(c.quant)
			var perUSD decimal.Decimal
			source := ""
			switch {
			case c.code == "USD":
				perUSD, source = decimal.NewFromInt(1), usdSource
			case len(c.demo) > 0:
				perUSD, source = demoLevel(c.demo, day), "DEMO: yearly levels written for the demo"
			default:
				series := d.fx[c.code]
				r, ok := monthOf(series, m)
				perUSD, source = r.perUSD, "FRED+NBK-monthly"
				if !ok || !real {
					source = "DEMO: FRED+NBK-monthly carried"
				}
			}
			kzt := kztUSD.Mul(q).DivRound(perUSD, 2)
			_ = w.Write([]string{date, c.code, strconv.FormatInt(c.quant, 10), kzt.StringFixed(2), source})
		}
	}
	w.Flush()
	return b.Bytes()
}

// demoLevel interpolates yearly levels (1 January of each year from
// demoFirstYear) to day, month by month; after the last year, its level.
func demoLevel(levels []decimal.Decimal, day time.Time) decimal.Decimal {
	y := day.Year() - demoFirstYear
	if y >= len(levels)-1 {
		return levels[len(levels)-1]
	}
	step := levels[y+1].Sub(levels[y]).Div(decimal.NewFromInt(12))
	return levels[y].Add(step.Mul(decimal.NewFromInt(int64(day.Month() - 1)))).Round(6)
}

// rated is the set of currencies amounts may be recorded in: those with
// rates. It starts as the demo store's (every currency of the National
// Bank's feed, the FRED series, KZT and USD) and grows with the rates store
// a process loads (SetRatedCurrencies).
type ratedSet struct {
	codes    atomic.Pointer[map[string]bool]
	demoOnce sync.Once // the demo store, made once (DemoRates)
	demo     *Rates
	demoErr  error
}

func (d *Data) ratedCodes() map[string]bool {
	if d.rated == nil {
		return nil
	}
	if m := d.rated.codes.Load(); m != nil {
		return *m
	}
	m := map[string]bool{"KZT": true, "USD": true}
	for _, c := range NBKCurrencies() {
		m[c.Code] = true
	}
	for _, c := range d.FXCurrencies() {
		m[c] = true
	}
	d.rated.codes.CompareAndSwap(nil, &m)
	return *d.rated.codes.Load()
}

// AddRatedCurrencies adds the currencies of a rates store to those amounts
// may be recorded in (a currency, once usable, stays usable: records in it
// exist).
func (d *Data) AddRatedCurrencies(codes []string) {
	if d.rated == nil {
		return
	}
	for {
		old := d.rated.codes.Load()
		base := d.ratedCodes()
		m := make(map[string]bool, len(base)+len(codes))
		for c := range base {
			m[c] = true
		}
		for _, c := range codes {
			m[c] = true
		}
		if d.rated.codes.CompareAndSwap(old, &m) {
			return
		}
	}
}

// RatedCurrencies returns the currencies amounts may be recorded in (those
// with rates, not units of account such as XDR), sorted: the forms' lists.
func (d *Data) RatedCurrencies() []string {
	var out []string
	for c := range d.ratedCodes() {
		if _, notMoney := notMoney[c]; !notMoney {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// HasRates reports whether amounts in code can be converted (it has rates).
func (d *Data) HasRates(code string) bool { return d.ratedCodes()[code] }
