package analytics

// Kazakh exports: export deals by stage, sector, destination and HS chapter,
// the non-raw share, markets and products, their concentration, and trade
// barriers.
//
// Definitions:
//   - Every deal counts once, in its latest version (FINAL collapses
//     redelivered events and older versions). Filters are applied outside
//     the FINAL read, so an older version can never match a filter that the
//     latest one fails.
//   - Deal date: the contract date when the deal has one, else the day it was
//     created (Astana time). The year filter (ExportFilter.Years) and every
//     per-year figure use the year of the deal date.
//   - Value: the deal's value in USD, converted at the rates in force on its
//     deal date (analytics/fx.go). A deal whose currency has no rate then is
//     counted in DealsWithoutRate and left out of every sum and share.
//   - Sector and raw/non-raw come from hs_classification, joined by HS code
//     when the query runs: the mapping the services were last started with,
//     not the one in force when the deal was recorded. A deal whose sector
//     the mapping does not give is in sector "unassigned"; a code the
//     raw-commodity rule does not list is non-raw (the rule's own default).
//   - Realised or committed: a deal at stage contracted, shipped or paid (a
//     contract is signed). NonRawShare, MarketsAndProducts and Concentration
//     count only these deals; a stage filter narrows them further. The
//     figures by stage, sector, destination and chapter count every stage the
//     filter admits, lost included when the filter has no stages.
//   - Markets are buyer countries; products are HS headings (4 digits).
//   - Concentration is the Herfindahl-Hirschman index HHI = Σ (share_i × 100)²,
//     share_i being market (or product) i's part of the year's value in USD:
//     on a scale of 0 to 10,000, where 10,000 is all value in one market and
//     the index falls towards 0 as value spreads over many (three markets with
//     50 %, 30 % and 20 %: 2,500 + 900 + 400 = 3,800). Given to 2 decimal
//     places; absent (nil) when the year has no value.
//
// Barriers (current statuses):
//   - Open: reported, verified, in negotiation or resolved partly, i.e. not
//     resolved; dormant barriers are neither open nor resolved and are
//     counted on their own.
//   - Value at stake: the open barriers' stated values in USD, converted at
//     the rates in force on the day each was reported; barriers without a stated value
//     add nothing, those whose currency has no rate are counted instead.
//   - Days to resolve: resolved_on - reported_on of a resolved barrier. The
//     median is the middle value of the sorted days, or the mean of the two
//     middle values for an even count (so it may end in .5). It is computed
//     here from the sorted list: ClickHouse's median() is approximate and
//     quantileExact() takes the upper of the two middle values, and neither
//     gives the same answer on 18.16 and current servers for every input.
//   - Resolved per year: by the year of resolved_on. A resolved barrier
//     without a resolution day counts as resolved but not in the years or
//     the median.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// DealStages lists the deal stages in order, then lost.
var DealStages = []string{"opportunity", "negotiating", "contracted", "shipped", "paid", "lost"}

// CommittedStages are the stages of a deal realised or committed: a contract is signed.
var CommittedStages = []string{"contracted", "shipped", "paid"}

// ExportFilter narrows the export figures; the zero value takes every deal.
type ExportFilter struct {
	Years        []int    // years of the deal date; empty: every year
	Post         string   // e.g. "cn-beijing"
	BuyerCountry string   // ISO alpha-2
	Sector       string   // priority sector code under the current mapping; "unassigned" for deals without one
	Stages       []string // empty: every stage
}

// ExportTotals sums deals. ValueUSD and NonRawUSD (and their KZT) leave
// out the deals without a rate, which DealsWithoutRate counts (RateTooOld
// of them because their rate is past the hard limit); Deals counts them all.
type ExportTotals struct {
	Deals            uint64          `json:"deals"`
	ValueUSD         decimal.Decimal `json:"value_usd"`
	NonRawUSD        decimal.Decimal `json:"non_raw_usd"`
	DealsWithoutRate uint64          `json:"deals_without_rate"`
	ValueKZT         decimal.Decimal `json:"value_kzt"`
	NonRawKZT        decimal.Decimal `json:"non_raw_kzt"`
	rateAge
}

// StageExports is the deals at one stage.
type StageExports struct {
	Stage string `json:"stage"`
	ExportTotals
}

// SectorExports is the deals of one priority sector.
type SectorExports struct {
	Sector     string `json:"sector"`      // "unassigned" for deals the mapping gives no sector
	SectorName string `json:"sector_name"` // empty for unassigned
	ExportTotals
}

// DestinationExports is the deals with buyers in one country.
type DestinationExports struct {
	BuyerCountry string `json:"buyer_country"`
	ExportTotals
}

// ChapterExports is the deals in one HS chapter.
type ChapterExports struct {
	Chapter string `json:"chapter"` // 2 digits
	ExportTotals
}

// NonRawYear is the non-raw share of one year's realised or committed deals.
type NonRawYear struct {
	Year uint16 `json:"year"`
	ExportTotals
	Share *decimal.Decimal `json:"share"` // NonRawUSD / ValueUSD, 4 places; nil when ValueUSD is 0
}

// MarketsProductsYear counts one year's markets and products with realised
// or committed deals (with or without a rate: no value is summed).
type MarketsProductsYear struct {
	Year     uint16 `json:"year"`
	Deals    uint64 `json:"deals"`
	Markets  uint64 `json:"markets"`  // distinct buyer countries
	Products uint64 `json:"products"` // distinct HS headings (4 digits)
}

// ConcentrationYear is the concentration of one year's realised or
// committed exports over markets and over products (HS headings), as
// Herfindahl-Hirschman indices on the 0-10,000 scale.
type ConcentrationYear struct {
	Year             uint16           `json:"year"`
	ValueUSD         decimal.Decimal  `json:"value_usd"`
	Markets          uint64           `json:"markets"`  // buyer countries with deals that have a rate
	Products         uint64           `json:"products"` // HS headings with deals that have a rate
	MarketsHHI       *decimal.Decimal `json:"markets_hhi"`
	ProductsHHI      *decimal.Decimal `json:"products_hhi"`
	DealsWithoutRate uint64           `json:"deals_without_rate"`
	ValueKZT         decimal.Decimal  `json:"value_kzt"` // ValueUSD's deals in KZT (the indices are of the USD value)
}

// ExportsByStage sums the deals in the filter by stage, in the order of the
// stages (opportunity to paid, then lost).
func ExportsByStage(ctx context.Context, conn driver.Conn, f ExportFilter) ([]StageExports, error) {
	rows, err := exportTotals(ctx, conn, f, []string{"stage"}, "stage", "indexOf(['"+strings.Join(DealStages, "', '")+"'], group_key), group_key")
	out := make([]StageExports, len(rows))
	for i, r := range rows {
		out[i] = StageExports{Stage: r.key, ExportTotals: r.ExportTotals}
	}
	return out, err
}

// ExportsBySector sums the deals in the filter by priority sector under the
// current mapping: value in USD, deals, and the non-raw part of the value.
// Sectors in code order, "unassigned" among them.
func ExportsBySector(ctx context.Context, conn driver.Conn, f ExportFilter) ([]SectorExports, error) {
	rows, err := exportTotals(ctx, conn, f, nil, "sector_code", "group_key")
	out := make([]SectorExports, len(rows))
	for i, r := range rows {
		out[i] = SectorExports{Sector: r.key, SectorName: r.name, ExportTotals: r.ExportTotals}
	}
	return out, err
}

// ExportsByDestination sums the deals in the filter by buyer country, the
// largest value first.
func ExportsByDestination(ctx context.Context, conn driver.Conn, f ExportFilter) ([]DestinationExports, error) {
	rows, err := exportTotals(ctx, conn, f, []string{"buyer_country"}, "buyer_country", "value_sum DESC, group_key")
	out := make([]DestinationExports, len(rows))
	for i, r := range rows {
		out[i] = DestinationExports{BuyerCountry: r.key, ExportTotals: r.ExportTotals}
	}
	return out, err
}

// ExportsByChapter sums the deals in the filter by HS chapter, in chapter order.
func ExportsByChapter(ctx context.Context, conn driver.Conn, f ExportFilter) ([]ChapterExports, error) {
	rows, err := exportTotals(ctx, conn, f, []string{"hs_chapter"}, "hs_chapter", "group_key")
	out := make([]ChapterExports, len(rows))
	for i, r := range rows {
		out[i] = ChapterExports{Chapter: r.key, ExportTotals: r.ExportTotals}
	}
	return out, err
}

type keyedTotals struct {
	key, name string
	ExportTotals
}

// totalsSums aggregates dealKeys rows into ExportTotals; totalsDest scans them.
var totalsSums = `toUInt64(sum(n)) AS deal_count,
	sumIf(value_usd, fx_missing = 0) AS value_sum,
	sumIf(value_usd, fx_missing = 0 AND raw = 0) AS non_raw_sum,
	toUInt64(sumIf(n, fx_missing = 1)) AS no_rate,
	sumIf(value_kzt, fx_missing = 0) AS value_kzt_sum,
	sumIf(value_kzt, fx_missing = 0 AND raw = 0) AS non_raw_kzt_sum,
	` + countedRateAgeSQL("1")

func totalsDest(t *ExportTotals) []any {
	return append([]any{&t.Deals, &t.ValueUSD, &t.NonRawUSD, &t.DealsWithoutRate, &t.ValueKZT, &t.NonRawKZT}, t.rateAge.dest()...)
}

// exportTotals sums the deals in f by keyExpr, over dealKeys with dims.
func exportTotals(ctx context.Context, conn driver.Conn, f ExportFilter, dims []string, keyExpr, order string) ([]keyedTotals, error) {
	base, args, err := dealKeys(ctx, conn, f, nil, dims...)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + keyExpr + ` AS group_key, any(sector_name) AS any_sector_name, ` + totalsSums + `
		FROM (` + base + `)
		GROUP BY group_key
		ORDER BY ` + order
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("exports by %s: %w", keyExpr, err)
	}
	defer rows.Close()
	var out []keyedTotals
	for rows.Next() {
		var r keyedTotals
		if err := rows.Scan(append([]any{&r.key, &r.name}, totalsDest(&r.ExportTotals)...)...); err != nil {
			return nil, fmt.Errorf("exports by %s row: %w", keyExpr, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// NonRawShare reports, per year of the deal date, the realised or committed
// deals (contracted, shipped or paid) in the filter: their value in USD, its
// non-raw part, and the non-raw share = non-raw value / value.
func NonRawShare(ctx context.Context, conn driver.Conn, f ExportFilter) ([]NonRawYear, error) {
	base, args, err := dealKeys(ctx, conn, f, CommittedStages, "deal_year")
	if err != nil {
		return nil, err
	}
	q := `SELECT deal_year, ` + totalsSums + `
		FROM (` + base + `)
		GROUP BY deal_year
		ORDER BY deal_year`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("non-raw share: %w", err)
	}
	defer rows.Close()
	var out []NonRawYear
	for rows.Next() {
		var r NonRawYear
		if err := rows.Scan(append([]any{&r.Year}, totalsDest(&r.ExportTotals)...)...); err != nil {
			return nil, fmt.Errorf("non-raw share row: %w", err)
		}
		if !r.ValueUSD.IsZero() {
			s := r.NonRawUSD.DivRound(r.ValueUSD, 4)
			r.Share = &s
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MarketsAndProducts counts, per year of the deal date, the distinct buyer
// countries and the distinct HS headings (4 digits) of the realised or
// committed deals (contracted, shipped or paid) in the filter.
func MarketsAndProducts(ctx context.Context, conn driver.Conn, f ExportFilter) ([]MarketsProductsYear, error) {
	base, args, err := dealKeys(ctx, conn, f, CommittedStages, "deal_year", "buyer_country", "hs_heading")
	if err != nil {
		return nil, err
	}
	q := `SELECT deal_year, toUInt64(sum(n)) AS deal_count,
			toUInt64(uniqExact(buyer_country)) AS markets, toUInt64(uniqExact(hs_heading)) AS products
		FROM (` + base + `)
		GROUP BY deal_year
		ORDER BY deal_year`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("markets and products: %w", err)
	}
	defer rows.Close()
	var out []MarketsProductsYear
	for rows.Next() {
		var r MarketsProductsYear
		if err := rows.Scan(&r.Year, &r.Deals, &r.Markets, &r.Products); err != nil {
			return nil, fmt.Errorf("markets and products row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Concentration reports, per year of the deal date, the Herfindahl-Hirschman
// index of the realised or committed deals' USD value over buyer countries
// and over HS headings: Σ (share_i × 100)², 0 to 10,000. ClickHouse sums the
// value per year, market and heading; the index is computed here exactly,
// as 10,000 × Σ value_i² / total², rounded to 2 places.
func Concentration(ctx context.Context, conn driver.Conn, f ExportFilter) ([]ConcentrationYear, error) {
	base, args, err := dealKeys(ctx, conn, f, CommittedStages, "deal_year", "buyer_country", "hs_heading")
	if err != nil {
		return nil, err
	}
	q := `SELECT deal_year, buyer_country, hs_heading, sumIf(value_usd, fx_missing = 0) AS value_sum,
			toUInt64(sumIf(n, fx_missing = 0)) AS with_rate, toUInt64(sumIf(n, fx_missing = 1)) AS no_rate,
			sumIf(value_kzt, fx_missing = 0) AS value_kzt_sum
		FROM (` + base + `)
		GROUP BY deal_year, buyer_country, hs_heading
		ORDER BY deal_year, buyer_country, hs_heading`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("concentration: %w", err)
	}
	defer rows.Close()
	type acc struct {
		ConcentrationYear
		markets, products map[string]decimal.Decimal
	}
	var years []*acc
	for rows.Next() {
		var year uint16
		var market, heading string
		var value, valueKZT decimal.Decimal
		var withRate, noRate uint64
		if err := rows.Scan(&year, &market, &heading, &value, &withRate, &noRate, &valueKZT); err != nil {
			return nil, fmt.Errorf("concentration row: %w", err)
		}
		if n := len(years); n == 0 || years[n-1].Year != year {
			years = append(years, &acc{ConcentrationYear: ConcentrationYear{Year: year, ValueUSD: decimal.Zero, ValueKZT: decimal.Zero},
				markets: map[string]decimal.Decimal{}, products: map[string]decimal.Decimal{}})
		}
		a := years[len(years)-1]
		a.DealsWithoutRate += noRate
		if withRate == 0 {
			continue // only deals without a rate: no value to share
		}
		a.ValueUSD, a.ValueKZT = a.ValueUSD.Add(value), a.ValueKZT.Add(valueKZT)
		a.markets[market] = a.markets[market].Add(value)
		a.products[heading] = a.products[heading].Add(value)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ConcentrationYear, len(years))
	for i, a := range years {
		a.Markets, a.Products = uint64(len(a.markets)), uint64(len(a.products))
		a.MarketsHHI, a.ProductsHHI = hhi(a.markets, a.ValueUSD), hhi(a.products, a.ValueUSD)
		out[i] = a.ConcentrationYear
	}
	return out, nil
}

// hhi is Σ (value_i / total × 100)² = 10,000 × Σ value_i² / total², to 2
// places; nil when total is 0.
func hhi(values map[string]decimal.Decimal, total decimal.Decimal) *decimal.Decimal {
	if total.IsZero() {
		return nil
	}
	squares := decimal.Zero
	for _, v := range values {
		squares = squares.Add(v.Mul(v))
	}
	h := squares.Mul(decimal.NewFromInt(10000)).DivRound(total.Mul(total), 2)
	return &h
}

// dealsClassified returns a query for the latest state of every deal in the
// filter, classified by the current hs_classification (sector_code,
// sector_name, raw), with deal_year, and the arguments it binds. stageRule,
// when set, admits only those stages, on top of the filter's.
func dealsClassified(f ExportFilter, stageRule []string) (string, []any) {
	cond, args := dealFilter(f, stageRule)
	return dealsClassifiedBase() + " " + cond, args
}

// dealFilter is the WHERE (empty when none) of dealsClassified's columns
// for f and stageRule, and the arguments it binds.
func dealFilter(f ExportFilter, stageRule []string) (string, []any) {
	var where []string
	var args []any
	if len(f.Years) > 0 {
		years := make([]string, 0, len(f.Years))
		for _, y := range f.Years {
			years = append(years, strconv.Itoa(y))
		}
		where = append(where, "deal_year IN ("+strings.Join(years, ", ")+")")
	}
	if f.Post != "" {
		where = append(where, "post = ?")
		args = append(args, f.Post)
	}
	if f.BuyerCountry != "" {
		where = append(where, "buyer_country = ?")
		args = append(args, f.BuyerCountry)
	}
	if f.Sector != "" {
		where = append(where, "sector_code = ?")
		args = append(args, f.Sector)
	}
	for _, stages := range [][]string{f.Stages, stageRule} {
		if len(stages) == 0 {
			continue
		}
		marks := make([]string, len(stages))
		for i, s := range stages {
			marks[i] = "?"
			args = append(args, s)
		}
		where = append(where, "stage IN ("+strings.Join(marks, ", ")+")")
	}
	if len(where) == 0 {
		return "", nil
	}
	return "WHERE " + strings.Join(where, " AND "), args
}

// dealsClassifiedBase is every deal's latest state, classified, without a filter.
func dealsClassifiedBase() string {
	// 18.16 allows one JOIN per SELECT and lists both sides' columns under
	// *, so the join has its own SELECT naming its columns and the filters
	// apply around it. ANY: hs6 is unique in hs_classification. A deal whose
	// code is not there gets the defaults: sector '' (unassigned), raw 0.
	return `SELECT * FROM (
			SELECT deal_id, post, buyer_country, hs_code, hs_chapter, hs_heading, stage, value_usd, fx_missing, deal_year, clauses,
				exporter_name, value, currency, deal_date, usd_rate_day, value_kzt, fx_stale, fx_expired, fx_age_days,
				if(sector = '', 'unassigned', sector) AS sector_code, sector_name, raw
			FROM (
				SELECT deal_id, post, buyer_country, hs_code, hs_chapter, hs_heading, stage, amount_usd AS value_usd, fx_missing, deal_year, clauses,
					exporter_name, fx_amount AS value, fx_currency AS currency, fx_day AS deal_date, usd_rate_day,
					amount_kzt AS value_kzt, fx_stale, fx_expired, fx_age_days
				FROM (` + converted(`SELECT deal_id, post, buyer_country, hs_code, hs_chapter, hs_heading, stage, clauses, exporter_name,
						toUInt16(toYear(deal_date)) AS deal_year, value AS fx_amount, currency AS fx_currency, deal_date AS fx_day
					FROM deal_states FINAL`) + `)
			) ANY LEFT JOIN (
				SELECT hs6 AS hs_code, sector, sector_name, raw FROM hs_classification
			) USING hs_code
		)`
}

// BarrierFilter narrows the barrier figures; the zero value takes every barrier.
type BarrierFilter struct {
	Post    string
	Country string // the country that raised the barrier, ISO alpha-2
	Type    string // tariff, sps, technical, procedural, discrimination
}

// BarrierTally counts barriers by current status. Barriers = Open + Dormant + Resolved.
type BarrierTally struct {
	Barriers            uint64           `json:"barriers"`
	Open                uint64           `json:"open"` // reported, verified, in negotiation, resolved partly
	Dormant             uint64           `json:"dormant"`
	Resolved            uint64           `json:"resolved"`
	OpenValueAtStakeUSD decimal.Decimal  `json:"open_value_at_stake_usd"`
	OpenWithoutRate     uint64           `json:"open_without_rate"`      // open barriers whose value's currency has no rate (or one past the hard limit): not in the sum
	MedianDaysToResolve *decimal.Decimal `json:"median_days_to_resolve"` // nil when no resolved barrier has a resolution day
	OpenValueAtStakeKZT decimal.Decimal  `json:"open_value_at_stake_kzt"`
	rateAge                              // of the open barriers with a value
}

// BarrierTypeTally is the barriers of one type.
type BarrierTypeTally struct {
	Type string `json:"type"`
	BarrierTally
}

// BarrierCountryTally is the barriers raised by one country.
type BarrierCountryTally struct {
	Country string `json:"country"`
	BarrierTally
}

// BarrierYear is the barriers resolved in one year (of resolved_on).
type BarrierYear struct {
	Year                uint16           `json:"year"`
	Resolved            uint64           `json:"resolved"`
	MedianDaysToResolve *decimal.Decimal `json:"median_days_to_resolve"`
}

// Barriers counts the barriers in the filter: open, dormant, resolved, the
// value at stake of the open ones in USD and the median days to resolve.
func Barriers(ctx context.Context, conn driver.Conn, f BarrierFilter) (BarrierTally, error) {
	rows, err := barrierTallies(ctx, conn, f, "'all'")
	if err != nil || len(rows) == 0 {
		return BarrierTally{OpenValueAtStakeUSD: decimal.Zero, OpenValueAtStakeKZT: decimal.Zero}, err
	}
	return rows[0].BarrierTally, nil
}

// BarriersByType is Barriers per type of barrier, in type order.
func BarriersByType(ctx context.Context, conn driver.Conn, f BarrierFilter) ([]BarrierTypeTally, error) {
	rows, err := barrierTallies(ctx, conn, f, "type")
	out := make([]BarrierTypeTally, len(rows))
	for i, r := range rows {
		out[i] = BarrierTypeTally{Type: r.key, BarrierTally: r.BarrierTally}
	}
	return out, err
}

// BarriersByCountry is Barriers per country that raised them, in country order.
func BarriersByCountry(ctx context.Context, conn driver.Conn, f BarrierFilter) ([]BarrierCountryTally, error) {
	rows, err := barrierTallies(ctx, conn, f, "country")
	out := make([]BarrierCountryTally, len(rows))
	for i, r := range rows {
		out[i] = BarrierCountryTally{Country: r.key, BarrierTally: r.BarrierTally}
	}
	return out, err
}

// BarriersResolvedByYear counts the barriers in the filter resolved in each
// year of their resolution day, with the median days they took.
func BarriersResolvedByYear(ctx context.Context, conn driver.Conn, f BarrierFilter) ([]BarrierYear, error) {
	source, args, err := barrierSource(ctx, conn, f, "'all'")
	if err != nil {
		return nil, err
	}
	q := `SELECT resolved_year, toUInt64(sum(n)) AS resolved_count, groupArray(days), groupArray(n)
		FROM (` + source + `)
		WHERE resolved_year != 0
		GROUP BY resolved_year
		ORDER BY resolved_year`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("barriers resolved by year: %w", err)
	}
	defer rows.Close()
	var out []BarrierYear
	for rows.Next() {
		var r BarrierYear
		var days []int32
		var n []int64
		if err := rows.Scan(&r.Year, &r.Resolved, &days, &n); err != nil {
			return nil, fmt.Errorf("barriers resolved by year row: %w", err)
		}
		r.MedianDaysToResolve = median(eachOf(days, n))
		out = append(out, r)
	}
	return out, rows.Err()
}

type keyedBarrierTally struct {
	key string
	BarrierTally
}

func barrierTallies(ctx context.Context, conn driver.Conn, f BarrierFilter, keyExpr string) ([]keyedBarrierTally, error) {
	source, args, err := barrierSource(ctx, conn, f, keyExpr)
	if err != nil {
		return nil, err
	}
	q := `SELECT group_key, toUInt64(sum(n)) AS barrier_count,
			toUInt64(sumIf(n, is_open = 1)) AS open_count, toUInt64(sumIf(n, is_dormant = 1)) AS dormant_count,
			toUInt64(sumIf(n, is_resolved = 1)) AS resolved_count,
			sumIf(k_usd, is_open = 1 AND has_value = 1 AND fx_missing = 0) AS open_usd,
			toUInt64(sumIf(n, is_open = 1 AND has_value = 1 AND fx_missing = 1)) AS open_no_rate,
			groupArrayIf(days, resolved_year != 0) AS resolve_days, groupArrayIf(n, resolved_year != 0) AS resolve_counts,
			sumIf(k_kzt, is_open = 1 AND has_value = 1 AND fx_missing = 0) AS open_kzt,
			` + countedRateAgeSQL("is_open = 1 AND has_value = 1") + `
		FROM (` + source + `)
		GROUP BY group_key
		ORDER BY group_key`
	rows, err := conn.Query(joinContext(ctx), q, args...)
	if err != nil {
		return nil, fmt.Errorf("barriers by %s: %w", keyExpr, err)
	}
	defer rows.Close()
	var out []keyedBarrierTally
	for rows.Next() {
		var r keyedBarrierTally
		var days []int32
		var n []int64
		if err := rows.Scan(append([]any{&r.key, &r.Barriers, &r.Open, &r.Dormant, &r.Resolved, &r.OpenValueAtStakeUSD, &r.OpenWithoutRate, &days, &n,
			&r.OpenValueAtStakeKZT}, r.rateAge.dest()...)...); err != nil {
			return nil, fmt.Errorf("barriers by %s row: %w", keyExpr, err)
		}
		r.MedianDaysToResolve = median(eachOf(days, n))
		out = append(out, r)
	}
	return out, rows.Err()
}

// barriersBase returns a query for the latest state of every barrier in the
// filter with the flags is_open, is_dormant, is_resolved (0 or 1) and
// days_to_resolve (meaningful for resolved barriers with a resolution day),
// and the arguments it binds.
func barriersBase(f BarrierFilter) (string, []any) {
	var where []string
	var args []any
	for _, c := range []struct{ column, value string }{{"post", f.Post}, {"country", f.Country}, {"type", f.Type}} {
		if c.value != "" {
			where = append(where, c.column+" = ?")
			args = append(args, c.value)
		}
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	q := `SELECT *,
			toUInt8(status IN (` + openBarrierStatuses + `)) AS is_open,
			toUInt8(status = 'dormant') AS is_dormant,
			toUInt8(status = 'resolved') AS is_resolved,
			toInt32(if(isNull(resolved_on), 0, dateDiff('day', reported_on, assumeNotNull(resolved_on)))) AS days_to_resolve
		FROM (
			SELECT *, amount_usd AS value_at_stake_usd FROM (` + converted(`SELECT *, value_at_stake AS fx_amount,
				currency AS fx_currency, reported_on AS fx_day FROM barrier_states FINAL`) + `)
		)
		` + cond
	return q, args
}

// eachOf expands days that n records each took into every record's days, sorted.
func eachOf(days []int32, n []int64) []int32 {
	var each []int32
	for i, d := range days {
		for range n[i] {
			each = append(each, d)
		}
	}
	slices.Sort(each)
	return each
}

// median is the middle of sorted days, or the mean of the two middle ones;
// nil for none.
func median(sorted []int32) *decimal.Decimal {
	n := len(sorted)
	if n == 0 {
		return nil
	}
	if !slices.IsSorted(sorted) {
		sorted = slices.Clone(sorted)
		slices.Sort(sorted)
	}
	m := decimal.NewFromInt32(sorted[(n-1)/2]).Add(decimal.NewFromInt32(sorted[n/2])).Div(decimal.NewFromInt(2))
	return &m
}
