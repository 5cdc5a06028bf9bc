package analytics

// The key figures of the Concept scorecard, each defined once, here. Every
// amount is in USD, converted at the rates in force on the day named in its
// definition (fx.go): records whose currency has no rate that day are counted
// in NoRate and left out of the sums, never dropped in silence.
//
// Investment (investor leads; each lead in its latest state; stage days are
// the days each stage took effect, as the attaché dated them):
//   - Committed investment of a year: the capex of the leads that entered
//     the committed stage that year and are now committed, implementing or
//     operational (a commitment later put on hold or lost no longer counts),
//     converted at the rates of the day they entered committed.
//   - Realised investment of a year: the capex of the leads that entered
//     implementing that year and are now implementing or operational,
//     converted at the rates of the day they entered implementing.
//   - Projects of a year: the number of leads committed that year (as above).
//   - Jobs of a year: the expected jobs of the leads committed that year.
//   - Pipeline (now): the leads not yet committed and not lost
//     (identified, contacted, qualified, negotiating, on hold): their capex at
//     the rates of the day their stage took effect, and weighted by their
//     stage's probability (0 on hold).
//   - Conversion of a year: of the leads identified that year, the share
//     that have entered committed since (whatever their stage now).
//   - Days to commit: from the day a lead was identified to the day it
//     entered committed, for the leads committed in the year; the median of
//     the sorted days (mean of the middle two for an even count).
//
// Exports: as in exports.go: the realised or committed deals (contracted,
// shipped, paid) by the year of their deal date, at its rates.
//   - Non-raw exports: their value not classified raw by the HS mapping.
//   - Export markets: the distinct buyer countries of those deals.
//
// Barriers: value resolved in a year is the value at stake of the barriers
// resolved that year (resolved_on), at the rates of the day they were reported.
//
// Commissions: the execution rate is commissions.go's.
//
// Keys. A figure is broken down by sector (the lead's sector, or the deal's
// HS sector under the mapping; "unassigned" when none), by Concept clause
// (every clause the lead or deal names: a record naming two clauses counts
// for each), or by country (the investor's home country, the buyer's
// country). Sums over clauses can therefore exceed the total.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// By is what a figure is broken down by.
type By string

// Breakdowns of the key figures.
const (
	BySector  By = "sector"
	ByClause  By = "clause"
	ByCountry By = "country"
	ByTotal   By = "total" // one key, "all"
)

// KPIFilter narrows the key figures; the zero value takes every record.
type KPIFilter struct {
	Years   []int  // years of the figure's day; empty: every year
	Sector  string // priority sector code ("unassigned" for records without one)
	Clause  string // a Concept clause the record names
	Country string // investor's country (investment) or buyer's country (exports)
	Post    string
}

// KeyYear is one figure's value for one key and year.
type KeyYear struct {
	Key      string          `json:"key"`
	Year     uint16          `json:"year"`
	Value    decimal.Decimal `json:"value"`
	ValueKZT decimal.Decimal `json:"value_kzt"` // an amount's value in KZT (0 for counts)
	Count    uint64          `json:"count"`     // records behind the value
	NoRate   uint64          `json:"no_rate"`   // records left out of an amount for lack of a rate (TooOld of them past the hard limit)
	rateAge
}

// rateAge says how old the rates behind an amount were: records converted
// at a rate older than the stale limit (Stale, the oldest MaxRateAge days
// older than its record), and records left without rate because their
// latest rate is older than the hard limit (TooOld, counted in NoRate too).
type rateAge struct {
	Stale      uint64 `json:"stale_rate"`
	MaxRateAge int32  `json:"max_rate_age_days"`
	TooOld     uint64 `json:"rate_too_old"`
}

// rateAgeSQL are the rateAge columns of a figure over converted rows; cond
// limits them to the records with an amount.
func rateAgeSQL(cond string) string {
	return `toUInt64(countIf(` + cond + ` AND fx_stale = 1)) AS stale_rate, toInt32(maxIf(fx_age_days, ` + cond + ` AND fx_missing = 0)) AS max_rate_age,
			toUInt64(countIf(` + cond + ` AND fx_expired = 1)) AS rate_too_old`
}

// countedRateAgeSQL is rateAgeSQL over rows that count n records each
// (the aggregates' key rows).
func countedRateAgeSQL(cond string) string {
	return `toUInt64(sumIf(n, ` + cond + ` AND fx_stale = 1)) AS stale_rate, toInt32(maxIf(fx_age_days, ` + cond + ` AND fx_missing = 0)) AS max_rate_age,
			toUInt64(sumIf(n, ` + cond + ` AND fx_expired = 1)) AS rate_too_old`
}

// rateAgesSQL, in a sum over keys of the aggregates without their rate age,
// is the records (records: the column that counts them) per age: ages.
// oldestRateAgeSQL, over that sum, is the oldest age that still has
// records, as the fx_age_days that countedRateAgeSQL reads. The figures
// read only the oldest age, and the age as one more key of the sums would
// multiply the rows to group several times over (BENCHMARKS.md, "Issue
// 19, fifth step: the scorecard and the rate ages").
func rateAgesSQL(records string) string { return "sumMap([fx_age_days], [" + records + "]) AS ages" }

const oldestRateAgeSQL = "arrayReduce('max', arrayFilter((age, records) -> records != 0, tupleElement(ages, 1), tupleElement(ages, 2))) AS fx_age_days"

func (a *rateAge) dest() []any { return []any{&a.Stale, &a.MaxRateAge, &a.TooOld} }

// Investment metrics of InvestmentByYear.
const (
	Committed = "committed"
	Realised  = "realised"
)

// InvestmentYear is the investment committed (or realised) for one key in one year.
type InvestmentYear struct {
	Key      string          `json:"key"`
	Year     uint16          `json:"year"`
	Projects uint64          `json:"projects"`
	Jobs     uint64          `json:"jobs"`
	USD      decimal.Decimal `json:"usd"`
	KZT      decimal.Decimal `json:"kzt"`
	NoRate   uint64          `json:"no_rate"`
	rateAge
}

// investmentStage names, for each investment metric, the stage whose entry
// dates it and the current stages that still count.
var investmentStage = map[string]struct {
	entered string
	now     []string
}{
	Committed: {"committed", []string{"committed", "implementing", "operational"}},
	Realised:  {"implementing", []string{"implementing", "operational"}},
}

// queryRows runs q and scans each row into a T through dest; what names the
// figure in errors.
func queryRows[T any](ctx context.Context, conn driver.Conn, what, q string, args []any, dest func(*T) []any) ([]T, error) {
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var r T
		if err := rows.Scan(dest(&r)...); err != nil {
			return nil, fmt.Errorf("%s row: %w", what, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// keyColumn is the SQL of a record's key for a breakdown, given the
// expressions of the record's sector and country ("" when it has none).
func keyColumn(by By, sector, country string) (string, error) {
	key := map[By]string{BySector: sector, ByClause: "arrayJoin(clauses)", ByCountry: country, ByTotal: "'all'"}[by]
	if key == "" {
		return "", fmt.Errorf("no breakdown by %q here", by)
	}
	return key, nil
}

// leadKey is the SQL of a lead's key for a breakdown (over lead_states columns).
func leadKey(by By) (string, error) {
	return keyColumn(by, "if(sector = '', 'unassigned', sector)", "investor_country")
}

// leadFilter is the WHERE of lead_states columns for f (years are filtered by the caller).
func leadFilter(f KPIFilter) (string, []any) {
	var where []string
	var args []any
	if f.Sector != "" {
		where = append(where, "if(sector = '', 'unassigned', sector) = ?")
		args = append(args, f.Sector)
	}
	if f.Clause != "" {
		where = append(where, "has(clauses, ?)")
		args = append(args, f.Clause)
	}
	if f.Country != "" {
		where = append(where, "investor_country = ?")
		args = append(args, f.Country)
	}
	if f.Post != "" {
		where = append(where, "post = ?")
		args = append(args, f.Post)
	}
	if len(where) == 0 {
		return "1", nil
	}
	return strings.Join(where, " AND "), args
}

func yearsIn(column string, years []int) string {
	if len(years) == 0 {
		return "1"
	}
	list := make([]string, len(years))
	for i, y := range years {
		list[i] = strconv.Itoa(y)
	}
	return column + " IN (" + strings.Join(list, ", ") + ")"
}

// enteredStage is the query of the leads that entered a stage, with the day
// (the first time, should a lead enter it twice) and the lead's current state.
func enteredStage(stage string, now []string, f KPIFilter) (string, []any) {
	cond, args := leadFilter(f)
	quoted := make([]string, len(now))
	for i, s := range now {
		quoted[i] = "'" + s + "'"
	}
	q := `SELECT * FROM (
			SELECT lead_id, title, post, sector, clauses, investor_country, expected_jobs, capex, currency, stage, entered_on
			FROM (SELECT * FROM lead_states FINAL)
			ANY INNER JOIN (
				SELECT lead_id, min(effective_on) AS entered_on
				FROM lead_stage_history FINAL
				WHERE to_stage = '` + stage + `'
				GROUP BY lead_id
			) USING lead_id
		) WHERE stage IN (` + strings.Join(quoted, ", ") + `) AND ` + cond + ` AND ` + yearsIn("toYear(entered_on)", f.Years)
	return q, args
}

// InvestmentByYear is the investment committed or realised (metric
// Committed or Realised) per key and year: projects, jobs and USD.
func InvestmentByYear(ctx context.Context, conn driver.Conn, metric string, by By, f KPIFilter) ([]InvestmentYear, error) {
	if _, ok := investmentStage[metric]; !ok {
		return nil, fmt.Errorf("investment: unknown metric %q", metric)
	}
	both, err := investmentByYears(ctx, conn, []string{metric}, by, f)
	return both[metric], err
}

// investmentByYears is InvestmentByYear of each of metrics: from the
// aggregates in one query for all of them.
func investmentByYears(ctx context.Context, conn driver.Conn, metrics []string, by By, f KPIFilter) (map[string][]InvestmentYear, error) {
	table, aggKey, cond, args, agg, err := kpiAggregates(ctx, conn, "lead_investment", by, f)
	if err != nil {
		return nil, err
	}
	out := map[string][]InvestmentYear{}
	if !agg {
		for _, m := range metrics {
			if out[m], err = investmentFromStates(ctx, conn, m, by, f); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	// The sums per key first: correct whether or not the parts have merged.
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(metrics)), ", ")
	q := `SELECT metric, kpi_key, year, toUInt64(sum(n)) AS projects, toUInt64(sum(j)) AS jobs,
			sumIf(k_usd, fx_missing = 0) AS usd, sumIf(k_kzt, fx_missing = 0) AS kzt, toUInt64(sumIf(n, fx_missing = 1)) AS no_rate,
			` + countedRateAgeSQL("1") + `
		FROM (SELECT *, ` + oldestRateAgeSQL + ` FROM (
			SELECT metric, ` + aggKey + ` AS kpi_key, year, fx_missing, fx_stale, fx_expired,
				sum(leads) AS n, sum(jobs) AS j, sum(capex_usd) AS k_usd, sum(capex_kzt) AS k_kzt, ` + rateAgesSQL("leads") + `
			FROM ` + table + `
			WHERE metric IN (` + marks + `) AND ` + cond + ` AND ` + yearsIn("year", f.Years) + `
			GROUP BY metric, kpi_key, year, fx_missing, fx_stale, fx_expired
			HAVING n != 0
		))
		GROUP BY metric, kpi_key, year
		ORDER BY metric, kpi_key, year`
	metricArgs := make([]any, len(metrics))
	for i, m := range metrics {
		metricArgs[i] = m
	}
	args = append(metricArgs, args...)
	type metricYear struct {
		metric string
		InvestmentYear
	}
	rows, err := queryRows(ctx, conn, fmt.Sprintf("investment by %s", by), q, args, func(r *metricYear) []any {
		return append([]any{&r.metric, &r.Key, &r.Year, &r.Projects, &r.Jobs, &r.USD, &r.KZT, &r.NoRate}, r.rateAge.dest()...)
	})
	for _, r := range rows {
		out[r.metric] = append(out[r.metric], r.InvestmentYear)
	}
	return out, err
}

// investmentFromStates is InvestmentByYear from the states and their
// history: the definition.
func investmentFromStates(ctx context.Context, conn driver.Conn, metric string, by By, f KPIFilter) ([]InvestmentYear, error) {
	st := investmentStage[metric]
	what := fmt.Sprintf("investment %s by %s", metric, by)
	dest := func(r *InvestmentYear) []any {
		return append([]any{&r.Key, &r.Year, &r.Projects, &r.Jobs, &r.USD, &r.KZT, &r.NoRate}, r.rateAge.dest()...)
	}
	key, err := leadKey(by)
	if err != nil {
		return nil, err
	}
	base, args := enteredStage(st.entered, st.now, f)
	q := `SELECT kpi_key, kpi_year, toUInt64(count()) AS projects, toUInt64(sum(expected_jobs)) AS jobs,
			sumIf(amount_usd, fx_missing = 0) AS usd, sumIf(amount_kzt, fx_missing = 0) AS kzt, toUInt64(countIf(fx_missing = 1)) AS no_rate,
			` + rateAgeSQL("1") + `
		FROM (` + converted(`SELECT `+key+` AS kpi_key, toUInt16(toYear(entered_on)) AS kpi_year, expected_jobs,
				capex AS fx_amount, currency AS fx_currency, entered_on AS fx_day
			FROM (`+base+`)`) + `)
		GROUP BY kpi_key, kpi_year
		ORDER BY kpi_key, kpi_year`
	return queryRows(ctx, conn, what, q, args, dest)
}

// InvestmentRecord is one lead behind an investment figure.
type InvestmentRecord struct {
	LeadID    string          `json:"lead_id"`
	Title     string          `json:"title"`
	Post      string          `json:"post"`
	Key       string          `json:"key"`
	EnteredOn string          `json:"entered_on"` // the day it entered the stage that dates it
	Stage     string          `json:"stage"`      // its stage now
	Jobs      uint32          `json:"jobs"`
	Capex     decimal.Decimal `json:"capex"`
	Currency  string          `json:"currency"`
	USD       decimal.Decimal `json:"usd"`     // 0 without a rate
	NoRate    bool            `json:"no_rate"` // no rate that day: not in the figure's USD
	recordRate
}

// recordRate is a record's amount in KZT and the rate day it used: how many
// days older than the record it is, past the stale limit (Stale), or past
// the hard limit (TooOld: the record has no rate, NoRate).
type recordRate struct {
	KZT     decimal.Decimal `json:"kzt"` // 0 without a rate
	RateDay string          `json:"rate_day,omitempty"`
	RateAge int32           `json:"rate_age_days,omitempty"`
	Stale   bool            `json:"stale_rate,omitempty"`
	TooOld  bool            `json:"rate_too_old,omitempty"`
}

// set fills r from a row: whether it has no rate, its rate day and age, and the flags.
func (r *recordRate) set(noRate bool, rateDay time.Time, age int32, stale, tooOld uint8) {
	r.Stale, r.TooOld = stale == 1, tooOld == 1
	if !noRate || r.TooOld {
		r.RateDay, r.RateAge = rateDay.Format(time.DateOnly), age
	}
}

// InvestmentRecords lists the leads behind InvestmentByYear for the same
// metric, breakdown and filter, in order of the day: the drill-down of a figure.
func InvestmentRecords(ctx context.Context, conn driver.Conn, metric string, by By, key string, f KPIFilter) ([]InvestmentRecord, error) {
	st, ok := investmentStage[metric]
	if !ok {
		return nil, fmt.Errorf("investment: unknown metric %q", metric)
	}
	keyExpr, err := leadKey(by)
	if err != nil {
		return nil, err
	}
	base, args := enteredStage(st.entered, st.now, f)
	q := `SELECT toString(lead_id), title, post, kpi_key, entered_on, stage, expected_jobs, fx_amount, fx_currency,
			amount_usd, fx_missing, usd_rate_day, amount_kzt, fx_age_days, fx_stale, fx_expired
		FROM (` + converted(`SELECT lead_id, title, post, `+keyExpr+` AS kpi_key, entered_on, stage, expected_jobs,
				capex AS fx_amount, currency AS fx_currency, entered_on AS fx_day
			FROM (`+base+`)`) + `)
		WHERE kpi_key = ?
		ORDER BY entered_on, lead_id`
	rows, err := conn.Query(joinContext(ctx), q, append(args, key)...)
	if err != nil {
		return nil, fmt.Errorf("investment records: %w", err)
	}
	defer rows.Close()
	var out []InvestmentRecord
	for rows.Next() {
		var r InvestmentRecord
		var entered, rateDay time.Time
		var missing, stale, tooOld uint8
		var age int32
		if err := rows.Scan(&r.LeadID, &r.Title, &r.Post, &r.Key, &entered, &r.Stage, &r.Jobs, &r.Capex, &r.Currency,
			&r.USD, &missing, &rateDay, &r.KZT, &age, &stale, &tooOld); err != nil {
			return nil, fmt.Errorf("investment record: %w", err)
		}
		r.EnteredOn, r.NoRate = entered.Format(time.DateOnly), missing == 1
		r.set(r.NoRate, rateDay, age, stale, tooOld)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PipelineTotal is the open pipeline of one key: leads not yet committed and not lost.
type PipelineTotal struct {
	Key         string          `json:"key"`
	Leads       uint64          `json:"leads"`
	USD         decimal.Decimal `json:"usd"`
	WeightedUSD decimal.Decimal `json:"weighted_usd"`
	KZT         decimal.Decimal `json:"kzt"`          // USD's counterpart in tenge
	WeightedKZT decimal.Decimal `json:"weighted_kzt"` // WeightedUSD's counterpart in tenge
	NoRate      uint64          `json:"no_rate"`
	rateAge
	// ByDecisionYear is the weighted capex by the year of the expected
	// decision date (leads without one are under 0): what the forecast adds.
	ByDecisionYear map[uint16]decimal.Decimal `json:"by_decision_year"`
}

// OpenStages are the stages of the open pipeline.
var OpenStages = []string{"identified", "contacted", "qualified", "negotiating", "on_hold"}

// OpenPipeline is the pipeline now per key (the filter's years do not apply).
func OpenPipeline(ctx context.Context, conn driver.Conn, by By, f KPIFilter) ([]PipelineTotal, error) {
	q, args, err := openPipelineQuery(ctx, conn, by, f)
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("open pipeline by %s: %w", by, err)
	}
	defer rows.Close()
	var out []PipelineTotal
	for rows.Next() {
		var k string
		var year uint16
		var leads, noRate uint64
		var usd, weighted, kzt, weightedKZT decimal.Decimal
		var age rateAge
		if err := rows.Scan(&k, &year, &leads, &usd, &weighted, &noRate, &kzt, &weightedKZT, &age.Stale, &age.MaxRateAge, &age.TooOld); err != nil {
			return nil, fmt.Errorf("open pipeline row: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].Key != k {
			out = append(out, PipelineTotal{Key: k, USD: decimal.Zero, WeightedUSD: decimal.Zero, KZT: decimal.Zero, WeightedKZT: decimal.Zero,
				ByDecisionYear: map[uint16]decimal.Decimal{}})
		}
		p := &out[len(out)-1]
		p.KZT, p.WeightedKZT = p.KZT.Add(kzt), p.WeightedKZT.Add(weightedKZT)
		p.Stale, p.TooOld, p.MaxRateAge = p.Stale+age.Stale, p.TooOld+age.TooOld, max(p.MaxRateAge, age.MaxRateAge)
		p.Leads += leads
		p.NoRate += noRate
		p.USD = p.USD.Add(usd)
		p.WeightedUSD = p.WeightedUSD.Add(weighted)
		p.ByDecisionYear[year] = p.ByDecisionYear[year].Add(weighted).Round(2)
	}
	for i := range out {
		out[i].WeightedUSD = out[i].WeightedUSD.Round(2)
	}
	return out, rows.Err()
}

// openPipelineQuery is OpenPipeline's query: from the lead KPI aggregates
// when they are current, else from lead_states FINAL (the definition).
func openPipelineQuery(ctx context.Context, conn driver.Conn, by By, f KPIFilter) (string, []any, error) {
	table, aggKey, aggCond, aggArgs, agg, err := kpiAggregates(ctx, conn, "lead_open", by, f)
	if err != nil {
		return "", nil, err
	}
	if agg { // the sums per key first: correct whether or not the parts have merged
		return `SELECT kpi_key, decision_year, toUInt64(sum(n)) AS leads, sumIf(k_usd, fx_missing = 0) AS usd,
				sumIf(k_weighted, fx_missing = 0) AS weighted, toUInt64(sumIf(n, fx_missing = 1)) AS no_rate,
				sumIf(k_kzt, fx_missing = 0) AS kzt, sumIf(k_weighted_kzt, fx_missing = 0) AS weighted_kzt, ` + countedRateAgeSQL("1") + `
			FROM (SELECT *, ` + oldestRateAgeSQL + ` FROM (
				SELECT ` + aggKey + ` AS kpi_key, decision_year, fx_missing, fx_stale, fx_expired, sum(leads) AS n,
					sum(capex_usd) AS k_usd, sum(weighted_usd) AS k_weighted, sum(capex_kzt) AS k_kzt, sum(weighted_kzt) AS k_weighted_kzt,
					` + rateAgesSQL("leads") + `
				FROM ` + table + `
				WHERE ` + aggCond + `
				GROUP BY kpi_key, decision_year, fx_missing, fx_stale, fx_expired
				HAVING n != 0
			))
			GROUP BY kpi_key, decision_year
			ORDER BY kpi_key, decision_year`, aggArgs, nil
	}
	key, err := leadKey(by)
	if err != nil {
		return "", nil, err
	}
	cond, args := leadFilter(f)
	return `SELECT kpi_key, decision_year, toUInt64(count()) AS leads, sumIf(amount_usd, fx_missing = 0) AS usd,
			sumIf(amount_usd * probability, fx_missing = 0) AS weighted, toUInt64(countIf(fx_missing = 1)) AS no_rate,
			sumIf(amount_kzt, fx_missing = 0) AS kzt, sumIf(amount_kzt * probability, fx_missing = 0) AS weighted_kzt, ` + rateAgeSQL("1") + `
		FROM (` + converted(`SELECT `+key+` AS kpi_key, probability,
				toUInt16(if(isNull(expected_decision_date), 0, toYear(assumeNotNull(expected_decision_date)))) AS decision_year,
				capex AS fx_amount, currency AS fx_currency, stage_day AS fx_day
			FROM (SELECT * FROM lead_states FINAL)
			WHERE stage IN ('`+strings.Join(OpenStages, "', '")+`') AND `+cond) + `)
		GROUP BY kpi_key, decision_year
		ORDER BY kpi_key, decision_year`, args, nil
}

// ConversionYear is the conversion of the leads identified in one year.
type ConversionYear struct {
	Key        string           `json:"key"`
	Year       uint16           `json:"year"`
	Identified uint64           `json:"identified"`
	Committed  uint64           `json:"committed"` // of them, entered committed since
	Rate       *decimal.Decimal `json:"rate"`      // Committed / Identified, 4 places
	// MedianDaysToCommit is over the leads committed in the year (by the day
	// they entered committed), from the day each was identified.
	MedianDaysToCommit *decimal.Decimal `json:"median_days_to_commit"`
}

// Conversion reports, per key and year, the conversion of the leads
// identified in the year and the median days to commit of those committed in it.
func Conversion(ctx context.Context, conn driver.Conn, by By, f KPIFilter) ([]ConversionYear, error) {
	source, args, err := conversionSource(ctx, conn, by, f)
	if err != nil {
		return nil, err
	}
	byKeyYear := map[string]*ConversionYear{}
	var order []string
	at := func(key string, year uint16) *ConversionYear {
		k := key + "\x00" + strconv.Itoa(int(year))
		if byKeyYear[k] == nil {
			byKeyYear[k] = &ConversionYear{Key: key, Year: year}
			order = append(order, k)
		}
		return byKeyYear[k]
	}
	// One pass over the source: each lead counts by the year it was
	// identified (kind 0) and, once committed, also by the year it was
	// committed (kind 1), whose rows carry its days to commit, as a list
	// of days and how many leads took each.
	q := `SELECT kpi_key, kind, kpi_year, toUInt64(sum(n)), toUInt64(sumIf(n, committed_year != 0)),
			groupArrayIf(days, kind = 1), groupArrayIf(n, kind = 1)
		FROM (
			SELECT kpi_key, committed_year, days, n, tupleElement(kind_year, 1) AS kind, tupleElement(kind_year, 2) AS kpi_year
			FROM (
				SELECT kpi_key, committed_year, days, n,
					arrayJoin(if(committed_year != 0,
						[(toUInt8(0), identified_year), (toUInt8(1), committed_year)],
						[(toUInt8(0), identified_year)])) AS kind_year
				FROM (` + source + `)
			)
		)
		WHERE ` + yearsIn("kpi_year", f.Years) + `
		GROUP BY kpi_key, kind, kpi_year`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("conversion by %s: %w", by, err)
	}
	for rows.Next() {
		var key string
		var kind uint8
		var year uint16
		var n, committed uint64
		var days []int32
		var leads []int64
		if err := rows.Scan(&key, &kind, &year, &n, &committed, &days, &leads); err != nil {
			rows.Close()
			return nil, fmt.Errorf("conversion row: %w", err)
		}
		c := at(key, year)
		if kind == 0 {
			c.Identified, c.Committed = n, committed
		} else {
			c.MedianDaysToCommit = median(eachOf(days, leads))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(order)
	out := make([]ConversionYear, 0, len(order))
	for _, k := range order {
		c := byKeyYear[k]
		if c.Identified > 0 {
			x := decimal.NewFromUint64(c.Committed).DivRound(decimal.NewFromUint64(c.Identified), 4)
			c.Rate = &x
		}
		out = append(out, *c)
	}
	return out, nil
}

// conversionSource is Conversion's rows: kpi_key, identified_year,
// committed_year (0: never committed), days (from identified to committed;
// 0 when never) and n, the leads with those values: from the lead KPI
// aggregates when they are current, else one row per lead from the states
// and their history (the definition).
func conversionSource(ctx context.Context, conn driver.Conn, by By, f KPIFilter) (string, []any, error) {
	table, aggKey, aggCond, aggArgs, agg, err := kpiAggregates(ctx, conn, "lead_conversion", by, f)
	if err != nil {
		return "", nil, err
	}
	if agg { // the sums per key first: correct whether or not the parts have merged
		return `SELECT ` + aggKey + ` AS kpi_key, identified_year, committed_year, days, sum(leads) AS n
			FROM ` + table + `
			WHERE ` + aggCond + `
			GROUP BY kpi_key, identified_year, committed_year, days
			HAVING n != 0`, aggArgs, nil
	}
	key, err := leadKey(by)
	if err != nil {
		return "", nil, err
	}
	cond, args := leadFilter(f)
	// One row per lead: the day identified and the day committed (if ever).
	return `SELECT ` + key + ` AS kpi_key, toUInt16(toYear(identified_on)) AS identified_year,
			toUInt16(if(was_committed = 1, toYear(committed_on), 0)) AS committed_year,
			toInt32(if(was_committed = 1, dateDiff('day', identified_on, committed_on), 0)) AS days, toInt64(1) AS n
		FROM (
			SELECT * FROM (SELECT * FROM lead_states FINAL)
			ANY INNER JOIN (
				SELECT lead_id, minIf(effective_on, to_stage = 'identified') AS identified_on,
					minIf(effective_on, to_stage = 'committed') AS committed_on,
					toUInt8(countIf(to_stage = 'committed') > 0) AS was_committed,
					toUInt8(countIf(to_stage = 'identified') > 0) AS has_identified
				FROM lead_stage_history FINAL
				GROUP BY lead_id
			) USING lead_id
		) WHERE has_identified = 1 AND ` + cond, args, nil
}

// exportKey is the SQL of a deal's key for a breakdown (over dealsClassified columns).
func exportKey(by By) (string, error) { return keyColumn(by, "sector_code", "buyer_country") }

// ExportYear is the realised or committed exports of one key in one year.
type ExportYear struct {
	Key       string          `json:"key"`
	Year      uint16          `json:"year"`
	Deals     uint64          `json:"deals"`
	USD       decimal.Decimal `json:"usd"`
	NonRawUSD decimal.Decimal `json:"non_raw_usd"`
	NonRawKZT decimal.Decimal `json:"non_raw_kzt"`
	KZT       decimal.Decimal `json:"kzt"`     // the value in tenge (USD's counterpart)
	Markets   uint64          `json:"markets"` // distinct buyer countries
	NoRate    uint64          `json:"no_rate"`
	rateAge
}

// ExportsByYear is the realised or committed exports per key and year: value,
// non-raw value and markets.
func ExportsByYear(ctx context.Context, conn driver.Conn, by By, f KPIFilter) ([]ExportYear, error) {
	key, err := exportKey(by)
	if err != nil {
		return nil, err
	}
	dims := []string{"deal_year", "buyer_country"}
	if by == ByClause || f.Clause != "" {
		dims = append(dims, "clauses")
	}
	if by == ByClause && f.Clause != "" {
		// Every clause of the deals that have one: the by-clause table (a
		// deal once per clause) cannot tell them; the states can.
		ctx = ReadStates(ctx)
	}
	base, args, err := dealKeys(ctx, conn, ExportFilter{Years: f.Years, Post: f.Post, BuyerCountry: f.Country, Sector: f.Sector}, CommittedStages, dims...)
	if err != nil {
		return nil, err
	}
	clause := "1"
	if f.Clause != "" {
		clause = "has(clauses, ?)"
		args = append(args, f.Clause)
	}
	q := `SELECT kpi_key, deal_year, toUInt64(sum(n)) AS deals, sumIf(value_usd, fx_missing = 0) AS usd,
			sumIf(value_usd, fx_missing = 0 AND raw = 0) AS non_raw, sumIf(value_kzt, fx_missing = 0 AND raw = 0) AS non_raw_kzt,
			sumIf(value_kzt, fx_missing = 0) AS kzt,
			toUInt64(uniqExact(buyer_country)) AS markets, toUInt64(sumIf(n, fx_missing = 1)) AS no_rate, ` + countedRateAgeSQL("1") + `
		FROM (SELECT ` + key + ` AS kpi_key, * FROM (` + base + `) WHERE ` + clause + `)
		GROUP BY kpi_key, deal_year
		ORDER BY kpi_key, deal_year`
	return queryRows(ctx, conn, "exports by "+string(by), q, args, func(r *ExportYear) []any {
		return append([]any{&r.Key, &r.Year, &r.Deals, &r.USD, &r.NonRawUSD, &r.NonRawKZT, &r.KZT, &r.Markets, &r.NoRate}, r.rateAge.dest()...)
	})
}

// BarrierValueYear is the value at stake of the barriers resolved in one year.
type BarrierValueYear struct {
	Key      string          `json:"key"`
	Year     uint16          `json:"year"`
	Resolved uint64          `json:"resolved"`
	USD      decimal.Decimal `json:"usd"`
	KZT      decimal.Decimal `json:"kzt"`
	NoRate   uint64          `json:"no_rate"`
	rateAge
}

// BarrierValueResolved is the value at stake of the barriers resolved per
// key (country, clause, or total) and year of resolution.
func BarrierValueResolved(ctx context.Context, conn driver.Conn, by By, f KPIFilter) ([]BarrierValueYear, error) {
	key, err := keyColumn(by, "", "country") // barriers name HS codes, not one sector
	if err != nil {
		return nil, err
	}
	base, args := barriersBase(BarrierFilter{Post: f.Post, Country: f.Country})
	clause := "1"
	if f.Clause != "" {
		clause = "has(clauses, ?)"
		args = append(args, f.Clause)
	}
	q := `SELECT kpi_key, resolved_year, toUInt64(count()) AS resolved,
			sumIf(value_at_stake_usd, has_value = 1 AND fx_missing = 0) AS usd,
			toUInt64(countIf(has_value = 1 AND fx_missing = 1)) AS no_rate,
			sumIf(amount_kzt, has_value = 1 AND fx_missing = 0) AS kzt, ` + rateAgeSQL("has_value = 1") + `
		FROM (
			SELECT ` + key + ` AS kpi_key, toUInt16(toYear(assumeNotNull(resolved_on))) AS resolved_year, *
			FROM (` + base + `)
			WHERE is_resolved = 1 AND isNotNull(resolved_on) AND ` + clause + `
		)
		WHERE ` + yearsIn("resolved_year", f.Years) + `
		GROUP BY kpi_key, resolved_year
		ORDER BY kpi_key, resolved_year`
	return queryRows(ctx, conn, "barrier value resolved", q, args, func(r *BarrierValueYear) []any {
		return append([]any{&r.Key, &r.Year, &r.Resolved, &r.USD, &r.NoRate, &r.KZT}, r.rateAge.dest()...)
	})
}

// ExportRecord is one deal behind an export figure.
type ExportRecord struct {
	DealID       string          `json:"deal_id"`
	Key          string          `json:"key"`
	Post         string          `json:"post"`
	ExporterName string          `json:"exporter_name"`
	BuyerCountry string          `json:"buyer_country"`
	HSCode       string          `json:"hs_code"`
	Sector       string          `json:"sector"`
	Raw          bool            `json:"raw"`
	Stage        string          `json:"stage"`
	DealDate     string          `json:"deal_date"`
	Value        decimal.Decimal `json:"value"`
	Currency     string          `json:"currency"`
	USD          decimal.Decimal `json:"usd"` // 0 without a rate
	NoRate       bool            `json:"no_rate"`
	recordRate
}

// ExportRecords lists the realised or committed deals behind ExportsByYear
// for one key, in order of the deal date: the drill-down of an export figure.
func ExportRecords(ctx context.Context, conn driver.Conn, by By, key string, f KPIFilter) ([]ExportRecord, error) {
	keyExpr, err := exportKey(by)
	if err != nil {
		return nil, err
	}
	base, args := dealsClassified(ExportFilter{Years: f.Years, Post: f.Post, BuyerCountry: f.Country, Sector: f.Sector}, CommittedStages)
	clause := "1"
	if f.Clause != "" {
		clause = "has(clauses, ?)"
		args = append(args, f.Clause)
	}
	q := `SELECT deal_id, kpi_key, post, exporter_name, buyer_country, hs_code, sector_code, raw, stage, deal_date,
			value, currency, value_usd, fx_missing, usd_rate_day, value_kzt, fx_age_days, fx_stale, fx_expired
		FROM (SELECT ` + keyExpr + ` AS kpi_key, * FROM (` + base + `) WHERE ` + clause + `)
		WHERE kpi_key = ?
		ORDER BY deal_date, deal_id`
	rows, err := conn.Query(joinContext(ctx), q, append(args, key)...)
	if err != nil {
		return nil, fmt.Errorf("export records: %w", err)
	}
	defer rows.Close()
	var out []ExportRecord
	for rows.Next() {
		var r ExportRecord
		var raw, missing, stale, tooOld uint8
		var age int32
		var dealDate, rateDay time.Time
		if err := rows.Scan(&r.DealID, &r.Key, &r.Post, &r.ExporterName, &r.BuyerCountry, &r.HSCode, &r.Sector, &raw, &r.Stage,
			&dealDate, &r.Value, &r.Currency, &r.USD, &missing, &rateDay, &r.KZT, &age, &stale, &tooOld); err != nil {
			return nil, fmt.Errorf("export record: %w", err)
		}
		r.Raw, r.NoRate, r.DealDate = raw == 1, missing == 1, dealDate.Format(time.DateOnly)
		r.set(r.NoRate, rateDay, age, stale, tooOld)
		out = append(out, r)
	}
	return out, rows.Err()
}
