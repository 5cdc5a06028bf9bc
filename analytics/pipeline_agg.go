package analytics

// The investment pipeline from aggregates that ingest keeps (issue 19; the
// design and its measurements are in AGGREGATES.md).
//
//	lead events ──ingest──▶ lead_kpi_changes ──lead_pipeline_mv──▶ lead_pipeline
//	                        (the leads' ledger,   (SummingMergeTree: signed counts and
//	                         kpi_agg.go)           sums converted at insert, keyed by
//	                                               what the figure groups by)
//
// The table is one of the LeadKPI family's (one ledger for every lead
// figure: one insert per load of lead events); the machinery is in
// aggregates.go; this file says what the pipeline keeps and reads.

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The aggregates: a row per distinct (figure keys, rate flags); merges add
// the counts and sums of equal keys up and drop the keys every lead has
// left (all sums 0). The rate flags are keys so that the oldest rate stays
// a max over the keys that hold leads.
const pipelineAggregateColumns = `(
    sector_code      String,
    stage            String,
    post             String,
    investor_country String,
    fx_missing       UInt8,
    fx_stale         UInt8,
    fx_expired       UInt8,
    fx_age_days      Int32,
    leads            Int64,
    capex_usd        Decimal(38, 2),
    weighted_usd     Decimal(38, 6),
    capex_kzt        Decimal(38, 2),
    weighted_kzt     Decimal(38, 6)
) ENGINE = SummingMergeTree()
ORDER BY (sector_code, stage, post, investor_country, fx_missing, fx_stale, fx_expired, fx_age_days)`

const pipelineAggregateNames = "sector_code, stage, post, investor_country, fx_missing, fx_stale, fx_expired, fx_age_days, leads, capex_usd, weighted_usd, capex_kzt, weighted_kzt"

// pipelineSelect converts the ledger rows of from (a table, or a subquery
// in parentheses) into signed aggregate rows, exactly the aggregates'
// columns: each amount converted and rounded to the cent on its own, as
// the figure from the states does (conversionOf, one flat SELECT, as a
// materialized view needs), then summed by key, so that each insert adds
// a part of one row per key (SummingMergeTree sums only when it merges
// parts, not within the part an insert writes).
func pipelineSelect(from string) string {
	c := conversionOf("capex", "currency", "stage_day")
	return `SELECT if(sector = '', 'unassigned', sector) AS sector_code, stage, post, investor_country,
			` + c.missing + ` AS fx_missing, ` + c.stale + ` AS fx_stale, ` + c.expired + ` AS fx_expired, ` + c.ageDays + ` AS fx_age_days,
			toInt64(sum(sign)) AS leads,
			sum(sign * ` + c.usd + `) AS capex_usd, sum(sign * (` + c.usd + ` * probability)) AS weighted_usd,
			sum(sign * ` + c.kzt + `) AS capex_kzt, sum(sign * (` + c.kzt + ` * probability)) AS weighted_kzt
		FROM ` + from + `
		GROUP BY sector_code, stage, post, investor_country, fx_missing, fx_stale, fx_expired, fx_age_days`
}

// pipelineFromAggregates is Pipeline read from lead_pipeline: a sum over
// its keys, correct whether or not its parts have merged.
func pipelineFromAggregates(ctx context.Context, conn driver.Conn, cond string, args []any) ([]PipelineRow, error) {
	q := `SELECT sector_code, stage, toUInt64(sum(n)) AS leads_n,
			sum(usd), sum(w_usd), toUInt64(sumIf(n, fx_missing = 1)), sum(kzt), sum(w_kzt),
			toUInt64(sumIf(n, fx_stale = 1)), toInt32(maxIf(fx_age_days, fx_missing = 0)), toUInt64(sumIf(n, fx_expired = 1))
		FROM (
			SELECT sector_code, stage, fx_missing, fx_stale, fx_expired, fx_age_days,
				sum(leads) AS n, sum(capex_usd) AS usd, sum(weighted_usd) AS w_usd, sum(capex_kzt) AS kzt, sum(weighted_kzt) AS w_kzt
			FROM lead_pipeline ` + cond + `
			GROUP BY sector_code, stage, post, investor_country, fx_missing, fx_stale, fx_expired, fx_age_days
			HAVING n != 0
		)
		GROUP BY sector_code, stage
		ORDER BY sector_code, stage`
	return scanPipeline(ctx, conn, q, args)
}
