package analytics

// The Concept scorecard: for each priority sector and each economic-
// diplomacy clause, each metric of the targets file (reference.Metrics):
// the target of the year, the actual figure (kpi.go), the share of the
// target reached, the trend since 2020, a status, and a forecast to 2030.
//
// Status of a year (the rule shown on the page):
//   - the expected value is the year's target; for the year in progress, the
//     target pro rata of the days elapsed (day of year / days in the year);
//   - green: actual ≥ expected; amber: actual ≥ 80 % of expected; red: below;
//     none: no target for that year.
//
// Forecast to 2030 (the method shown on the page):
//   - the trend: the least-squares straight line through the actual values of
//     the last complete years (up to five, from 2020; the year in progress is
//     left out), taken at 2030 and never below 0; with one complete year, its
//     value; with none, 0;
//   - for committed investment, plus the open pipeline weighted by its stages'
//     probabilities whose expected decision date falls in 2030;
//   - on track: forecast ≥ the 2030 target; at risk: ≥ 80 % of it; off track:
//     below; none: no 2030 target.
//
// In KZT (ScorecardFilter.InKZT) the money lines read the same records at
// their own days' rates in tenge (actual and trend), and the targets, which
// are written in USD, are converted at one rate: KZT per USD in force on the
// scorecard's day (31 December of a past year, today for the current year;
// ScorecardRates says which). The status and the forecast are then computed
// in tenge, so they can differ from the USD view when the tenge moved.
//
// Each money line also says how old the rates behind it were: records
// converted at a rate older than the stale limit (StaleRate, the oldest
// MaxRateAge days), and records without rate because their latest rate is
// older than the hard limit (RateTooOld, counted in NoRate).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"econdip/services/platform/reference"
)

// Horizon is the Concept's last year.
const Horizon = 2030

// firstYear is the Concept's first year: trends start there.
const firstYear = 2020

// amberShare is the share of the expected value below which a figure is red.
var amberShare = decimal.RequireFromString("0.8")

// YearValue is a figure's value in one year.
type YearValue struct {
	Year  int             `json:"year"`
	Value decimal.Decimal `json:"value"`
}

// ScorecardFilter chooses the scorecard's year, targets edition and records.
type ScorecardFilter struct {
	Year    int       // the year shown; trends run from 2020 to it
	Edition string    // targets edition; empty: the latest of each target
	Today   time.Time // the day the current year is pro-rated to (Astana)
	Scope   string    // sector or clause; empty: both
	Code    string    // one sector code or clause id; empty: all
	Country string    // investor's / buyer's country
	Post    string
	InKZT   bool // money in tenge instead of dollars (see the top of this file)
}

// ScorecardRow is one line of the scorecard.
type ScorecardRow struct {
	Scope         string           `json:"scope"`
	Code          string           `json:"code"`
	Metric        string           `json:"metric"`
	Unit          string           `json:"unit"`
	Target        *decimal.Decimal `json:"target"` // nil: no target for the year
	TargetEdition string           `json:"target_edition,omitempty"`
	TargetDemo    bool             `json:"target_demo"`
	Actual        decimal.Decimal  `json:"actual"`
	Records       uint64           `json:"records"` // records behind the actual value
	NoRate        uint64           `json:"no_rate"` // records left out of an amount for lack of a rate
	rateAge
	// ActualUSD and ActualKZT are a money line's actual value in both units, whichever the scorecard shows.
	ActualUSD     *decimal.Decimal `json:"actual_usd,omitempty"`
	ActualKZT     *decimal.Decimal `json:"actual_kzt,omitempty"`
	Expected      *decimal.Decimal `json:"expected"` // the target pro rata (the year in progress) or the target
	Percent       *decimal.Decimal `json:"percent"`  // Actual / Target × 100, 1 place
	Status        string           `json:"status"`   // green, amber, red, none
	Trend         []YearValue      `json:"trend"`    // actual values from 2020 to the year
	Forecast      decimal.Decimal  `json:"forecast"` // for 2030
	Target2030    *decimal.Decimal `json:"target_2030"`
	Status2030    string           `json:"status_2030"` // on_track, at_risk, off_track, none
	PipelineAdded decimal.Decimal  `json:"pipeline_added"`
	// RealisedBNS is the second line of the non-raw exports measure: the
	// realised non-raw exports of the BNS statistics (analytics/trade.go),
	// where they exist; nil otherwise (another metric, a post filter, a
	// clause other than 2.7, or no month of the year imported).
	RealisedBNS *RealisedLine `json:"realised_bns"`
}

// RealisedLine is a scorecard measure read from the BNS statistics instead
// of the posts' deals.
type RealisedLine struct {
	Value    decimal.Decimal  `json:"value"`    // USD, to the cent: the non-raw chapters of the months imported
	Months   []string         `json:"months"`   // YYYY-MM with statistics in the year
	Expected *decimal.Decimal `json:"expected"` // the target pro rata of the months imported (12 months: the target)
	Percent  *decimal.Decimal `json:"percent"`  // Value / Target × 100, 1 place
	Status   string           `json:"status"`   // green, amber, red, none: Value against Expected
}

// NonRawClause is the Concept clause of non-raw exports: the clause whose
// non-raw exports measure the BNS statistics can give as a whole.
const NonRawClause = "2.7"

// Scorecard computes every line of the scorecard.
func Scorecard(ctx context.Context, conn driver.Conn, f ScorecardFilter) ([]ScorecardRow, error) {
	targets, err := Targets(ctx, conn, TargetFilter{Edition: f.Edition, Scope: f.Scope})
	if err != nil {
		return nil, err
	}
	type key struct{ scope, code, metric string }
	target := map[key]map[int]TargetRow{}
	for _, t := range targets {
		if f.Code != "" && t.Code != f.Code {
			continue
		}
		k := key{t.Scope, t.Code, t.Metric}
		if target[k] == nil {
			target[k] = map[int]TargetRow{}
		}
		target[k][int(t.Year)] = t
	}
	// The scopes' figures are independent queries: run them at once.
	type scopeFigures struct {
		scope  string
		values map[string][]KeyYear
		open   []PipelineTotal
		errs   [2]error // one per goroutine
	}
	var scopes []*scopeFigures
	var wg sync.WaitGroup
	for _, scope := range []string{reference.TargetScopeSector, reference.TargetScopeClause} {
		if f.Scope != "" && f.Scope != scope {
			continue
		}
		sf := &scopeFigures{scope: scope}
		scopes = append(scopes, sf)
		by, _ := byOf(scope)
		kf := KPIFilter{Country: f.Country, Post: f.Post}
		wg.Add(2)
		go func() { defer wg.Done(); sf.values, sf.errs[0] = metricValues(ctx, conn, by, kf) }()
		go func() { defer wg.Done(); sf.open, sf.errs[1] = OpenPipeline(ctx, conn, by, kf) }()
	}
	wg.Wait()
	actual := map[key]map[int]KeyYear{}
	pipeline2030 := map[key]decimal.Decimal{}
	for _, sf := range scopes {
		if err := errors.Join(sf.errs[:]...); err != nil {
			return nil, err
		}
		for metric, rows := range sf.values {
			for _, r := range rows {
				if f.Code != "" && r.Key != f.Code {
					continue
				}
				k := key{sf.scope, r.Key, metric}
				if actual[k] == nil {
					actual[k] = map[int]KeyYear{}
				}
				actual[k][int(r.Year)] = r
			}
		}
		for _, p := range sf.open {
			pipeline2030[key{sf.scope, p.Key, string(reference.MetricInvestmentCommitted)}] = p.ByDecisionYear[Horizon]
		}
	}
	keys := map[key]bool{}
	for k := range target {
		keys[k] = true
	}
	for k := range actual {
		keys[k] = true
	}
	var rate ScorecardRate
	if f.InKZT {
		if rate, err = TargetRate(ctx, conn, f.Year, f.Today); err != nil {
			return nil, err
		}
	}
	var out []ScorecardRow
	for k := range keys {
		m := reference.Metric(k.metric)
		money := f.InKZT && m.Unit() == reference.UnitUSD
		value := func(a KeyYear) decimal.Decimal {
			if money {
				return a.ValueKZT
			}
			return a.Value
		}
		// toUnit converts a USD value of the targets or the pipeline: nil without a rate.
		toUnit := func(v decimal.Decimal) *decimal.Decimal {
			if !money {
				return &v
			}
			if !rate.Found {
				return nil
			}
			x := v.Mul(rate.KZTPerUSD).Round(2)
			return &x
		}
		row := ScorecardRow{Scope: k.scope, Code: k.code, Metric: k.metric, Unit: m.Unit(), Actual: decimal.Zero}
		if money {
			row.Unit = UnitKZT
		}
		if a, ok := actual[k][f.Year]; ok {
			row.Actual, row.Records, row.NoRate, row.rateAge = value(a), a.Count, a.NoRate, a.rateAge
		}
		if m.Unit() == reference.UnitUSD {
			a := actual[k][f.Year]
			usd, kzt := a.Value, a.ValueKZT
			row.ActualUSD, row.ActualKZT = &usd, &kzt
		}
		for y := firstYear; y <= f.Year; y++ {
			row.Trend = append(row.Trend, YearValue{Year: y, Value: value(actual[k][y])})
		}
		if t, ok := target[k][f.Year]; ok {
			row.Target, row.TargetEdition, row.TargetDemo = toUnit(t.Value), t.Edition, t.Demo
		}
		row.Expected, row.Percent, row.Status = status(row.Actual, row.Target, f.Year, f.Today)
		var complete []YearValue
		for y := firstYear; y < min(f.Today.Year(), Horizon+1); y++ {
			complete = append(complete, YearValue{Year: y, Value: value(actual[k][y])})
		}
		row.PipelineAdded = pipeline2030[k]
		if p := toUnit(row.PipelineAdded); p != nil {
			row.PipelineAdded = *p
		}
		row.Forecast = Forecast(complete, row.PipelineAdded, m.Unit())
		if t, ok := target[k][Horizon]; ok {
			row.Target2030 = toUnit(t.Value)
		}
		row.Status2030 = outlook(row.Forecast, row.Target2030)
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b ScorecardRow) int {
		if c := compareTargets(TargetRow{Scope: a.Scope, Code: a.Code, Metric: a.Metric}, TargetRow{Scope: b.Scope, Code: b.Code, Metric: b.Metric}); c != 0 {
			return c
		}
		return 0
	})
	if err := addRealised(ctx, conn, f, out); err != nil {
		return nil, err
	}
	return out, nil
}

// addRealised gives the non-raw exports rows their realised line: for a
// sector, the sector's non-raw chapters (a chapter split between sectors
// counts for none of them); for clause 2.7, every non-raw chapter; the
// months of f.Year with statistics for all partners (or for f.Country).
// The statistics have no post: with a post filter there is no line; nor in
// a scorecard in KZT (the statistics are dollars).
func addRealised(ctx context.Context, conn driver.Conn, f ScorecardFilter, rows []ScorecardRow) error {
	want := false
	for _, r := range rows {
		want = want || r.Metric == string(reference.MetricNonRawExports)
	}
	// The statistics are in dollars: a scorecard in tenge has no such line.
	if !want || f.Post != "" || f.InKZT {
		return nil
	}
	cmp, err := TradeCompare(ctx, conn, TradeBySector, TradeFilter{From: time.Date(f.Year, 1, 1, 0, 0, 0, 0, time.UTC),
		To: time.Date(f.Year, 12, 1, 0, 0, 0, 0, time.UTC), Partner: f.Country, RealisedOnly: true})
	if err != nil || len(cmp.MonthsWith) == 0 {
		return err
	}
	bySector := map[string]decimal.Decimal{}
	for _, r := range cmp.Rows {
		bySector[r.Key] = r.RealisedNonRawUSD
	}
	for i := range rows {
		r := &rows[i]
		if r.Metric != string(reference.MetricNonRawExports) {
			continue
		}
		var v decimal.Decimal
		switch {
		case r.Scope == reference.TargetScopeClause && r.Code == NonRawClause:
			v = cmp.Total.RealisedNonRawUSD
		case r.Scope == reference.TargetScopeSector:
			v = bySector[r.Code]
			if v.IsZero() {
				v = decimal.Zero
			}
		default:
			continue
		}
		line := &RealisedLine{Value: v, Months: cmp.MonthsWith, Status: "none"}
		if r.Target != nil {
			e := r.Target.Mul(decimal.NewFromInt(int64(len(cmp.MonthsWith)))).DivRound(decimal.NewFromInt(12), 2)
			line.Expected = &e
			if !r.Target.IsZero() {
				p := v.Mul(decimal.NewFromInt(100)).DivRound(*r.Target, 1)
				line.Percent = &p
			}
			switch {
			case v.GreaterThanOrEqual(e):
				line.Status = "green"
			case v.GreaterThanOrEqual(e.Mul(amberShare)):
				line.Status = "amber"
			default:
				line.Status = "red"
			}
		}
		r.RealisedBNS = line
	}
	return nil
}

// UnitKZT is the unit of a money line of the scorecard shown in tenge.
const UnitKZT = "KZT"

// ScorecardRate is the rate the USD targets of a scorecard in KZT are
// converted at: KZT per USD in force on Day (the rate of RateDay).
type ScorecardRate struct {
	Day       string          `json:"day"`
	RateDay   string          `json:"rate_day,omitempty"`
	KZTPerUSD decimal.Decimal `json:"kzt_per_usd"`
	Found     bool            `json:"found"` // false: no USD rate on or before Day
}

// TargetRate is the rate of a scorecard of year in KZT: KZT per USD on 31
// December of a past year, on today for the current year; the latest rate on
// or before that day, however old (the targets are not records: a rate past
// the hard limit still shows them, and RateDay says which).
func TargetRate(ctx context.Context, conn driver.Conn, year int, today time.Time) (ScorecardRate, error) {
	day := time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	if t := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC); t.Before(day) {
		day = t
	}
	out := ScorecardRate{Day: day.Format(time.DateOnly)}
	rows, err := conn.Query(ctx, "SELECT kzt_per_usd, rate_day FROM fx_daily WHERE currency = 'USD' AND day = toDate(?)", out.Day)
	if err != nil {
		return out, fmt.Errorf("the USD rate of %s: %w", out.Day, err)
	}
	defer rows.Close()
	for rows.Next() {
		var rateDay time.Time
		if err := rows.Scan(&out.KZTPerUSD, &rateDay); err != nil {
			return out, fmt.Errorf("the USD rate of %s: %w", out.Day, err)
		}
		out.RateDay, out.Found = rateDay.Format(time.DateOnly), true
	}
	return out, rows.Err()
}

// metricValues is every metric's actual values per key and year. The
// investment and the exports are independent queries: they run at once.
func metricValues(ctx context.Context, conn driver.Conn, by By, f KPIFilter) (map[string][]KeyYear, error) {
	var investment map[string][]InvestmentYear
	var exports []ExportYear
	var errs [2]error
	var wg sync.WaitGroup
	wg.Go(func() { investment, errs[0] = investmentByYears(ctx, conn, []string{Committed, Realised}, by, f) })
	wg.Go(func() { exports, errs[1] = ExportsByYear(ctx, conn, by, f) })
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	out := map[string][]KeyYear{}
	for _, metric := range []string{Committed, Realised} {
		rows := investment[metric]
		usd := string(reference.MetricInvestmentCommitted)
		if metric == Realised {
			usd = string(reference.MetricInvestmentRealised)
		}
		for _, r := range rows {
			out[usd] = append(out[usd], KeyYear{Key: r.Key, Year: r.Year, Value: r.USD, ValueKZT: r.KZT, Count: r.Projects, NoRate: r.NoRate, rateAge: r.rateAge})
			if metric == Committed {
				out[string(reference.MetricProjects)] = append(out[string(reference.MetricProjects)],
					KeyYear{Key: r.Key, Year: r.Year, Value: decimal.NewFromUint64(r.Projects), Count: r.Projects})
				out[string(reference.MetricJobs)] = append(out[string(reference.MetricJobs)],
					KeyYear{Key: r.Key, Year: r.Year, Value: decimal.NewFromUint64(r.Jobs), Count: r.Projects})
			}
		}
	}
	for _, r := range exports {
		out[string(reference.MetricNonRawExports)] = append(out[string(reference.MetricNonRawExports)],
			KeyYear{Key: r.Key, Year: r.Year, Value: r.NonRawUSD, ValueKZT: r.NonRawKZT, Count: r.Deals, NoRate: r.NoRate, rateAge: r.rateAge})
		out[string(reference.MetricExportMarkets)] = append(out[string(reference.MetricExportMarkets)],
			KeyYear{Key: r.Key, Year: r.Year, Value: decimal.NewFromUint64(r.Markets), Count: r.Deals})
	}
	return out, nil
}

// status applies the status rule (top of this file) to a year's actual value.
func status(actual decimal.Decimal, target *decimal.Decimal, year int, today time.Time) (expected, percent *decimal.Decimal, s string) {
	if target == nil {
		return nil, nil, "none"
	}
	e := *target
	if year == today.Year() {
		start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		days := time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24
		elapsed := today.YearDay()
		e = target.Mul(decimal.NewFromInt(int64(elapsed))).DivRound(decimal.NewFromInt(int64(days)), 2)
	}
	if !target.IsZero() {
		p := actual.Mul(decimal.NewFromInt(100)).DivRound(*target, 1)
		percent = &p
	}
	switch {
	case actual.GreaterThanOrEqual(e):
		s = "green"
	case actual.GreaterThanOrEqual(e.Mul(amberShare)):
		s = "amber"
	default:
		s = "red"
	}
	return &e, percent, s
}

// outlook compares the 2030 forecast with the 2030 target.
func outlook(forecast decimal.Decimal, target *decimal.Decimal) string {
	switch {
	case target == nil:
		return "none"
	case forecast.GreaterThanOrEqual(*target):
		return "on_track"
	case forecast.GreaterThanOrEqual(target.Mul(amberShare)):
		return "at_risk"
	}
	return "off_track"
}

// Forecast is the value forecast for 2030 from the complete years' actual
// values (see the top of this file), plus added (the weighted pipeline for
// committed investment); USD to the cent, counts to whole numbers.
func Forecast(complete []YearValue, added decimal.Decimal, unit string) decimal.Decimal {
	if len(complete) > 5 {
		complete = complete[len(complete)-5:]
	}
	var trend decimal.Decimal
	switch len(complete) {
	case 0:
		trend = decimal.Zero
	case 1:
		trend = complete[0].Value
	default:
		n := decimal.NewFromInt(int64(len(complete)))
		var sx, sy decimal.Decimal
		for _, p := range complete {
			sx = sx.Add(decimal.NewFromInt(int64(p.Year)))
			sy = sy.Add(p.Value)
		}
		mx, my := sx.Div(n), sy.DivRound(n, 16)
		var sxy, sxx decimal.Decimal
		for _, p := range complete {
			dx := decimal.NewFromInt(int64(p.Year)).Sub(mx)
			sxy = sxy.Add(dx.Mul(p.Value.Sub(my)))
			sxx = sxx.Add(dx.Mul(dx))
		}
		slope := sxy.DivRound(sxx, 16)
		trend = my.Add(slope.Mul(decimal.NewFromInt(Horizon).Sub(mx)))
	}
	if trend.IsNegative() {
		trend = decimal.Zero
	}
	places := int32(2)
	if unit == reference.UnitCount {
		places = 0
	}
	return trend.Add(added).Round(places)
}

// ScorecardDrill names one figure of the scorecard.
type ScorecardDrill struct {
	Scope, Code, Metric string
	Year                int
	Country, Post       string
}

// byOf is the breakdown of a scope.
func byOf(scope string) (By, error) {
	switch scope {
	case reference.TargetScopeSector:
		return BySector, nil
	case reference.TargetScopeClause:
		return ByClause, nil
	}
	return "", fmt.Errorf("unknown scope %q", scope)
}
