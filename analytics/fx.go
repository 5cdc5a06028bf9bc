package analytics

// Exchange rates and conversion to USD and KZT.
//
// Amounts are stored in their own currency; a figure converts each one when
// it is read, at the rates in force on the day the amount refers to (see
// each figure's definition), from fx_daily: for every currency and day, the
// rates of the rates file in force that day. So reloading the rates file
// changes every figure at once, and nothing has to be replayed.
//
// The arithmetic is the one of services/platform/reference/rates.go, in
// ClickHouse Decimal, through the tenge: KZT = amount × kzt_per_unit
// (exact: Decimal(38,4) × Decimal(38,8) is Decimal(38,12)) and USD = that
// / kzt_per_usd (ClickHouse's Decimal division keeps the dividend's 12
// places and truncates), both then rounded to the cent half away from zero
// (amounts are never negative, so: add 0.005 and cut to 2 places). Each
// record is rounded to the cent before any sum, so a figure equals the sum
// of the records a drill-down lists. The ranges fit Decimal128: amounts are
// at most 10^13 (services/platform/money), rates below 10^5 KZT per unit
// with 8 decimal places, so the division's dividend, 10^30 at scale 12,
// times 10^8, stays below 1.7 × 10^38.
//
// Every row also says the rate day it used (rate_day: the older of the
// currency's and the dollar's rate days), how many days older than the
// amount's day it is (fx_age_days), and whether that is past the stale
// limit (fx_stale) or the hard limit (fx_expired: the amount then has no
// rate). The limits are applied when the rates are loaded (LoadRates).
//
// An amount whose currency (or USD) has no rate on or before its day, or
// only one older than the hard limit, has fx_missing = 1 and converts to 0:
// every figure counts such records apart ("without rate") instead of
// dropping them in silence.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"econdip/services/platform/reference"
)

// RatesEnd is the last day fx_daily covers: the Concept's horizon and a year more.
var RatesEnd = time.Date(2031, 12, 31, 0, 0, 0, 0, time.UTC)

// FXDailyRow is one currency's rates in force on one day.
type FXDailyRow struct {
	Currency   string
	Day        time.Time
	KZTPerUnit decimal.Decimal // tenge per unit of the currency
	KZTPerUSD  decimal.Decimal
	RateDay    time.Time // the older of the currency's and the dollar's rate days
	Found      bool      // a rate no older than the hard limit
	Stale      bool      // found, and older than the stale limit
	Expired    bool      // a rate, but older than the hard limit
}

// FXDaily expands rates to every day from each currency's first day with
// both its own and a USD rate to RatesEnd, in currency and day order,
// applying lim as Rates.Convert does.
func FXDaily(rs *reference.Rates, lim reference.RateLimits) []FXDailyRow {
	var out []FXDailyRow
	usd := rs.Series("USD")
	if len(usd) == 0 {
		return nil
	}
	for _, cur := range rs.Currencies() {
		series := rs.Series(cur)
		if cur == "KZT" {
			series = []reference.DayRate{{Day: usd[0].Day, Currency: "KZT", PerUnit: decimal.NewFromInt(1)}}
		}
		start := series[0].Day
		if usd[0].Day.After(start) {
			start = usd[0].Day
		}
		i, k := 0, 0 // the rates in force: series[i], usd[k]
		for d := start; !d.After(RatesEnd); d = d.AddDate(0, 0, 1) {
			for i+1 < len(series) && !series[i+1].Day.After(d) {
				i++
			}
			for k+1 < len(usd) && !usd[k+1].Day.After(d) {
				k++
			}
			rateDay := usd[k].Day
			if cur != "KZT" && series[i].Day.Before(rateDay) {
				rateDay = series[i].Day
			}
			age := int(d.Sub(rateDay).Hours() / 24)
			found := age <= lim.MaxAgeDays
			out = append(out, FXDailyRow{Currency: cur, Day: d, KZTPerUnit: series[i].PerUnit, KZTPerUSD: usd[k].PerUnit,
				RateDay: rateDay, Found: found, Stale: found && age > lim.StaleDays, Expired: !found})
		}
	}
	return out
}

// RatesDigest identifies the content of rates and limits, to skip a load of unchanged rates.
func RatesDigest(rs *reference.Rates, lim reference.RateLimits) string {
	h := sha256.New()
	for _, cur := range rs.Currencies() {
		for _, r := range rs.Series(cur) {
			fmt.Fprintf(h, "%s %s %s\n", r.Day.Format(time.DateOnly), cur, r.PerUnit)
		}
	}
	// The tables it fills and the limits: a change makes every database load the rates again.
	fmt.Fprintf(h, "end %s; limits %d %d; tables fx_daily, fx_join v2\n", RatesEnd.Format(time.DateOnly), lim.StaleDays, lim.MaxAgeDays)
	return hex.EncodeToString(h.Sum(nil))
}

// LoadRates replaces fx_daily with rates under the limits lim (source names
// the file, for the record), unless the same are loaded already; it returns
// the number of days×currencies and whether it loaded them. Parse and
// validate the file first: a refused file never reaches this, and the
// figures keep the rates they had.
func LoadRates(ctx context.Context, conn driver.Conn, rs *reference.Rates, lim reference.RateLimits, source string) (int, bool, error) {
	digest := RatesDigest(rs, lim)
	if n, same, err := loadedAlready(ctx, conn, "fx_daily", digest); err != nil || same {
		return n, false, err
	}
	rows := FXDaily(rs, lim)
	if len(rows) == 0 {
		return 0, false, fmt.Errorf("rates from %s: no USD rate", source)
	}
	b := func(v bool) uint8 {
		if v {
			return 1
		}
		return 0
	}
	values := func(r FXDailyRow) []any {
		return []any{r.Currency, r.Day, r.KZTPerUnit, r.KZTPerUSD, r.RateDay, b(r.Found), b(r.Stale), b(r.Expired)}
	}
	// The readable table first: it is counted, and the join table gets the same rows.
	if err := replaceTable(ctx, conn, "fx_daily", "currency, day, kzt_per_unit, kzt_per_usd, rate_day, found, stale, expired", rows, values); err != nil {
		return 0, false, fmt.Errorf("rates from %s: %w", source, err)
	}
	joinValues := func(r FXDailyRow) []any {
		return []any{r.Currency + r.Day.Format(time.DateOnly), r.KZTPerUnit, r.KZTPerUSD, r.RateDay, b(r.Found), b(r.Stale), b(r.Expired)}
	}
	if err := replaceJoinTable(ctx, conn, "fx_join", "fx_key, kzt_per_unit, kzt_per_usd, rate_day, fx_found, fx_stale, fx_expired", rows, joinValues); err != nil {
		return 0, false, fmt.Errorf("rates from %s: %w", source, err)
	}
	if err := recordLoad(ctx, conn, "fx_daily", digest, len(rows), source); err != nil {
		return 0, false, err
	}
	return len(rows), true, nil
}

// loadedAlready reports whether table holds the content with digest.
func loadedAlready(ctx context.Context, conn driver.Conn, table, digest string) (int, bool, error) {
	var got string
	var rows uint64
	err := conn.QueryRow(ctx, "SELECT argMax(digest, loaded_at), argMax(rows, loaded_at) FROM reference_loads WHERE name = ?", table).Scan(&got, &rows)
	if err != nil {
		return 0, false, fmt.Errorf("%s: read the last load: %w", table, err)
	}
	if got != digest {
		return 0, false, nil
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+table).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("%s: count: %w", table, err)
	}
	return int(n), n == rows, nil
}

func recordLoad(ctx context.Context, conn driver.Conn, table, digest string, rows int, source string) error {
	return insert(ctx, conn, "reference_loads", "name, digest, rows, source, loaded_at", []int{0}, func(int) []any {
		return []any{table, digest, uint64(rows), source, time.Now().UTC()}
	})
}

// converted wraps a query that gives each row an amount (column fx_amount,
// Decimal), its currency (fx_currency) and the day it converts at (fx_day,
// Date) with the columns amount_usd and amount_kzt (Decimal(38, 2), 0 when
// there is no rate), fx_missing (1 when there is none, or only one past the
// hard limit), rate_day (the rate day used; usd_rate_day and kzt_rate_day
// are the same day, under their former names), fx_age_days, fx_stale and
// fx_expired. The rates come from the Join table fx_join by joinGet: no
// JOIN (18.16 allows one per SELECT) and no hash table built per query.
func converted(inner string) string {
	c := conversionOf("fx_amount", "fx_currency", "fx_day")
	return `SELECT *, ` + c.key + ` AS fx_key, ` + c.found + ` AS fx_found, ` + c.missing + ` AS fx_missing,
			` + c.perUnit + ` AS fx_kzt_per_unit, ` + c.perUSD + ` AS fx_kzt_per_usd,
			` + c.rateDay + ` AS rate_day, rate_day AS usd_rate_day, rate_day AS kzt_rate_day,
			` + c.stale + ` AS fx_stale, ` + c.expired + ` AS fx_expired, ` + c.ageDays + ` AS fx_age_days,
			` + c.exact + ` AS fx_kzt_exact, ` + c.kzt + ` AS amount_kzt, ` + c.usd + ` AS amount_usd
		FROM (` + inner + `)`
}

// conversion holds the expressions of converted()'s columns, each written
// out in full rather than through the others' aliases: a materialized
// view's SELECT must be flat (18.16 pushes the inserted block into the
// outermost FROM, so a view cannot read a subquery's columns) and give
// exactly its target's columns (so no helper aliases). ClickHouse computes
// an expression that occurs several times once.
type conversion struct {
	key, found, missing, perUnit, perUSD, rateDay, stale, expired, ageDays, exact, kzt, usd string
}

// conversionOf converts the amount, in currency, at the rates of day (all
// three expressions) with the arithmetic described at the top of this file.
func conversionOf(amount, currency, day string) conversion {
	var c conversion
	c.key = "concat(" + currency + ", toString(" + day + "))"
	get := func(column string) string { return "joinGet('fx_join', '" + column + "', " + c.key + ")" }
	c.found = get("fx_found")
	c.missing = "toUInt8(1 - " + c.found + ")"
	c.perUnit = "if(" + c.found + " = 1, " + get("kzt_per_unit") + ", toDecimal128(0, 8))"
	c.perUSD = "if(" + c.found + " = 1, " + get("kzt_per_usd") + ", toDecimal128(1, 8))" // both branches of if run: never divide by 0
	c.rateDay = get("rate_day")
	c.stale, c.expired = get("fx_stale"), get("fx_expired")
	c.ageDays = "if(" + c.found + " = 1 OR " + c.expired + " = 1, toInt32(dateDiff('day', " + c.rateDay + ", " + day + ")), toInt32(0))"
	c.exact = "toDecimal128(" + amount + ", 4) * " + c.perUnit
	c.kzt = "if(" + c.found + " = 1, toDecimal128(" + c.exact + " + toDecimal128('0.005', 3), 2), toDecimal128(0, 2))"
	c.usd = "if(" + c.found + " = 1, toDecimal128(" + c.exact + " / " + c.perUSD + " + toDecimal128('0.005', 3), 2), toDecimal128(0, 2))"
	return c
}
