package analytics

// The export figures from aggregates that ingest keeps (issue 19; the
// design is in AGGREGATES.md, the machinery in aggregates.go):
//
//	deal events ──ingest──▶ deal_exports_changes ──deal_exports_mv──▶ deal_exports
//
// keyed by what the export figures group and filter by: post, buyer
// country, HS code (and its chapter and heading), stage, year of the deal
// date, a clause, and the rate flags and age. Each deal is there once
// under the empty clause, and a realised or committed one once more under
// each of its clauses (the figures by clause: the scorecard's clause
// scope); one table rather than a twin by clause, so that a ledger insert
// writes one part. Sector and
// raw/non-raw are not keys: they come from hs_classification, joined by HS
// code when a figure is read, over the few thousand key rows, so a changed
// mapping needs no re-projection (as the figures from the states).

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// ExportKeys are what the export figures read of a deal's state.
type ExportKeys struct {
	Post, BuyerCountry, HSCode, HSChapter, HSHeading, Stage, Currency string
	Clauses                                                           string // sorted, comma-separated
	Value                                                             decimal.Decimal
	DealDate                                                          time.Time
}

// ExportKeysOf returns the export keys of a deal state.
func ExportKeysOf(d DealStateRow) ExportKeys {
	return ExportKeys{Post: d.Post, BuyerCountry: d.BuyerCountry, HSCode: d.HSCode, HSChapter: d.HSChapter, HSHeading: d.HSHeading,
		Stage: d.Stage, Currency: d.Currency, Clauses: clausesKey(d.Clauses), Value: d.Value, DealDate: d.DealDate}
}

// Equal reports whether both keys put a deal in the same place of every figure.
func (k ExportKeys) Equal(o ExportKeys) bool {
	return k.Post == o.Post && k.BuyerCountry == o.BuyerCountry && k.HSCode == o.HSCode && k.HSChapter == o.HSChapter &&
		k.HSHeading == o.HSHeading && k.Stage == o.Stage && k.Currency == o.Currency && k.Clauses == o.Clauses &&
		k.Value.Equal(o.Value) && k.DealDate.Equal(o.DealDate)
}

func (k ExportKeys) ledgerValues() []any {
	return []any{k.Post, k.BuyerCountry, k.HSCode, k.HSChapter, k.HSHeading, k.Stage, k.Clauses, k.Value, k.Currency, k.DealDate}
}

// DealExports is the family of the export figures: the ledger
// deal_exports_changes and the aggregates deal_exports.
var DealExports = &Family[ExportKeys]{
	Name: "deal_exports", Ledger: "deal_exports_changes", Stream: "EXPORTS",
	ledgerDDL: `CREATE TABLE IF NOT EXISTS deal_exports_changes (
    stream_seq    UInt64,
    event_id      UUID,
    sign          Int8,
    deal_id       String,
    post          String,
    buyer_country String,
    hs_code       String,
    hs_chapter    String,
    hs_heading    String,
    stage         String,
    clauses       String,
    value         Decimal(38, 4),
    currency      String,
    deal_date     Date
) ENGINE = MergeTree ORDER BY (stream_seq, sign)`,
	ledgerColumns: "stream_seq, event_id, sign, deal_id, post, buyer_country, hs_code, hs_chapter, hs_heading, stage, clauses, value, currency, deal_date",
	projections: []projection{
		// One row per distinct keys; merges add equal keys up and drop those
		// every deal has left. The rate flags are keys so that the oldest
		// rate stays a max over the keys that hold deals. The clause is a
		// key of its own: the sets of clauses in use as a key would
		// multiply the rows.
		{table: "deal_exports", columns: exportsColumns, names: exportsNames, selectFrom: exportsSelect},
	},
	retired: []string{"deal_exports_by_clause"},
	States:  func(rows *Rows) int { return len(rows.DealStates) },
	At: func(rows *Rows, i, _ int) State[ExportKeys] {
		d := rows.DealStates[i]
		return State[ExportKeys]{Record: d.DealID, Version: d.Version, EventID: d.EventID, Keys: ExportKeysOf(d)}
	},
}

// exportsKeys are the keys of deal_exports; the rate flags are keys so
// that the oldest rate stays a max over the keys that hold deals.
const exportsKeys = "clause, stage, deal_year, post, buyer_country, hs_code, hs_chapter, hs_heading, fx_missing, fx_stale, fx_expired, fx_age_days"

// exportsColumns are the columns and engine of deal_exports.
const exportsColumns = `(
    clause        String,
    stage         String,
    deal_year     UInt16,
    post          String,
    buyer_country String,
    hs_code       String,
    hs_chapter    String,
    hs_heading    String,
    fx_missing    UInt8,
    fx_stale      UInt8,
    fx_expired    UInt8,
    fx_age_days   Int32,
    deals         Int64,
    value_usd     Decimal(38, 2),
    value_kzt     Decimal(38, 2)
) ENGINE = SummingMergeTree()
ORDER BY (` + exportsKeys + `)`

const exportsNames = exportsKeys + ", deals, value_usd, value_kzt"

// exportsSelect is deal_exports' selectFrom: each deal's value converted
// at its deal date's rates and rounded to the cent, as dealsClassified
// does, under the empty clause and, realised or committed, under each of its
// clauses.
func exportsSelect(from string) string {
	c := conversionOf("value", "currency", "deal_date")
	clauses := "if(clauses = '' OR stage NOT IN ('" + strings.Join(CommittedStages, "', '") + "'), emptyArrayString(), splitByChar(',', clauses))"
	return `SELECT arrayJoin(arrayConcat([''], ` + clauses + `)) AS clause, stage,
			toUInt16(toYear(deal_date)) AS deal_year, post, buyer_country, hs_code, hs_chapter, hs_heading,
			` + c.missing + ` AS fx_missing, ` + c.stale + ` AS fx_stale, ` + c.expired + ` AS fx_expired, ` + c.ageDays + ` AS fx_age_days,
			toInt64(sum(sign)) AS deals, sum(sign * ` + c.usd + `) AS value_usd, sum(sign * ` + c.kzt + `) AS value_kzt
		FROM ` + from + `
		GROUP BY ` + exportsKeys
}

// dealKeys is dealsClassified for the export figures, as rows with a
// count: from the aggregates when they are current (each row the deals of
// one value of dims and the rate flags, n of them, with their sums), else
// from the states (each row a deal, n = 1). Its columns: dims, hs_code, n,
// value_usd, value_kzt, fx_missing, fx_stale, fx_expired, fx_age_days,
// sector_code, sector_name, raw, and from the states every column of
// dealsClassified. A figure over it counts with sum(n), never count(), and
// reads no column but those. dims are among stage, deal_year, post,
// buyer_country, hs_chapter, hs_heading and clauses; with clauses the
// deals must be the realised or committed ones (stageRule
// CommittedStages), and each deal comes once per clause as [clause].
func dealKeys(ctx context.Context, conn driver.Conn, f ExportFilter, stageRule []string, dims ...string) (string, []any, error) {
	agg, err := fromAggregates(ctx, conn, DealExports)
	if err != nil {
		return "", nil, err
	}
	if !agg {
		cond, args := dealFilter(f, stageRule)
		q := `SELECT *, toInt64(1) AS n FROM (` + dealsClassifiedBase() + `) ` + cond
		return q, args, nil
	}
	keys, clauses, clauseRows := dims, "", everyRecordRows
	if i := slices.Index(dims, "clauses"); i >= 0 {
		if len(f.Stages) > 0 || !slices.Equal(stageRule, CommittedStages) {
			return "", nil, fmt.Errorf("exports by clause: only of the realised or committed deals")
		}
		keys, clauses, clauseRows = append(slices.Delete(slices.Clone(dims), i, i+1), "clause"), "[clause] AS clauses, ", byClauseRows
	}
	// The filters on keys of the table apply before its sums, the sector's
	// (of the mapping) after the classification.
	inner, innerArgs := dealFilter(ExportFilter{Years: f.Years, Post: f.Post, BuyerCountry: f.BuyerCountry, Stages: f.Stages}, stageRule)
	if inner == "" {
		inner = "WHERE " + clauseRows
	} else {
		inner += " AND " + clauseRows
	}
	outer, outerArgs := dealFilter(ExportFilter{Sector: f.Sector}, nil)
	group := strings.Join(append(slices.Clone(keys), "hs_code", "fx_missing", "fx_stale", "fx_expired"), ", ")
	// The sums over the keys first (correct whether or not the parts have
	// merged: no FINAL; the rate ages as rateAgesSQL), then the
	// classification of the few rows.
	q := `SELECT * FROM (
			SELECT ` + group + `, ` + clauses + `n, key_usd AS value_usd, key_kzt AS value_kzt, ` + oldestRateAgeSQL + `,
				if(sector = '', 'unassigned', sector) AS sector_code, sector_name, raw
			FROM (
				SELECT ` + group + `, sum(deals) AS n, sum(value_usd) AS key_usd, sum(value_kzt) AS key_kzt, ` + rateAgesSQL("deals") + `
				FROM deal_exports ` + inner + `
				GROUP BY ` + group + `
				HAVING n != 0
			) ANY LEFT JOIN (
				SELECT hs6 AS hs_code, sector, sector_name, raw FROM hs_classification
			) USING hs_code
		) ` + outer
	return q, append(innerArgs, outerArgs...), nil
}
