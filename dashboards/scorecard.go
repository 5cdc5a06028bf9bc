package dashboards

// The analysts' Concept scorecard: for each priority sector and each
// economic-diplomacy clause of the Concept, each metric of the targets file,
// the year's target and actual figure, the share reached, a status, the trend
// since 2020 and a forecast to 2030 (analytics/scorecard.go computes them and
// states the rules; the page says them in plain words). Every figure drills
// down to the leads or deals behind it, every table exports as CSV, and the
// filters live in the URL so that a link shows the same scorecard.
//
// Filters: year (the year compared with its target, 2020 to the current
// year; the current year by default), edition (a targets edition; by default
// the latest edition of each target), sector and clause (each chooses the
// rows of one sector or clause; with both, both sets of rows), country (the
// investor's or buyer's country) and post; in=KZT shows money in tenge
// (default USD: analytics/scorecard.go says how the targets are converted),
// and every CSV carries both units.
//
// Access: analysts and admins see every post and may filter by one; an
// attaché sees the own post's records only (a post in the URL is ignored);
// a secretariat is refused (403): the scorecard is made of investor leads and
// export deals, which its role does not read; its figures are the
// Commissions page's.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// scorecardPages are the templates of the scorecard and partner-country pages.
var scorecardPages = []string{"scorecard", "country"}

// scorecardRoutes mounts the scorecard and partner-country pages and their
// JSON/CSV figures.
func (s *Server) scorecardRoutes(ui auth.Router) {
	ui.Get("/analyst/scorecard", auth.ReadInvestment, s.scorecardPage)
	ui.Get("/api/scorecard/:figure", auth.ReadInvestment, s.scorecardFigure)
	ui.Get("/analyst/countries", auth.ReadInvestment, s.countryPage)
	ui.Get("/api/countries/:figure", auth.ReadInvestment, s.countryFigure)
}

// economicDiplomacy is the Concept area whose clauses have targets.
const economicDiplomacy = "economic_diplomacy"

// firstYear is the Concept's first year: the scorecard starts there.
const firstYear = 2020

// astanaToday is today's date in Astana, at midnight UTC.
func astanaToday() time.Time { return kernel.Today(time.Now()).Time() }

// figuresPost is the post the user's scorecard and country figures are
// limited to: their own for an attaché, the one in the URL (checked) for
// analysts and admins, who may leave it empty for every post. Other roles are
// refused.
func (s *Server) figuresPost(c *fiber.Ctx, fe *apperr.Fields) (string, error) {
	return s.postScope(c, fe, auth.ReadInvestment, "error.figures_role")
}

// scorecardQuery is the scorecard's filter as read from the URL.
type scorecardQuery struct {
	Year     int
	Edition  string
	Sector   string
	Clause   string
	Country  string
	Post     string
	Scope    string // sector or clause: only those rows (a table's CSV); empty: both
	InKZT    bool   // money in tenge (?in=KZT)
	Today    time.Time
	Editions []analytics.TargetEdition
}

// yearList is "2020, 2021, …, last" for a message.
func yearList(last int) string {
	var ys []string
	for y := firstYear; y <= last; y++ {
		ys = append(ys, strconv.Itoa(y))
	}
	return strings.Join(ys, ", ")
}

// yearParam reads a year from 2020 to the current year; def when absent.
func yearParam(c *fiber.Ctx, name string, def int, today time.Time, fe *apperr.Fields) int {
	v := strings.TrimSpace(c.Query(name))
	if v == "" {
		return def
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < firstYear || y > today.Year() {
		fe.Add(name, "error.one_of", yearList(today.Year()))
		return def
	}
	return y
}

// sectorParam reads a priority sector code ("unassigned": records without one).
func (s *Server) sectorParam(c *fiber.Ctx, name string, fe *apperr.Fields) string {
	v := strings.TrimSpace(c.Query(name))
	if _, ok := s.cfg.Ref.Sector(v); v != "" && v != "unassigned" && !ok {
		fe.Add(name, "error.unknown_sector", v)
	}
	return v
}

// clauseParam reads a clause id of the Concept.
func (s *Server) clauseParam(c *fiber.Ctx, name string, fe *apperr.Fields) string {
	v := strings.TrimSpace(c.Query(name))
	if _, ok := s.cfg.Ref.Clause(v); v != "" && !ok {
		fe.Add(name, "error.unknown_clause", v)
	}
	return v
}

// scorecardFilter reads the scorecard's filters from the URL (and scope,
// which the CSV of one table adds).
func (s *Server) scorecardFilter(c *fiber.Ctx) (scorecardQuery, error) {
	var fe apperr.Fields
	post, err := s.figuresPost(c, &fe)
	if err != nil {
		return scorecardQuery{}, err
	}
	today := astanaToday()
	q := scorecardQuery{Post: post, Today: today, Year: yearParam(c, "year", today.Year(), today, &fe),
		Sector: s.sectorParam(c, "sector", &fe), Clause: s.clauseParam(c, "clause", &fe), Country: s.countryParam(c, "country", &fe),
		Edition: strings.TrimSpace(c.Query("edition")), Scope: strings.TrimSpace(c.Query("scope"))}
	if q.Scope != "" && q.Scope != reference.TargetScopeSector && q.Scope != reference.TargetScopeClause {
		fe.Add("scope", "error.one_of", "sector, clause")
	}
	q.InKZT = unitParam(c, &fe)
	q.Editions, err = analytics.TargetEditions(c.UserContext(), s.cfg.CH)
	if err != nil {
		return q, figuresUnavailable(err)
	}
	if q.Edition != "" && !slices.ContainsFunc(q.Editions, func(e analytics.TargetEdition) bool { return e.Edition == q.Edition }) {
		names := make([]string, len(q.Editions))
		for i, e := range q.Editions {
			names[i] = e.Edition
		}
		fe.Add("edition", "error.one_of", strings.Join(names, ", "))
	}
	return q, fe.Err()
}

// scopes are the scorecard filters q asks for: one per chosen sector or
// clause, or one for everything.
func (q scorecardQuery) scopes() []analytics.ScorecardFilter {
	base := analytics.ScorecardFilter{Year: q.Year, Edition: q.Edition, Today: q.Today, Country: q.Country, Post: q.Post, InKZT: q.InKZT}
	var out []analytics.ScorecardFilter
	if q.Sector != "" {
		f := base
		f.Scope, f.Code = reference.TargetScopeSector, q.Sector
		out = append(out, f)
	}
	if q.Clause != "" {
		f := base
		f.Scope, f.Code = reference.TargetScopeClause, q.Clause
		out = append(out, f)
	}
	if out == nil {
		out = append(out, base)
	}
	if q.Scope != "" {
		out = slices.DeleteFunc(out, func(f analytics.ScorecardFilter) bool { return f.Scope != "" && f.Scope != q.Scope })
		for i := range out {
			out[i].Scope = q.Scope
		}
	}
	return out
}

// scorecardRow is a scorecard line with the names the page shows.
type scorecardRow struct {
	analytics.ScorecardRow
	Name       string `json:"name"` // the sector's name or the clause's title
	MetricName string `json:"metric_name"`
}

// codeName names a sector code or clause id in lang.
func (s *Server) codeName(lang i18n.Lang, scope, code string) string {
	if scope == reference.TargetScopeClause {
		return s.clauseTitle(lang, code)
	}
	return s.sectorName(lang, code)
}

// parallel runs each function at once and returns the first error: the
// figures of a page come from independent queries.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Server) scorecardRows(ctx context.Context, lang i18n.Lang, q scorecardQuery) ([]scorecardRow, error) {
	filters := q.scopes()
	results := make([][]analytics.ScorecardRow, len(filters))
	fns := make([]func() error, len(filters))
	for i, f := range filters {
		fns[i] = func() (err error) { results[i], err = analytics.Scorecard(ctx, s.cfg.CH, f); return err }
	}
	if err := parallel(fns...); err != nil {
		return nil, err
	}
	var out []scorecardRow
	for _, rows := range results {
		for _, r := range rows {
			out = append(out, scorecardRow{ScorecardRow: r, Name: s.codeName(lang, r.Scope, r.Code), MetricName: metricLabel(lang, r.Metric)})
		}
	}
	return out, nil
}

// scorecardTable is the CSV of the scorecard of year: a line per row, with
// the actual value of every year from 2020 (the trend) at the end.
func scorecardTable(year int) table[scorecardRow] {
	header := []string{"scope", "code", "name", "metric", "unit", "year", "target", "target_edition", "demo_target",
		"expected_to_date", "actual", "percent_of_target", "status", "records", "records_without_rate",
		"forecast_2030", "pipeline_added_2030", "target_2030", "outlook_2030",
		"actual_usd", "actual_kzt", "records_stale_rate", "max_rate_age_days", "records_rate_too_old"}
	for y := firstYear; y <= year; y++ {
		header = append(header, fmt.Sprintf("actual_%d", y))
	}
	return table[scorecardRow]{name: fmt.Sprintf("concept-scorecard-%d", year), header: header,
		record: func(r scorecardRow) []string {
			places := int32(2)
			if r.Unit == reference.UnitCount {
				places = 0
			}
			out := []string{r.Scope, r.Code, r.Name, r.Metric, r.Unit, strconv.Itoa(year), fixed(r.Target, places), r.TargetEdition,
				strconv.FormatBool(r.TargetDemo), fixed(r.Expected, 2), r.Actual.StringFixed(places), fixed(r.Percent, 1), r.Status,
				u64(r.Records), u64(r.NoRate), r.Forecast.StringFixed(places), r.PipelineAdded.StringFixed(2), fixed(r.Target2030, places), r.Status2030,
				fixed(r.ActualUSD, 2), fixed(r.ActualKZT, 2), u64(r.Stale), strconv.Itoa(int(r.MaxRateAge)), u64(r.TooOld)}
			for _, p := range r.Trend {
				out = append(out, p.Value.StringFixed(places))
			}
			return out
		}}
}

var targetsTable = table[analytics.TargetRow]{name: "concept-targets",
	header: []string{"edition", "scope", "code", "metric", "year", "value", "unit", "source", "demo", "line"},
	record: func(t analytics.TargetRow) []string {
		return []string{t.Edition, t.Scope, t.Code, t.Metric, strconv.Itoa(int(t.Year)), t.Value.String(), t.Unit, t.Source,
			strconv.FormatBool(t.Demo), strconv.Itoa(int(t.Line))}
	}}

var investmentRecordsHeader = []string{"lead_id", "title", "post", "key", "entered_on", "stage_now", "jobs", "capex", "currency", "usd", "no_rate", "rate_day",
	"kzt", "rate_age_days", "stale_rate", "rate_too_old"}

func investmentRecord(r analytics.InvestmentRecord) []string {
	return []string{r.LeadID, r.Title, r.Post, r.Key, r.EnteredOn, r.Stage, strconv.FormatUint(uint64(r.Jobs), 10), r.Capex.String(), r.Currency,
		r.USD.StringFixed(2), strconv.FormatBool(r.NoRate), r.RateDay,
		r.KZT.StringFixed(2), strconv.Itoa(int(r.RateAge)), strconv.FormatBool(r.Stale), strconv.FormatBool(r.TooOld)}
}

var exportRecordsHeader = []string{"deal_id", "key", "post", "exporter_name", "buyer_country", "hs_code", "sector", "raw", "stage", "deal_date",
	"value", "currency", "usd", "no_rate", "rate_day", "kzt", "rate_age_days", "stale_rate", "rate_too_old"}

func exportRecord(r analytics.ExportRecord) []string {
	return []string{r.DealID, r.Key, r.Post, r.ExporterName, r.BuyerCountry, r.HSCode, r.Sector, strconv.FormatBool(r.Raw), r.Stage, r.DealDate,
		r.Value.String(), r.Currency, r.USD.StringFixed(2), strconv.FormatBool(r.NoRate), r.RateDay,
		r.KZT.StringFixed(2), strconv.Itoa(int(r.RateAge)), strconv.FormatBool(r.Stale), strconv.FormatBool(r.TooOld)}
}

// unitOf is a metric's unit as a figure in the chosen unit shows it.
func unitOf(metric string, inKZT bool) string {
	u := reference.Metric(metric).Unit()
	if inKZT && u == reference.UnitUSD {
		return analytics.UnitKZT
	}
	return u
}

// drill is one figure of the scorecard whose records are asked for.
type drill struct {
	Scope, Code, Metric string
	Year                int
}

// drillParams reads the figure a drill-down names: its scope, code, metric
// and year, each required, from the parameters of those names after prefix.
func (s *Server) drillParams(c *fiber.Ctx, prefix string, today time.Time, fe *apperr.Fields) drill {
	d := drill{Scope: strings.TrimSpace(c.Query(prefix + "scope")), Metric: strings.TrimSpace(c.Query(prefix + "metric"))}
	switch d.Scope {
	case reference.TargetScopeSector:
		d.Code = s.sectorParam(c, prefix+"code", fe)
	case reference.TargetScopeClause:
		d.Code = s.clauseParam(c, prefix+"code", fe)
	default:
		fe.Add(prefix+"scope", "error.one_of", "sector, clause")
	}
	if d.Code == "" && !fe.Has(prefix+"scope") {
		fe.Add(prefix+"code", "error.required")
	}
	if !reference.Metric(d.Metric).Valid() {
		names := make([]string, 0, len(reference.Metrics()))
		for _, m := range reference.Metrics() {
			names = append(names, string(m))
		}
		fe.Add(prefix+"metric", "error.one_of", strings.Join(names, ", "))
	}
	if strings.TrimSpace(c.Query(prefix+"year")) == "" {
		fe.Add(prefix+"year", "error.required")
	}
	d.Year = yearParam(c, prefix+"year", 0, today, fe)
	return d
}

// scorecardRecords answers /api/scorecard/records: the leads or deals behind
// one figure (scope, code, metric, year), within the country and post filters.
func (s *Server) scorecardRecords(c *fiber.Ctx) error {
	var fe apperr.Fields
	post, err := s.figuresPost(c, &fe)
	if err != nil {
		return err
	}
	today := astanaToday()
	country := s.countryParam(c, "country", &fe)
	inKZT := unitParam(c, &fe)
	d := s.drillParams(c, "", today, &fe)
	if err := fe.Err(); err != nil {
		return err
	}
	by := analytics.BySector
	if d.Scope == reference.TargetScopeClause {
		by = analytics.ByClause
	}
	f := analytics.KPIFilter{Years: []int{d.Year}, Country: country, Post: post}
	name := fmt.Sprintf("scorecard-records-%s-%s-%s-%d", d.Scope, d.Code, d.Metric, d.Year)
	lang := httpx.Lang(c)
	extra := fiber.Map{"figure": fiber.Map{"scope": d.Scope, "code": d.Code, "name": s.codeName(lang, d.Scope, d.Code), "metric": d.Metric,
		"metric_name": metricLabel(lang, d.Metric), "unit": unitOf(d.Metric, inKZT), "year": d.Year, "country": country, "post": post}}
	ctx := c.UserContext()
	switch reference.Metric(d.Metric) {
	case reference.MetricNonRawExports, reference.MetricExportMarkets:
		rows, err := analytics.ExportRecords(ctx, s.cfg.CH, by, d.Code, f)
		if err != nil {
			return figuresUnavailable(err)
		}
		extra["kind"] = "exports"
		extra["sector_names"] = s.sectorNames(lang)
		extra["country_names"] = s.countryNames(lang, rows)
		extra["post_names"] = s.postNames(lang)
		return table[analytics.ExportRecord]{name: name, header: exportRecordsHeader, record: exportRecord}.send(c, rows, extra)
	}
	// Investment: realised is dated by the start of implementation; the
	// others (committed, projects, jobs) by the commitment.
	metric := analytics.Committed
	if reference.Metric(d.Metric) == reference.MetricInvestmentRealised {
		metric = analytics.Realised
	}
	rows, err := analytics.InvestmentRecords(ctx, s.cfg.CH, metric, by, d.Code, f)
	if err != nil {
		return figuresUnavailable(err)
	}
	extra["kind"] = "investment"
	extra["post_names"] = s.postNames(lang)
	extra["entered_stage"] = map[string]string{analytics.Committed: "committed", analytics.Realised: "implementing"}[metric]
	return table[analytics.InvestmentRecord]{name: name, header: investmentRecordsHeader, record: investmentRecord}.send(c, rows, extra)
}

// scorecardFigure answers /api/scorecard/:figure and its .csv: rows (the
// scorecard), targets (every year's target of the chosen rows) and records
// (the drill-down of one figure).
func (s *Server) scorecardFigure(c *fiber.Ctx) error {
	name := strings.TrimSuffix(c.Params("figure"), ".csv")
	if name == "records" {
		return s.scorecardRecords(c)
	}
	if name != "rows" && name != "targets" {
		return apperr.E(apperr.NotFound, "error.not_found", name)
	}
	q, err := s.scorecardFilter(c)
	if err != nil {
		return err
	}
	unit := reference.UnitUSD
	if q.InKZT {
		unit = analytics.UnitKZT
	}
	extra := fiber.Map{"year": q.Year, "today": q.Today.Format(time.DateOnly), "in": unit, "rate_limits": s.rateLimits(),
		"filter": fiber.Map{"year": q.Year, "edition": q.Edition, "sector": q.Sector, "clause": q.Clause, "country": q.Country, "post": q.Post, "in": unit}}
	if q.InKZT {
		rate, err := analytics.TargetRate(c.UserContext(), s.cfg.CH, q.Year, q.Today)
		if err != nil {
			return figuresUnavailable(err)
		}
		extra["targets_rate"] = rate
	}
	if name == "targets" {
		var rows []analytics.TargetRow
		for _, f := range q.scopes() {
			tf := analytics.TargetFilter{Edition: q.Edition, Scope: f.Scope}
			if f.Code != "" {
				tf.Codes = []string{f.Code}
			}
			t, err := analytics.Targets(c.UserContext(), s.cfg.CH, tf)
			if err != nil {
				return figuresUnavailable(err)
			}
			rows = append(rows, t...)
		}
		return targetsTable.send(c, rows, extra)
	}
	rows, err := s.scorecardRows(c.UserContext(), httpx.Lang(c), q)
	if err != nil {
		return figuresUnavailable(err)
	}
	return scorecardTable(q.Year).send(c, rows, extra)
}

// forbiddenText is the page's sentence for a role that may not read the figures.
func forbiddenText(lang i18n.Lang) string {
	msg := i18n.T(lang, "error.figures_role")
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

func (s *Server) scorecardPage(c *fiber.Ctx) error {
	q, err := s.scorecardFilter(c)
	if err := pageError(err); err != nil {
		return err
	}
	// A figure to drill into (drill_scope, drill_code, drill_metric,
	// drill_year): its errors show with the filters'.
	d := drill{}
	if c.Query("drill_scope") != "" || c.Query("drill_metric") != "" {
		var fe apperr.Fields
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Code == apperr.Invalid {
			fe = ae.Fields
		}
		d = s.drillParams(c, "drill_", q.Today, &fe)
		if apperr.CodeOf(err) != apperr.Forbidden {
			err = fe.Err()
		}
	}
	lang := httpx.Lang(c)
	page, status := s.newFilterPage(c, err, auth.ReadInvestment)
	if status == fiber.StatusForbidden {
		page.Forbidden = forbiddenText(lang)
	}
	var years []int
	for y := q.Today.Year(); y >= firstYear; y-- {
		years = append(years, y)
	}
	var clauses []choice
	for _, cl := range s.cfg.Ref.Clauses() {
		if cl.Area == economicDiplomacy {
			clauses = append(clauses, choice{cl.ID, cl.ID + " " + s.clauseTitle(lang, cl.ID)})
		}
	}
	demo := false
	for _, e := range q.Editions {
		demo = demo || e.Demo > 0
	}
	var drillErrors []string
	for _, k := range []string{"drill_scope", "drill_code", "drill_metric", "drill_year"} {
		if m, ok := page.Errors[k]; ok {
			drillErrors = append(drillErrors, k+": "+m)
		}
	}
	start := time.Date(q.Today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	daysInYear := int(start.AddDate(1, 0, 0).Sub(start).Hours() / 24)
	var rate analytics.ScorecardRate
	if q.InKZT && status == fiber.StatusOK {
		if rate, err = analytics.TargetRate(c.UserContext(), s.cfg.CH, q.Year, q.Today); err != nil {
			return figuresUnavailable(err)
		}
	}
	return s.render(c, status, "scorecard", "ui.analyst.scorecard.title", fiber.Map{
		"InKZT": q.InKZT, "USDHref": unitHref(c, ""), "KZTHref": unitHref(c, "KZT"), "RateLimits": s.rateLimits(), "TargetsRate": rate,
		"Page": page, "Year": q.Year, "Years": years, "Edition": q.Edition, "Editions": q.Editions, "DemoTargets": demo,
		"Sector": c.Query("sector"), "Clause": c.Query("clause"), "Country": c.Query("country"),
		"Sectors": s.sectorChoices(lang), "Clauses": clauses,
		"Today": q.Today.Format(time.DateOnly), "DayOfYear": q.Today.YearDay(), "DaysInYear": daysInYear,
		"ShareOfYear": decimal.NewFromInt(int64(q.Today.YearDay())).Div(decimal.NewFromInt(int64(daysInYear))).Round(3), "CurrentYear": q.Today.Year(),
		"Drill": d, "DrillErrors": drillErrors,
	})
}
