package analytics

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// PipelineRow is one cell of "Investment pipeline by priority sector and stage".
type PipelineRow struct {
	Sector      string          `json:"sector"`
	Stage       string          `json:"stage"`
	Leads       uint64          `json:"leads"`
	CapexUSD    decimal.Decimal `json:"capex_usd"`
	WeightedUSD decimal.Decimal `json:"weighted_usd"`
	NoRate      uint64          `json:"leads_without_rate"` // leads whose currency has no rate (or only one past the hard limit): not in the sums
	CapexKZT    decimal.Decimal `json:"capex_kzt"`
	WeightedKZT decimal.Decimal `json:"weighted_kzt"`
	rateAge
}

// PipelineFilter narrows the pipeline.
type PipelineFilter struct {
	Post    string
	Country string // investor's home country
}

// Pipeline sums the current state of every lead by sector and stage (see
// PipelineFromStates for the definition), from the aggregates ingest keeps
// when they are current for the loaded rates (pipeline_agg.go), else from
// the states.
func Pipeline(ctx context.Context, conn driver.Conn, f PipelineFilter) ([]PipelineRow, error) {
	current, err := fromAggregates(ctx, conn, LeadKPI)
	if err != nil {
		return nil, err
	}
	if !current {
		return PipelineFromStates(ctx, conn, f)
	}
	cond, args := f.where()
	return pipelineFromAggregates(ctx, conn, cond, args)
}

func (f PipelineFilter) where() (string, []any) {
	var where []string
	var args []any
	if f.Post != "" {
		where = append(where, "post = ?")
		args = append(args, f.Post)
	}
	if f.Country != "" {
		where = append(where, "investor_country = ?")
		args = append(args, f.Country)
	}
	if len(where) == 0 {
		return "", nil
	}
	return "WHERE " + strings.Join(where, " AND "), args
}

// PipelineFromStates sums the current state of every lead by sector and stage: the
// count, capex in USD and in KZT, and capex weighted by each lead's stage
// probability, with how old the rates behind them were (rateAge: leads at a
// stale rate, leads without rate because theirs is past the hard limit).
// Each lead counts once (FINAL collapses redelivered events); leads without a
// sector are grouped under "unassigned".
// It reads every version of every lead (FINAL): the figure's definition,
// which the aggregates are tested against.
func PipelineFromStates(ctx context.Context, conn driver.Conn, f PipelineFilter) ([]PipelineRow, error) {
	cond, args := f.where()
	// Capex converts at the rates of the day the lead's stage took effect;
	// filters apply outside the FINAL read (see exports.go).
	q := `SELECT sector_code, stage,
			count() AS leads,
			sumIf(amount_usd, fx_missing = 0) AS sum_capex_usd,
			sumIf(amount_usd * probability, fx_missing = 0) AS sum_weighted_usd,
			countIf(fx_missing = 1) AS no_rate,
			sumIf(amount_kzt, fx_missing = 0) AS sum_capex_kzt,
			sumIf(amount_kzt * probability, fx_missing = 0) AS sum_weighted_kzt,
			` + rateAgeSQL("1") + `
		FROM (` + converted(`SELECT if(sector = '', 'unassigned', sector) AS sector_code, stage, probability,
				capex AS fx_amount, currency AS fx_currency, stage_day AS fx_day
			FROM (SELECT * FROM lead_states FINAL) `+cond) + `)
		GROUP BY sector_code, stage
		ORDER BY sector_code, stage`
	return scanPipeline(ctx, conn, q, args)
}

func scanPipeline(ctx context.Context, conn driver.Conn, q string, args []any) ([]PipelineRow, error) {
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("pipeline query: %w", err)
	}
	defer rows.Close()
	var out []PipelineRow
	for rows.Next() {
		var r PipelineRow
		if err := rows.Scan(append([]any{&r.Sector, &r.Stage, &r.Leads, &r.CapexUSD, &r.WeightedUSD, &r.NoRate, &r.CapexKZT, &r.WeightedKZT}, r.rateAge.dest()...)...); err != nil {
			return nil, fmt.Errorf("pipeline row: %w", err)
		}
		r.CapexUSD = r.CapexUSD.Round(2)
		r.WeightedUSD = r.WeightedUSD.Round(2)
		r.CapexKZT, r.WeightedKZT = r.CapexKZT.Round(2), r.WeightedKZT.Round(2)
		out = append(out, r)
	}
	return out, rows.Err()
}
