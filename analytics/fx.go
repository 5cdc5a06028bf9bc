package analytics

// Exchange rates and conversion to USD and KZT.
//
// Amounts are stored in their own currency; a figure converts each one when
// it is read, at the rates in force on the day the amount refers to (see
// each figure's definition), from fx_daily: for every currency and day, the
// rates of the rates file in force that day. So reloading the rates file
// changes every figure at once, and nothing has to be replayed.
//
// The arithmetic is the one of services/platform/reference/rates.go, in ClickHouse
// Decimal: USD = amount / per_usd and KZT = amount × kzt_per_usd / per_usd,
// both cut to 10 decimal places (ClickHouse's Decimal division keeps the
// dividend's scale and truncates), then rounded to the cent half away from
// zero (amounts are never negative, so: add 0.005 and cut to 2 places). Each
// record is rounded to the cent before any sum, so a figure equals the sum of
// the records a drill-down lists. The ranges fit Decimal128: amounts are at
// most 10^13 (services/platform/money) and rates have 6 decimal places.
//
// An amount whose currency (or KZT) has no rate on or before its day has
// fx_missing = 1 and converts to 0: every figure counts such records apart
// ("without rate") instead of dropping them in silence.

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
	PerUSD     decimal.Decimal // units of the currency per USD
	KZTPerUSD  decimal.Decimal
	USDRateDay time.Time // the day of the currency's rate in force
	KZTRateDay time.Time // the day of the KZT rate in force
}

// FXDaily expands rates to every day from each currency's first day with
// both its own and a KZT rate to RatesEnd, in currency and day order.
func FXDaily(rs *reference.Rates) []FXDailyRow {
	var out []FXDailyRow
	kzt := rs.Series("KZT")
	if len(kzt) == 0 {
		return nil
	}
	one := decimal.NewFromInt(1)
	for _, cur := range rs.Currencies() {
		series := rs.Series(cur)
		if cur == "USD" {
			series = []reference.DayRate{{Day: kzt[0].Day, Currency: "USD", PerUSD: one}}
		}
		start := series[0].Day
		if kzt[0].Day.After(start) {
			start = kzt[0].Day
		}
		i, k := 0, 0 // the rates in force: series[i], kzt[k]
		for d := start; !d.After(RatesEnd); d = d.AddDate(0, 0, 1) {
			for i+1 < len(series) && !series[i+1].Day.After(d) {
				i++
			}
			for k+1 < len(kzt) && !kzt[k+1].Day.After(d) {
				k++
			}
			if series[i].Day.After(d) || kzt[k].Day.After(d) {
				continue
			}
			usdDay := series[i].Day
			if cur == "USD" {
				usdDay = d
			}
			out = append(out, FXDailyRow{Currency: cur, Day: d, PerUSD: series[i].PerUSD, KZTPerUSD: kzt[k].PerUSD,
				USDRateDay: usdDay, KZTRateDay: kzt[k].Day})
		}
	}
	return out
}

// RatesDigest identifies the content of rates, to skip a load of unchanged rates.
func RatesDigest(rs *reference.Rates) string {
	h := sha256.New()
	for _, cur := range rs.Currencies() {
		for _, r := range rs.Series(cur) {
			fmt.Fprintf(h, "%s %s %s\n", r.Day.Format(time.DateOnly), cur, r.PerUSD)
		}
	}
	// The tables it fills: a new table makes every database load the rates again.
	fmt.Fprintf(h, "end %s; tables fx_daily, fx_join\n", RatesEnd.Format(time.DateOnly))
	return hex.EncodeToString(h.Sum(nil))
}

// LoadRates replaces fx_daily with rates (source names the file, for the
// record), unless the same rates are loaded already; it returns the number
// of days×currencies and whether it loaded them. Parse and validate the
// file first: a refused file never reaches this, and the figures keep the
// rates they had.
func LoadRates(ctx context.Context, conn driver.Conn, rs *reference.Rates, source string) (int, bool, error) {
	digest := RatesDigest(rs)
	if n, same, err := loadedAlready(ctx, conn, "fx_daily", digest); err != nil || same {
		return n, false, err
	}
	rows := FXDaily(rs)
	if len(rows) == 0 {
		return 0, false, fmt.Errorf("rates from %s: no day has both a currency rate and a KZT rate", source)
	}
	values := func(r FXDailyRow) []any {
		return []any{r.Currency, r.Day, r.PerUSD, r.KZTPerUSD, r.USDRateDay, r.KZTRateDay, uint8(1)}
	}
	// The readable table first: it is counted, and the join table gets the same rows.
	if err := replaceTable(ctx, conn, "fx_daily", "currency, day, per_usd, kzt_per_usd, usd_rate_day, kzt_rate_day, found", rows, values); err != nil {
		return 0, false, fmt.Errorf("rates from %s: %w", source, err)
	}
	joinValues := func(r FXDailyRow) []any {
		return []any{r.Currency + r.Day.Format(time.DateOnly), r.PerUSD, r.KZTPerUSD, r.USDRateDay, r.KZTRateDay, uint8(1)}
	}
	if err := replaceJoinTable(ctx, conn, "fx_join", "fx_key, per_usd, kzt_per_usd, usd_rate_day, kzt_rate_day, fx_found", rows, joinValues); err != nil {
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
// there is no rate), fx_missing (1 when there is none), usd_rate_day and
// kzt_rate_day. The rates come from the Join table fx_join by joinGet: no
// JOIN (18.16 allows one per SELECT) and no hash table built per query.
func converted(inner string) string {
	get := func(column string) string { return "joinGet('fx_join', '" + column + "', fx_key)" }
	return `SELECT *,
			if(fx_found = 1, toDecimal128(toDecimal128(fx_amount, 10) / fx_per_usd + toDecimal128('0.005', 3), 2), toDecimal128(0, 2)) AS amount_usd,
			if(fx_found = 1, toDecimal128(toDecimal128(fx_amount, 4) * fx_kzt_per_usd / fx_per_usd + toDecimal128('0.005', 3), 2), toDecimal128(0, 2)) AS amount_kzt
		FROM (
			SELECT *, toUInt8(1 - fx_found) AS fx_missing,
				if(fx_found = 1, ` + get("per_usd") + `, toDecimal128(1, 6)) AS fx_per_usd, -- both branches of if run: never divide by 0
				if(fx_found = 1, ` + get("kzt_per_usd") + `, toDecimal128(0, 6)) AS fx_kzt_per_usd,
				` + get("usd_rate_day") + ` AS usd_rate_day, ` + get("kzt_rate_day") + ` AS kzt_rate_day
			FROM (
				SELECT *, ` + get("fx_found") + ` AS fx_found
				FROM (SELECT *, concat(fx_currency, toString(fx_day)) AS fx_key FROM (` + inner + `))
			)
		)`
}
