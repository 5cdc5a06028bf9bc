package analytics

// The barrier figures from aggregates that ingest keeps (issue 19; the
// design is in AGGREGATES.md, the machinery in aggregates.go):
//
//	barrier events ──ingest──▶ barrier_changes ──barrier_tally_mv──▶ barrier_tally
//
// keyed by what Barriers, BarriersByType, BarriersByCountry and
// BarriersResolvedByYear group and filter by: type, country, post, status,
// whether a value is stated, the rate flags and age (of the day reported),
// and for a resolved barrier with a resolution day its year and the days
// it took (the median needs every value: its rows count the barriers per
// number of days).

import (
	"context"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// openBarrierStatuses are the statuses of an open barrier.
const openBarrierStatuses = "'reported', 'verified', 'in_negotiation', 'resolved_partly'"

// BarrierKeys are what the barrier figures read of a barrier's state.
type BarrierKeys struct {
	Post, Country, Type, Status, Currency string
	Clauses                               string // sorted, comma-separated
	HasValue                              bool
	Value                                 decimal.Decimal
	ReportedOn                            time.Time
	ResolvedOn                            time.Time // zero: none
}

// BarrierKeysOf returns the keys of a barrier state.
func BarrierKeysOf(b BarrierStateRow) BarrierKeys {
	k := BarrierKeys{Post: b.Post, Country: b.Country, Type: b.Type, Status: b.Status, Currency: b.Currency,
		Clauses: clausesKey(b.Clauses), HasValue: b.HasValue, Value: b.ValueAtStake, ReportedOn: b.ReportedOn}
	if b.ResolvedOn != nil {
		k.ResolvedOn = *b.ResolvedOn
	}
	return k
}

// Equal reports whether both keys put a barrier in the same place of every figure.
func (k BarrierKeys) Equal(o BarrierKeys) bool {
	return k.Post == o.Post && k.Country == o.Country && k.Type == o.Type && k.Status == o.Status && k.Currency == o.Currency &&
		k.Clauses == o.Clauses && k.HasValue == o.HasValue && k.Value.Equal(o.Value) && k.ReportedOn.Equal(o.ReportedOn) &&
		k.ResolvedOn.Equal(o.ResolvedOn)
}

func (k BarrierKeys) ledgerValues() []any {
	hasValue := uint8(0)
	if k.HasValue {
		hasValue = 1
	}
	return []any{k.Post, k.Country, k.Type, k.Status, k.Clauses, hasValue, k.Value, k.Currency, k.ReportedOn, orNever(k.ResolvedOn)}
}

// BarrierFigures is the family of the barrier figures: the ledger
// barrier_changes and the table barrier_tally.
var BarrierFigures = &Family[BarrierKeys]{
	Name: "barrier_tally", Ledger: "barrier_changes", Stream: "EXPORTS",
	ledgerDDL: `CREATE TABLE IF NOT EXISTS barrier_changes (
    stream_seq     UInt64,
    event_id       UUID,
    sign           Int8,
    barrier_id     String,
    post           String,
    country        String,
    type           String,
    status         String,
    clauses        String,
    has_value      UInt8,
    value_at_stake Decimal(38, 4),
    currency       String,
    reported_on    Date,
    resolved_on    Date
) ENGINE = MergeTree ORDER BY (stream_seq, sign)`,
	ledgerColumns: "stream_seq, event_id, sign, barrier_id, post, country, type, status, clauses, has_value, value_at_stake, currency, reported_on, resolved_on",
	projections: []projection{{table: "barrier_tally", columns: `(
    type          String,
    country       String,
    post          String,
    status        String,
    has_value     UInt8,
    fx_missing    UInt8,
    fx_stale      UInt8,
    fx_expired    UInt8,
    fx_age_days   Int32,
    resolved_year UInt16,
    days          Int32,
    barriers      Int64,
    value_usd     Decimal(38, 2),
    value_kzt     Decimal(38, 2)
) ENGINE = SummingMergeTree()
ORDER BY (type, country, post, status, has_value, fx_missing, fx_stale, fx_expired, fx_age_days, resolved_year, days)`,
		names:      "type, country, post, status, has_value, fx_missing, fx_stale, fx_expired, fx_age_days, resolved_year, days, barriers, value_usd, value_kzt",
		selectFrom: barrierTallySelect,
	}},
	States: func(rows *Rows) int { return len(rows.BarrierStates) },
	At: func(rows *Rows, i, _ int) State[BarrierKeys] {
		b := rows.BarrierStates[i]
		return State[BarrierKeys]{Record: b.BarrierID, Version: b.Version, EventID: b.EventID, Keys: BarrierKeysOf(b)}
	},
}

// barrierTallySelect converts each barrier's value at the rates of the day
// it was reported, as barriersBase does.
func barrierTallySelect(from string) string {
	c := conversionOf("value_at_stake", "currency", "reported_on")
	resolved := "status = 'resolved' AND resolved_on != toDate(0)"
	return `SELECT type, country, post, status, has_value,
			` + c.missing + ` AS fx_missing, ` + c.stale + ` AS fx_stale, ` + c.expired + ` AS fx_expired, ` + c.ageDays + ` AS fx_age_days,
			toUInt16(if(` + resolved + `, toYear(resolved_on), 0)) AS resolved_year,
			toInt32(if(` + resolved + `, dateDiff('day', reported_on, resolved_on), 0)) AS days,
			toInt64(sum(sign)) AS barriers, sum(sign * ` + c.usd + `) AS value_usd, sum(sign * ` + c.kzt + `) AS value_kzt
		FROM ` + from + `
		GROUP BY type, country, post, status, has_value, fx_missing, fx_stale, fx_expired, fx_age_days, resolved_year, days`
}

// barrierSource is the rows the barrier figures sum, by keyExpr (type,
// country, or 'all'): group_key, is_open, is_dormant, is_resolved,
// has_value, the rate flags and age, resolved_year (0 unless resolved with
// a resolution day), days (to resolve, then; else 0), n (the barriers) and
// k_usd, k_kzt (their values at stake): from the aggregates when current,
// else one row per barrier from the states (the definition).
func barrierSource(ctx context.Context, conn driver.Conn, f BarrierFilter, keyExpr string) (string, []any, error) {
	agg, err := fromAggregates(ctx, conn, BarrierFigures)
	if err != nil {
		return "", nil, err
	}
	if !agg {
		base, args := barriersBase(f)
		resolved := "is_resolved = 1 AND isNotNull(resolved_on)"
		return `SELECT ` + keyExpr + ` AS group_key, is_open, is_dormant, is_resolved, has_value, fx_missing, fx_stale, fx_expired, fx_age_days,
				toUInt16(if(` + resolved + `, toYear(assumeNotNull(resolved_on)), 0)) AS resolved_year,
				toInt32(if(` + resolved + `, days_to_resolve, 0)) AS days,
				toInt64(1) AS n, value_at_stake_usd AS k_usd, amount_kzt AS k_kzt
			FROM (` + base + `)`, args, nil
	}
	where, args := []string{"1"}, []any{}
	for _, c := range []struct{ column, value string }{{"post", f.Post}, {"country", f.Country}, {"type", f.Type}} {
		if c.value != "" {
			where = append(where, c.column+" = ?")
			args = append(args, c.value)
		}
	}
	// The sums per key first: correct whether or not the parts have merged.
	return `SELECT ` + keyExpr + ` AS group_key, toUInt8(status IN (` + openBarrierStatuses + `)) AS is_open,
			toUInt8(status = 'dormant') AS is_dormant, toUInt8(status = 'resolved') AS is_resolved, has_value,
			fx_missing, fx_stale, fx_expired, fx_age_days, resolved_year, days,
			sum(barriers) AS n, sum(value_usd) AS k_usd, sum(value_kzt) AS k_kzt
		FROM barrier_tally
		WHERE ` + strings.Join(where, " AND ") + `
		GROUP BY group_key, is_open, is_dormant, is_resolved, has_value, fx_missing, fx_stale, fx_expired, fx_age_days, resolved_year, days
		HAVING n != 0`, args, nil
}
