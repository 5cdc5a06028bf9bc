package analytics

// Figures of the partner-country page that the other files do not give: the
// barriers a country raised, year by year of their report and one by one, and
// the leads of the pipeline one by one. They follow the definitions of
// exports.go (barriers: latest state, value at stake converted at the rates
// of the day reported) and pipeline.go (leads: current state, capex at the
// rates of the day their stage took effect, weighted by the stage's
// probability); records without a rate that day are counted, never summed.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// BarrierReportedYear is the barriers reported in one year (of reported_on)
// and where they stand now. Reported = Open + Dormant + Resolved.
type BarrierReportedYear struct {
	Year            uint16          `json:"year"`
	Reported        uint64          `json:"reported"`
	Open            uint64          `json:"open"` // reported, verified, in negotiation, resolved partly
	Dormant         uint64          `json:"dormant"`
	Resolved        uint64          `json:"resolved"`
	ValueAtStakeUSD decimal.Decimal `json:"value_at_stake_usd"` // of those with a value and a rate
	ValueAtStakeKZT decimal.Decimal `json:"value_at_stake_kzt"` // the same in tenge
	NoRate          uint64          `json:"no_rate"`            // with a value whose currency has no rate: not in the sum
	rateAge                         // of those with a value
}

// BarriersReportedByYear counts the barriers in the filter per year they were
// reported: how many, how many are open, dormant or resolved now, and their
// value at stake in USD.
func BarriersReportedByYear(ctx context.Context, conn driver.Conn, f BarrierFilter) ([]BarrierReportedYear, error) {
	base, args := barriersBase(f)
	q := `SELECT toUInt16(toYear(reported_on)) AS reported_year, toUInt64(count()) AS reported_count,
			toUInt64(sum(is_open)) AS open_count, toUInt64(sum(is_dormant)) AS dormant_count,
			toUInt64(sum(is_resolved)) AS resolved_count,
			sumIf(amount_usd, has_value = 1 AND fx_missing = 0) AS usd,
			toUInt64(countIf(has_value = 1 AND fx_missing = 1)) AS no_rate,
			sumIf(amount_kzt, has_value = 1 AND fx_missing = 0) AS kzt, ` + rateAgeSQL("has_value = 1") + `
		FROM (` + base + `)
		GROUP BY reported_year
		ORDER BY reported_year`
	return queryRows(ctx, conn, "barriers reported by year", q, args, func(r *BarrierReportedYear) []any {
		return append([]any{&r.Year, &r.Reported, &r.Open, &r.Dormant, &r.Resolved, &r.ValueAtStakeUSD, &r.NoRate, &r.ValueAtStakeKZT}, r.rateAge.dest()...)
	})
}

// BarrierRecord is one barrier in its latest state.
type BarrierRecord struct {
	BarrierID  string          `json:"barrier_id"`
	Post       string          `json:"post"`
	Country    string          `json:"country"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Status     string          `json:"status"`
	LeadAgency string          `json:"lead_agency"`
	HSCodes    []string        `json:"hs_codes"`
	ReportedOn string          `json:"reported_on"`
	ResolvedOn string          `json:"resolved_on,omitempty"`
	HasValue   bool            `json:"has_value"`
	Value      decimal.Decimal `json:"value"` // 0 without a value
	Currency   string          `json:"currency"`
	USD        decimal.Decimal `json:"usd"`     // at the rates of the day reported; 0 without a value or a rate
	NoRate     bool            `json:"no_rate"` // a value whose currency has no rate that day
	recordRate                 // the value in KZT, the rate day used and its age (with a value only)
}

// BarrierRecords lists the barriers in the filter, in order of the day they
// were reported: the records behind the barrier figures.
func BarrierRecords(ctx context.Context, conn driver.Conn, f BarrierFilter) ([]BarrierRecord, error) {
	base, args := barriersBase(f)
	q := `SELECT barrier_id, post, country, type, title, status, lead_agency, hs_codes, reported_on,
			toUInt8(isNotNull(resolved_on)) AS has_resolved, assumeNotNull(resolved_on) AS resolved_day,
			has_value, value_at_stake, currency, amount_usd, fx_missing, usd_rate_day, amount_kzt, fx_age_days, fx_stale, fx_expired
		FROM (` + base + `)
		ORDER BY reported_on, barrier_id`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("barrier records: %w", err)
	}
	defer rows.Close()
	var out []BarrierRecord
	for rows.Next() {
		var r BarrierRecord
		var reported, resolved, rateDay time.Time
		var hasResolved, hasValue, missing, stale, tooOld uint8
		var age int32
		if err := rows.Scan(&r.BarrierID, &r.Post, &r.Country, &r.Type, &r.Title, &r.Status, &r.LeadAgency, &r.HSCodes, &reported,
			&hasResolved, &resolved, &hasValue, &r.Value, &r.Currency, &r.USD, &missing, &rateDay, &r.KZT, &age, &stale, &tooOld); err != nil {
			return nil, fmt.Errorf("barrier record: %w", err)
		}
		r.ReportedOn, r.HasValue = reported.Format(time.DateOnly), hasValue == 1
		if hasResolved == 1 {
			r.ResolvedOn = resolved.Format(time.DateOnly)
		}
		if r.HasValue {
			r.NoRate = missing == 1
			r.set(r.NoRate, rateDay, age, stale, tooOld)
		} else {
			r.USD, r.KZT = decimal.Zero, decimal.Zero
		}
		if r.HSCodes == nil {
			r.HSCodes = []string{}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PipelineRecord is one lead behind Pipeline, in its current state.
type PipelineRecord struct {
	LeadID          string          `json:"lead_id"`
	Title           string          `json:"title"`
	InvestorName    string          `json:"investor_name"`
	InvestorCountry string          `json:"investor_country"`
	Post            string          `json:"post"`
	Sector          string          `json:"sector"` // "unassigned" when none
	Stage           string          `json:"stage"`
	StageDay        string          `json:"stage_day"` // the day the stage took effect: the day of the rates
	Jobs            uint32          `json:"jobs"`
	Capex           decimal.Decimal `json:"capex"`
	Currency        string          `json:"currency"`
	USD             decimal.Decimal `json:"usd"`          // 0 without a rate
	WeightedUSD     decimal.Decimal `json:"weighted_usd"` // USD × the stage's probability, to the cent
	WeightedKZT     decimal.Decimal `json:"weighted_kzt"` // the same in tenge
	NoRate          bool            `json:"no_rate"`
	recordRate                      // capex in KZT, the rate day used and its age
	DecisionDate    string          `json:"expected_decision_date,omitempty"`
}

// leadStageOrder is the order of the stages in lists: the pipeline's, then on hold and lost.
var leadStageOrder = []string{"identified", "contacted", "qualified", "negotiating", "committed", "implementing", "operational", "on_hold", "lost"}

// PipelineRecords lists the leads behind Pipeline for the same filter, by
// sector, then stage (in pipeline order), then the day their stage took effect.
func PipelineRecords(ctx context.Context, conn driver.Conn, f PipelineFilter) ([]PipelineRecord, error) {
	cond, args := leadFilter(KPIFilter{Post: f.Post, Country: f.Country})
	q := `SELECT toString(lead_id), title, investor_name, investor_country, post, sector_code, stage, stage_day, expected_jobs,
			fx_amount, fx_currency, amount_usd, amount_usd * probability, fx_missing,
			toUInt8(isNotNull(expected_decision_date)), assumeNotNull(expected_decision_date),
			amount_kzt, amount_kzt * probability, rate_day, fx_age_days, fx_stale, fx_expired
		FROM (` + converted(`SELECT lead_id, title, investor_name, investor_country, post, if(sector = '', 'unassigned', sector) AS sector_code,
				stage, stage_day, expected_jobs, probability, expected_decision_date,
				capex AS fx_amount, currency AS fx_currency, stage_day AS fx_day
			FROM (SELECT * FROM lead_states FINAL) WHERE `+cond) + `)
		ORDER BY sector_code, indexOf(['` + strings.Join(leadStageOrder, "', '") + `'], stage), stage_day, lead_id`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("pipeline records: %w", err)
	}
	defer rows.Close()
	var out []PipelineRecord
	for rows.Next() {
		var r PipelineRecord
		var stageDay, decision, rateDay time.Time
		var missing, hasDecision, stale, tooOld uint8
		var age int32
		if err := rows.Scan(&r.LeadID, &r.Title, &r.InvestorName, &r.InvestorCountry, &r.Post, &r.Sector, &r.Stage, &stageDay, &r.Jobs,
			&r.Capex, &r.Currency, &r.USD, &r.WeightedUSD, &missing, &hasDecision, &decision,
			&r.KZT, &r.WeightedKZT, &rateDay, &age, &stale, &tooOld); err != nil {
			return nil, fmt.Errorf("pipeline record: %w", err)
		}
		r.StageDay, r.NoRate, r.WeightedUSD, r.WeightedKZT = stageDay.Format(time.DateOnly), missing == 1, r.WeightedUSD.Round(2), r.WeightedKZT.Round(2)
		r.set(r.NoRate, rateDay, age, stale, tooOld)
		if hasDecision == 1 {
			r.DecisionDate = decision.Format(time.DateOnly)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
