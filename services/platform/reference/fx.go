package reference

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// ErrNoRate is returned (wrapped, naming the currency and date) when Convert has no exchange rate to use.
var ErrNoRate = errors.New("reference: no exchange rate")

// fredCurrencies maps the series names in fx_rates.csv to ISO 4217 codes.
// An empty code skips the series: the pre-euro currencies were withdrawn in
// 2002, and the Venezuela series mixes bolívar redenominations (2018, 2021)
// without rescaling, so no single code fits it.
var fredCurrencies = map[string]string{
	"Australia":      "AUD",
	"Brazil":         "BRL",
	"Canada":         "CAD",
	"China":          "CNY",
	"Denmark":        "DKK",
	"Euro":           "EUR",
	"Hong Kong":      "HKD",
	"India":          "INR",
	"Japan":          "JPY",
	"Malaysia":       "MYR",
	"Mexico":         "MXN",
	"New Zealand":    "NZD",
	"Norway":         "NOK",
	"Singapore":      "SGD",
	"South Africa":   "ZAR",
	"South Korea":    "KRW",
	"Sri Lanka":      "LKR",
	"Sweden":         "SEK",
	"Switzerland":    "CHF",
	"Taiwan":         "TWD",
	"Thailand":       "THB",
	"United Kingdom": "GBP",

	"Austria": "", "Belgium": "", "Finland": "", "France": "", "Germany": "", "Greece": "",
	"Ireland": "", "Italy": "", "Netherlands": "", "Portugal": "", "Spain": "",
	"Venezuela": "",
}

// divPrecision is the number of decimal places kept in divisions before the final rounding.
const divPrecision = 12

// Conversion is an amount converted to USD and KZT with the rates used.
type Conversion struct {
	USD        decimal.Decimal // rounded to cents, half away from zero
	KZT        decimal.Decimal // rounded to tiyn, half away from zero
	RateMonth  time.Time       // first day (UTC) of the month whose average rates were used
	USDPerUnit decimal.Decimal // USD per one unit of the currency, 12 decimal places
	KZTPerUnit decimal.Decimal // KZT per one unit of the currency, 12 decimal places
}

// monthRate holds one month's average rates, both per 1 USD.
type monthRate struct {
	month     int // year*12 + month-1
	perUSD    decimal.Decimal
	kztPerUSD decimal.Decimal
}

// Convert converts amount of currency to USD and KZT at the monthly average rates of the calendar month of on (in on's location), falling back to the latest earlier month that has both rates.
func (d *Data) Convert(amount decimal.Decimal, currency string, on time.Time) (Conversion, error) {
	day := on.Format(time.DateOnly)
	series, ok := d.fx[currency]
	if !ok {
		return Conversion{}, fmt.Errorf("%w for %q on %s: the currency has no series in fx_rates.csv (see FXCurrencies); convert it upstream or add its rates", ErrNoRate, currency, day)
	}
	m := monthIndex(on)
	i := sort.Search(len(series), func(i int) bool { return series[i].month > m }) - 1
	if i < 0 {
		first := monthTime(series[0].month).Format("2006-01")
		return Conversion{}, fmt.Errorf("%w for %s on %s: rates for both %s and KZT start in %s; use a date from then on", ErrNoRate, currency, day, currency, first)
	}
	r := series[i]
	return Conversion{
		USD:        amount.DivRound(r.perUSD, divPrecision).Round(2),
		KZT:        amount.Mul(r.kztPerUSD).DivRound(r.perUSD, divPrecision).Round(2),
		RateMonth:  monthTime(r.month),
		USDPerUnit: decimal.NewFromInt(1).DivRound(r.perUSD, divPrecision),
		KZTPerUnit: r.kztPerUSD.DivRound(r.perUSD, divPrecision),
	}, nil
}

// FXCurrencies returns the sorted ISO 4217 codes Convert can handle.
func (d *Data) FXCurrencies() []string {
	out := make([]string, 0, len(d.fx))
	for c := range d.fx {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// buildFX joins each currency's USD rates with the KZT rates month by month,
// so Convert only ever sees months where both exist.
func buildFX(perUSD map[string]map[int]decimal.Decimal, kzt map[int]decimal.Decimal) map[string][]monthRate {
	months := make([]int, 0, len(kzt))
	for m := range kzt {
		months = append(months, m)
	}
	slices.Sort(months)
	one := decimal.NewFromInt(1)
	fx := map[string][]monthRate{}
	for _, m := range months {
		k := kzt[m]
		fx["USD"] = append(fx["USD"], monthRate{m, one, k})
		fx["KZT"] = append(fx["KZT"], monthRate{m, k, k})
		for code, rates := range perUSD {
			if r, ok := rates[m]; ok {
				fx[code] = append(fx[code], monthRate{m, r, k})
			}
		}
	}
	return fx
}

func monthIndex(t time.Time) int {
	y, m, _ := t.Date()
	return y*12 + int(m) - 1
}

func monthTime(i int) time.Time {
	return time.Date(i/12, time.Month(i%12+1), 1, 0, 0, 0, 0, time.UTC)
}
