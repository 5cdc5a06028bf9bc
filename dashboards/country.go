package dashboards

// The analysts' partner-country page: for one country, everything together:
// its investors' leads and their capex, the export deals with its buyers and
// the barriers it raised, the intergovernmental commission(s) with it and
// how their decisions are executed, and all of these year by year. Without a
// country, the page lists every partner country with its headline figures.
// Each figure comes from a JSON endpoint under /api/countries/ that also
// answers as CSV; the definitions are analytics' (kpi.go, exports.go,
// commissions.go, country.go), and the filters live in the URL.
//
// Filters: country, years (of the figure's day: commitment, start of
// implementation, deal date, barrier report and resolution, decision
// deadline; the pipeline, the lists of leads and barriers and the barrier
// tallies show the present state, whatever the years), post.
//
// Access: analysts and admins see everything and may filter by post; an
// attaché sees the own post's leads, deals and barriers only (a post in the
// URL is ignored) and no commission figures, which are not theirs to read
// (as on the Commissions page); a secretariat is refused (403): leads, deals
// and barriers are not its role's to read, and its commission's figures are
// on the Commissions page.

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// countryQuery is the partner-country page's filter as read from the URL.
type countryQuery struct {
	Country     string // ISO alpha-2; empty: the overview of every country
	Years       []int
	Post        string
	Commissions bool // the user may read the commission figures
	InKZT       bool // the page shows money in tenge (in=KZT); the figures carry both units
	AsOf        time.Time
}

func (s *Server) countryFilter(c *fiber.Ctx) (countryQuery, error) {
	var fe apperr.Fields
	post, err := s.figuresPost(c, &fe)
	if err != nil {
		return countryQuery{}, err
	}
	q := countryQuery{Post: post, Country: s.countryParam(c, "country", &fe), AsOf: astanaToday(),
		Commissions: currentUser(c).Role != auth.Attache}
	q.Years = httpx.YearsParam(c, "years", &fe)
	q.InKZT = unitParam(c, &fe)
	return q, fe.Err()
}

func (q countryQuery) kpi() analytics.KPIFilter {
	return analytics.KPIFilter{Years: q.Years, Country: q.Country, Post: q.Post}
}

func (q countryQuery) barriers() analytics.BarrierFilter {
	return analytics.BarrierFilter{Country: q.Country, Post: q.Post}
}

func (q countryQuery) exports() analytics.ExportFilter {
	return analytics.ExportFilter{Years: q.Years, BuyerCountry: q.Country, Post: q.Post}
}

// addExecution adds b's decisions to a and works out the rate of the sum
// again, as analytics does: done on time / due, 4 places, none when nothing is due.
func addExecution(a *analytics.Execution, b analytics.Execution) {
	a.Due += b.Due
	a.DoneOnTime += b.DoneOnTime
	a.DoneLate += b.DoneLate
	a.Overdue += b.Overdue
	a.Cancelled += b.Cancelled
	a.Total += b.Total
	a.Rate = nil
	if a.Due > 0 {
		r := decimal.NewFromUint64(a.DoneOnTime).DivRound(decimal.NewFromUint64(a.Due), 4)
		a.Rate = &r
	}
}

// partnerCommissions is the execution of the commissions with each partner
// country (or only q.Country's), as of q.AsOf and for q's deadline years;
// none when the user may not read commission figures.
func (s *Server) partnerCommissions(ctx context.Context, q countryQuery) ([]analytics.CommissionExecution, error) {
	if !q.Commissions {
		return nil, nil
	}
	all, err := analytics.ExecutionByCommission(ctx, s.cfg.CH, q.AsOf, analytics.CommissionFilter{Years: q.Years})
	if q.Country == "" || err != nil {
		return all, err
	}
	return slices.DeleteFunc(all, func(e analytics.CommissionExecution) bool { return e.PartnerCountry != q.Country }), nil
}

// countryRow is one partner country's headline figures.
type countryRow struct {
	Country             string               `json:"country"`
	Name                string               `json:"name"`
	CommittedUSD        decimal.Decimal      `json:"committed_usd"` // in the years
	Projects            uint64               `json:"projects"`
	Jobs                uint64               `json:"jobs"`
	CommittedNoRate     uint64               `json:"committed_without_rate"`
	CommittedKZT        decimal.Decimal      `json:"committed_kzt"`
	CommittedRates      rateNotes            `json:"committed_rates"`
	OpenLeads           uint64               `json:"open_leads"` // now
	PipelineUSD         decimal.Decimal      `json:"pipeline_usd"`
	PipelineWeightedUSD decimal.Decimal      `json:"pipeline_weighted_usd"`
	PipelineKZT         decimal.Decimal      `json:"pipeline_kzt"`
	PipelineWeightedKZT decimal.Decimal      `json:"pipeline_weighted_kzt"`
	PipelineNoRate      uint64               `json:"pipeline_without_rate"`
	PipelineRates       rateNotes            `json:"pipeline_rates"`
	ExportsUSD          decimal.Decimal      `json:"exports_usd"` // signed deals in the years
	NonRawUSD           decimal.Decimal      `json:"non_raw_usd"`
	Deals               uint64               `json:"deals"`
	DealsNoRate         uint64               `json:"deals_without_rate"`
	ExportsKZT          decimal.Decimal      `json:"exports_kzt"`
	NonRawKZT           decimal.Decimal      `json:"non_raw_kzt"`
	DealsRates          rateNotes            `json:"deals_rates"`
	Barriers            uint64               `json:"barriers"` // now
	BarriersOpen        uint64               `json:"barriers_open"`
	OpenValueUSD        decimal.Decimal      `json:"open_value_at_stake_usd"`
	OpenValueKZT        decimal.Decimal      `json:"open_value_at_stake_kzt"`
	OpenValueRates      rateNotes            `json:"open_value_rates"` // of the open barriers with a value
	Commissions         []string             `json:"commissions"`      // their names
	Execution           *analytics.Execution `json:"execution"`        // of those commissions' decisions; null without one
}

// countryRows gathers every partner country's headline figures (or q.Country's
// only), by country name.
func (s *Server) countryRows(ctx context.Context, lang i18n.Lang, q countryQuery) ([]countryRow, error) {
	var committed []analytics.InvestmentYear
	var open []analytics.PipelineTotal
	var exports []analytics.ExportYear
	var barriers []analytics.BarrierCountryTally
	var commissions []analytics.CommissionExecution
	conn := s.cfg.CH
	err := parallel(
		func() (err error) {
			committed, err = analytics.InvestmentByYear(ctx, conn, analytics.Committed, analytics.ByCountry, q.kpi())
			return err
		},
		func() (err error) {
			open, err = analytics.OpenPipeline(ctx, conn, analytics.ByCountry, q.kpi())
			return err
		},
		func() (err error) {
			exports, err = analytics.ExportsByYear(ctx, conn, analytics.ByCountry, q.kpi())
			return err
		},
		func() (err error) { barriers, err = analytics.BarriersByCountry(ctx, conn, q.barriers()); return err },
		func() (err error) { commissions, err = s.partnerCommissions(ctx, q); return err },
	)
	if err != nil {
		return nil, err
	}
	byCode := map[string]*countryRow{}
	at := func(code string) *countryRow {
		if byCode[code] == nil {
			byCode[code] = &countryRow{Country: code, Name: s.countryName(lang, code), CommittedUSD: decimal.Zero, PipelineUSD: decimal.Zero,
				PipelineWeightedUSD: decimal.Zero, ExportsUSD: decimal.Zero, NonRawUSD: decimal.Zero, OpenValueUSD: decimal.Zero, Commissions: []string{},
				CommittedKZT: decimal.Zero, PipelineKZT: decimal.Zero, PipelineWeightedKZT: decimal.Zero, ExportsKZT: decimal.Zero, NonRawKZT: decimal.Zero, OpenValueKZT: decimal.Zero}
		}
		return byCode[code]
	}
	if q.Country != "" {
		at(q.Country)
	}
	for _, r := range committed {
		c := at(r.Key)
		c.CommittedUSD, c.Projects, c.Jobs, c.CommittedNoRate = c.CommittedUSD.Add(r.USD), c.Projects+r.Projects, c.Jobs+r.Jobs, c.CommittedNoRate+r.NoRate
		c.CommittedKZT = c.CommittedKZT.Add(r.KZT)
		c.CommittedRates.add(r.Stale, r.MaxRateAge, r.TooOld)
	}
	for _, r := range open {
		c := at(r.Key)
		c.OpenLeads, c.PipelineUSD, c.PipelineWeightedUSD = r.Leads, r.USD, r.WeightedUSD
		c.PipelineKZT, c.PipelineWeightedKZT, c.PipelineNoRate = r.KZT, r.WeightedKZT.Round(2), r.NoRate
		c.PipelineRates.add(r.Stale, r.MaxRateAge, r.TooOld)
	}
	for _, r := range exports {
		c := at(r.Key)
		c.ExportsUSD, c.NonRawUSD, c.Deals, c.DealsNoRate = c.ExportsUSD.Add(r.USD), c.NonRawUSD.Add(r.NonRawUSD), c.Deals+r.Deals, c.DealsNoRate+r.NoRate
		c.ExportsKZT, c.NonRawKZT = c.ExportsKZT.Add(r.KZT), c.NonRawKZT.Add(r.NonRawKZT)
		c.DealsRates.add(r.Stale, r.MaxRateAge, r.TooOld)
	}
	for _, r := range barriers {
		c := at(r.Country)
		c.Barriers, c.BarriersOpen, c.OpenValueUSD, c.OpenValueKZT = r.Barriers, r.Open, r.OpenValueAtStakeUSD, r.OpenValueAtStakeKZT
		c.OpenValueRates.add(r.Stale, r.MaxRateAge, r.TooOld)
	}
	for _, r := range commissions {
		if r.PartnerCountry == "" {
			continue
		}
		c := at(r.PartnerCountry)
		if c.Execution == nil {
			c.Execution = &analytics.Execution{}
		}
		addExecution(c.Execution, r.Execution)
		c.Commissions = append(c.Commissions, cmpOr(r.Name, r.CommissionID))
	}
	out := make([]countryRow, 0, len(byCode))
	for _, c := range byCode {
		out = append(out, *c)
	}
	order := nameOrder(lang)
	slices.SortFunc(out, func(a, b countryRow) int { return order(a.Name, b.Name) })
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var countryRowHeader = []string{"country", "country_name", "committed_usd", "projects", "jobs", "committed_without_rate", "open_leads", "pipeline_usd",
	"pipeline_weighted_usd", "exports_usd", "non_raw_usd", "deals", "deals_without_rate", "barriers", "barriers_open", "open_value_at_stake_usd",
	"commissions", "decisions_due", "done_on_time", "done_late", "overdue", "execution_rate",
	"committed_kzt", "pipeline_kzt", "pipeline_weighted_kzt", "pipeline_without_rate", "exports_kzt", "non_raw_kzt",
	"committed_stale_rate", "committed_rate_too_old", "pipeline_stale_rate", "pipeline_rate_too_old", "deals_stale_rate", "deals_rate_too_old",
	"open_value_at_stake_kzt", "open_stale_rate", "open_rate_too_old"}

func countryRecord(r countryRow) []string {
	return append(countryHeadline(r), r.CommittedKZT.StringFixed(2), r.PipelineKZT.StringFixed(2), r.PipelineWeightedKZT.StringFixed(2), u64(r.PipelineNoRate),
		r.ExportsKZT.StringFixed(2), r.NonRawKZT.StringFixed(2), u64(r.CommittedRates.Stale), u64(r.CommittedRates.TooOld),
		u64(r.PipelineRates.Stale), u64(r.PipelineRates.TooOld), u64(r.DealsRates.Stale), u64(r.DealsRates.TooOld),
		r.OpenValueKZT.StringFixed(2), u64(r.OpenValueRates.Stale), u64(r.OpenValueRates.TooOld))
}

func countryHeadline(r countryRow) []string {
	out := []string{r.Country, r.Name, r.CommittedUSD.StringFixed(2), u64(r.Projects), u64(r.Jobs), u64(r.CommittedNoRate), u64(r.OpenLeads),
		r.PipelineUSD.StringFixed(2), r.PipelineWeightedUSD.StringFixed(2), r.ExportsUSD.StringFixed(2), r.NonRawUSD.StringFixed(2), u64(r.Deals),
		u64(r.DealsNoRate), u64(r.Barriers), u64(r.BarriersOpen), r.OpenValueUSD.StringFixed(2), strings.Join(r.Commissions, ";")}
	if e := r.Execution; e != nil {
		return append(out, u64(e.Due), u64(e.DoneOnTime), u64(e.DoneLate), u64(e.Overdue), rateText(e))
	}
	return append(out, "", "", "", "", "")
}

// countryYear is one year of a partner country's figures.
type countryYear struct {
	Year             uint16               `json:"year"`
	CommittedUSD     decimal.Decimal      `json:"committed_usd"`
	Projects         uint64               `json:"projects"`
	Jobs             uint64               `json:"jobs"`
	CommittedNoRate  uint64               `json:"committed_without_rate"`
	RealisedUSD      decimal.Decimal      `json:"realised_usd"`
	RealisedProjects uint64               `json:"realised_projects"`
	RealisedNoRate   uint64               `json:"realised_without_rate"`
	ExportsUSD       decimal.Decimal      `json:"exports_usd"`
	NonRawUSD        decimal.Decimal      `json:"non_raw_usd"`
	Deals            uint64               `json:"deals"`
	DealsNoRate      uint64               `json:"deals_without_rate"`
	BarriersReported uint64               `json:"barriers_reported"`
	BarriersResolved uint64               `json:"barriers_resolved"`
	ResolvedValueUSD decimal.Decimal      `json:"resolved_value_usd"` // at stake in the barriers resolved in the year
	CommittedKZT     decimal.Decimal      `json:"committed_kzt"`
	RealisedKZT      decimal.Decimal      `json:"realised_kzt"`
	ExportsKZT       decimal.Decimal      `json:"exports_kzt"`
	NonRawKZT        decimal.Decimal      `json:"non_raw_kzt"`
	ResolvedValueKZT decimal.Decimal      `json:"resolved_value_kzt"`
	ResolvedNoRate   uint64               `json:"resolved_without_rate"`
	CommittedRates   rateNotes            `json:"committed_rates"`
	RealisedRates    rateNotes            `json:"realised_rates"`
	DealsRates       rateNotes            `json:"deals_rates"`
	ResolvedRates    rateNotes            `json:"resolved_rates"`
	Execution        *analytics.Execution `json:"execution"` // decisions with a deadline in the year; null when not shown
}

// countryYears is q.Country's figures year by year: every year from 2020 to
// the current one (or the years asked for), and any other year with a figure.
func (s *Server) countryYears(ctx context.Context, q countryQuery) ([]countryYear, error) {
	var committed, realised []analytics.InvestmentYear
	var exports []analytics.ExportYear
	var reported []analytics.BarrierReportedYear
	var resolved []analytics.BarrierValueYear
	var decisions []analytics.YearExecution
	var commissions []analytics.CommissionExecution
	conn, kf := s.cfg.CH, q.kpi()
	err := parallel(
		func() (err error) {
			committed, err = analytics.InvestmentByYear(ctx, conn, analytics.Committed, analytics.ByTotal, kf)
			return err
		},
		func() (err error) {
			realised, err = analytics.InvestmentByYear(ctx, conn, analytics.Realised, analytics.ByTotal, kf)
			return err
		},
		func() (err error) {
			exports, err = analytics.ExportsByYear(ctx, conn, analytics.ByTotal, kf)
			return err
		},
		func() (err error) {
			reported, err = analytics.BarriersReportedByYear(ctx, conn, q.barriers())
			return err
		},
		func() (err error) {
			resolved, err = analytics.BarrierValueResolved(ctx, conn, analytics.ByTotal, kf)
			return err
		},
		func() (err error) {
			if !q.Commissions {
				return nil
			}
			decisions, err = analytics.ExecutionByYear(ctx, conn, q.AsOf, analytics.CommissionFilter{Years: q.Years})
			return err
		},
		func() (err error) { commissions, err = s.partnerCommissions(ctx, q); return err },
	)
	if err != nil {
		return nil, err
	}
	byYear := map[uint16]*countryYear{}
	wanted := func(y uint16) bool { return len(q.Years) == 0 || slices.Contains(q.Years, int(y)) }
	at := func(y uint16) *countryYear {
		if byYear[y] == nil {
			byYear[y] = &countryYear{Year: y, CommittedUSD: decimal.Zero, RealisedUSD: decimal.Zero, ExportsUSD: decimal.Zero,
				NonRawUSD: decimal.Zero, ResolvedValueUSD: decimal.Zero, CommittedKZT: decimal.Zero, RealisedKZT: decimal.Zero,
				ExportsKZT: decimal.Zero, NonRawKZT: decimal.Zero, ResolvedValueKZT: decimal.Zero}
			if q.Commissions {
				byYear[y].Execution = &analytics.Execution{}
			}
		}
		return byYear[y]
	}
	if len(q.Years) > 0 {
		for _, y := range q.Years {
			at(uint16(y))
		}
	} else {
		for y := firstYear; y <= q.AsOf.Year(); y++ {
			at(uint16(y))
		}
	}
	for _, r := range committed {
		y := at(r.Year)
		y.CommittedUSD, y.Projects, y.Jobs, y.CommittedNoRate = r.USD, r.Projects, r.Jobs, r.NoRate
		y.CommittedKZT = r.KZT
		y.CommittedRates.add(r.Stale, r.MaxRateAge, r.TooOld)
	}
	for _, r := range realised {
		y := at(r.Year)
		y.RealisedUSD, y.RealisedProjects, y.RealisedNoRate = r.USD, r.Projects, r.NoRate
		y.RealisedKZT = r.KZT
		y.RealisedRates.add(r.Stale, r.MaxRateAge, r.TooOld)
	}
	for _, r := range exports {
		y := at(r.Year)
		y.ExportsUSD, y.NonRawUSD, y.Deals, y.DealsNoRate = r.USD, r.NonRawUSD, r.Deals, r.NoRate
		y.ExportsKZT, y.NonRawKZT = r.KZT, r.NonRawKZT
		y.DealsRates.add(r.Stale, r.MaxRateAge, r.TooOld)
	}
	for _, r := range reported {
		if wanted(r.Year) {
			at(r.Year).BarriersReported = r.Reported
		}
	}
	for _, r := range resolved {
		y := at(r.Year)
		y.BarriersResolved, y.ResolvedValueUSD = r.Resolved, r.USD
		y.ResolvedValueKZT, y.ResolvedNoRate = r.KZT, r.NoRate
		y.ResolvedRates.add(r.Stale, r.MaxRateAge, r.TooOld)
	}
	ids := map[string]bool{}
	for _, c := range commissions {
		ids[c.CommissionID] = true
	}
	for _, r := range decisions {
		if ids[r.CommissionID] {
			addExecution(at(r.Year).Execution, r.Execution)
		}
	}
	out := make([]countryYear, 0, len(byYear))
	for _, y := range byYear {
		out = append(out, *y)
	}
	slices.SortFunc(out, func(a, b countryYear) int { return int(a.Year) - int(b.Year) })
	return out, nil
}

var countryYearHeader = []string{"year", "committed_usd", "projects", "jobs", "committed_without_rate", "realised_usd", "realised_projects",
	"realised_without_rate", "exports_usd", "non_raw_usd", "deals", "deals_without_rate", "barriers_reported", "barriers_resolved",
	"resolved_value_usd", "decisions_due", "done_on_time", "done_late", "overdue", "execution_rate",
	"committed_kzt", "realised_kzt", "exports_kzt", "non_raw_kzt", "resolved_value_kzt", "resolved_without_rate",
	"committed_stale_rate", "committed_rate_too_old", "realised_stale_rate", "realised_rate_too_old", "deals_stale_rate", "deals_rate_too_old",
	"resolved_stale_rate", "resolved_rate_too_old"}

func countryYearRecord(r countryYear) []string {
	return append(countryYearUSD(r), r.CommittedKZT.StringFixed(2), r.RealisedKZT.StringFixed(2), r.ExportsKZT.StringFixed(2), r.NonRawKZT.StringFixed(2),
		r.ResolvedValueKZT.StringFixed(2), u64(r.ResolvedNoRate), u64(r.CommittedRates.Stale), u64(r.CommittedRates.TooOld),
		u64(r.RealisedRates.Stale), u64(r.RealisedRates.TooOld), u64(r.DealsRates.Stale), u64(r.DealsRates.TooOld),
		u64(r.ResolvedRates.Stale), u64(r.ResolvedRates.TooOld))
}

func countryYearUSD(r countryYear) []string {
	out := []string{strconv.Itoa(int(r.Year)), r.CommittedUSD.StringFixed(2), u64(r.Projects), u64(r.Jobs), u64(r.CommittedNoRate),
		r.RealisedUSD.StringFixed(2), u64(r.RealisedProjects), u64(r.RealisedNoRate), r.ExportsUSD.StringFixed(2), r.NonRawUSD.StringFixed(2),
		u64(r.Deals), u64(r.DealsNoRate), u64(r.BarriersReported), u64(r.BarriersResolved), r.ResolvedValueUSD.StringFixed(2)}
	if e := r.Execution; e != nil {
		return append(out, u64(e.Due), u64(e.DoneOnTime), u64(e.DoneLate), u64(e.Overdue), rateText(e))
	}
	return append(out, "", "", "", "", "")
}

// stageTotal is the leads at one stage now.
type stageTotal struct {
	Stage       string          `json:"stage"`
	Leads       uint64          `json:"leads"`
	CapexUSD    decimal.Decimal `json:"capex_usd"`
	WeightedUSD decimal.Decimal `json:"weighted_usd"`
	NoRate      uint64          `json:"leads_without_rate"`
	CapexKZT    decimal.Decimal `json:"capex_kzt"`
	WeightedKZT decimal.Decimal `json:"weighted_kzt"`
	rateNotes                   // of the stage's leads: at a stale rate, without rate for a too old one
}

// pipelineByStage is Pipeline summed over sectors, in stage order.
func (s *Server) pipelineByStage(ctx context.Context, q countryQuery) ([]stageTotal, error) {
	rows, err := analytics.Pipeline(ctx, s.cfg.CH, analytics.PipelineFilter{Country: q.Country, Post: q.Post})
	if err != nil {
		return nil, err
	}
	var out []stageTotal
	for _, st := range stageColumns() {
		t := stageTotal{Stage: st, CapexUSD: decimal.Zero, WeightedUSD: decimal.Zero, CapexKZT: decimal.Zero, WeightedKZT: decimal.Zero}
		for _, r := range rows {
			if r.Stage == st {
				t.Leads, t.NoRate = t.Leads+r.Leads, t.NoRate+r.NoRate
				t.CapexUSD, t.WeightedUSD = t.CapexUSD.Add(r.CapexUSD), t.WeightedUSD.Add(r.WeightedUSD)
				t.CapexKZT, t.WeightedKZT = t.CapexKZT.Add(r.CapexKZT), t.WeightedKZT.Add(r.WeightedKZT)
				t.add(r.Stale, r.MaxRateAge, r.TooOld)
			}
		}
		if t.Leads > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}

// leadRow is a lead with its sector's name.
type leadRow struct {
	analytics.PipelineRecord
	SectorName string `json:"sector_name"`
}

// countryFigure answers /api/countries/:figure and its .csv.
func (s *Server) countryFigure(c *fiber.Ctx) error {
	name := strings.TrimSuffix(c.Params("figure"), ".csv")
	q, err := s.countryFilter(c)
	if err != nil {
		return err
	}
	years := q.Years
	if years == nil {
		years = []int{}
	}
	lang := httpx.Lang(c)
	extra := fiber.Map{"filter": fiber.Map{"country": q.Country, "years": years, "post": q.Post, "in": unitName(q.InKZT)}, "as_of": q.AsOf.Format(time.DateOnly),
		"commissions_shown": q.Commissions}
	if name == "overview" {
		q.Country = "" // every country, whatever the URL says
		rows, err := s.countryRows(c.UserContext(), lang, q)
		if err != nil {
			return figuresUnavailable(err)
		}
		return table[countryRow]{name: "partner-countries", header: countryRowHeader, record: countryRecord}.send(c, rows, extra)
	}
	if q.Country == "" {
		var fe apperr.Fields
		fe.Add("country", "error.required")
		return fe.Err()
	}
	ctx := c.UserContext()
	file := func(what string) string { return "country-" + strings.ToLower(q.Country) + "-" + what }
	switch name {
	case "summary":
		rows, err := s.countryRows(ctx, lang, q)
		if err != nil {
			return figuresUnavailable(err)
		}
		return table[countryRow]{name: file("headline"), header: countryRowHeader, record: countryRecord}.send(c, rows, extra)
	case "years":
		rows, err := s.countryYears(ctx, q)
		if err != nil {
			return figuresUnavailable(err)
		}
		return table[countryYear]{name: file("by-year"), header: countryYearHeader, record: countryYearRecord}.send(c, rows, extra)
	case "pipeline":
		rows, err := s.pipelineByStage(ctx, q)
		if err != nil {
			return figuresUnavailable(err)
		}
		return table[stageTotal]{name: file("pipeline-by-stage"), header: []string{"stage", "leads", "capex_usd", "weighted_usd", "leads_without_rate",
			"capex_kzt", "weighted_kzt", "stale_rate", "max_rate_age_days", "rate_too_old"},
			record: func(r stageTotal) []string {
				return []string{r.Stage, u64(r.Leads), r.CapexUSD.StringFixed(2), r.WeightedUSD.StringFixed(2), u64(r.NoRate),
					r.CapexKZT.StringFixed(2), r.WeightedKZT.StringFixed(2), u64(r.Stale), strconv.Itoa(int(r.MaxRateAge)), u64(r.TooOld)}
			}}.send(c, rows, extra)
	case "leads":
		recs, err := analytics.PipelineRecords(ctx, s.cfg.CH, analytics.PipelineFilter{Country: q.Country, Post: q.Post})
		if err != nil {
			return figuresUnavailable(err)
		}
		rows := make([]leadRow, len(recs))
		for i, r := range recs {
			rows[i] = leadRow{r, s.sectorName(lang, r.Sector)}
		}
		return table[leadRow]{name: file("leads"), header: []string{"lead_id", "title", "investor_name", "post", "sector", "stage", "stage_day", "jobs",
			"capex", "currency", "usd", "weighted_usd", "no_rate", "expected_decision_date", "kzt", "weighted_kzt", "rate_day", "rate_age_days", "stale_rate", "rate_too_old"},
			record: func(r leadRow) []string {
				return []string{r.LeadID, r.Title, r.InvestorName, r.Post, r.Sector, r.Stage, r.StageDay, strconv.FormatUint(uint64(r.Jobs), 10),
					r.Capex.String(), r.Currency, r.USD.StringFixed(2), r.WeightedUSD.StringFixed(2), strconv.FormatBool(r.NoRate), r.DecisionDate,
					r.KZT.StringFixed(2), r.WeightedKZT.StringFixed(2), r.RateDay, strconv.Itoa(int(r.RateAge)), strconv.FormatBool(r.Stale), strconv.FormatBool(r.TooOld)}
			}}.send(c, rows, extra)
	case "deal-stages":
		return serveFigure(c, s.cfg.CH, q.exports(), table[analytics.StageExports]{name: file("deals-by-stage"), header: append([]string{"stage"}, totalsHeader...),
			record: func(r analytics.StageExports) []string {
				return append([]string{r.Stage}, totalsRecord(r.ExportTotals)...)
			}},
			analytics.ExportsByStage, extra)
	case "deal-sectors":
		return serveFigure(c, s.cfg.CH, q.exports(), table[analytics.SectorExports]{name: file("deals-by-sector"), header: append([]string{"sector", "sector_name"}, totalsHeader...),
			record: func(r analytics.SectorExports) []string {
				return append([]string{r.Sector, r.SectorName}, totalsRecord(r.ExportTotals)...)
			}}, s.sectorsNamed(lang), extra)
	case "deals":
		rows, err := analytics.ExportRecords(ctx, s.cfg.CH, analytics.ByCountry, q.Country, q.kpi())
		if err != nil {
			return figuresUnavailable(err)
		}
		extra["sector_names"] = s.sectorNames(lang)
		return table[analytics.ExportRecord]{name: file("signed-deals"), header: exportRecordsHeader, record: exportRecord}.send(c, rows, extra)
	case "barrier-types":
		return serveFigure(c, s.cfg.CH, q.barriers(), table[barrierTypeRow]{name: file("barriers-by-type"), header: append([]string{"type", "type_name"}, barrierTallyHeader...),
			record: func(r barrierTypeRow) []string {
				return append([]string{r.Type, r.TypeName}, barrierTallyRecord(r.BarrierTally)...)
			}}, barrierTypesNamed(lang), extra)
	case "barriers":
		return serveFigure(c, s.cfg.CH, q.barriers(), table[analytics.BarrierRecord]{name: file("barriers"),
			header: []string{"barrier_id", "post", "country", "type", "title", "status", "lead_agency", "hs_codes", "reported_on", "resolved_on",
				"value", "currency", "usd", "no_rate", "rate_day", "kzt", "rate_age_days", "stale_rate", "rate_too_old"},
			record: func(r analytics.BarrierRecord) []string {
				value := ""
				if r.HasValue {
					value = r.Value.String()
				}
				return []string{r.BarrierID, r.Post, r.Country, r.Type, r.Title, r.Status, r.LeadAgency, strings.Join(r.HSCodes, ";"), r.ReportedOn,
					r.ResolvedOn, value, r.Currency, r.USD.StringFixed(2), strconv.FormatBool(r.NoRate), r.RateDay,
					r.KZT.StringFixed(2), strconv.Itoa(int(r.RateAge)), strconv.FormatBool(r.Stale), strconv.FormatBool(r.TooOld)}
			}}, analytics.BarrierRecords, fiber.Map{"filter": extra["filter"], "agency_names": s.agencyNames(lang)})
	case "commissions", "overdue":
		if !q.Commissions {
			return apperr.E(apperr.Forbidden, "error.figures_role")
		}
		commissions, err := s.partnerCommissions(ctx, q)
		if err != nil {
			return figuresUnavailable(err)
		}
		if name == "commissions" {
			return table[analytics.CommissionExecution]{name: file("commissions"),
				header: append([]string{"commission", "name", "partner_country"}, executionHeader...),
				record: func(r analytics.CommissionExecution) []string {
					return append([]string{r.CommissionID, r.Name, r.PartnerCountry}, executionRecord(r.Execution)...)
				}}.send(c, commissions, extra)
		}
		var late []analytics.LateDecision
		for _, cm := range commissions {
			rows, err := analytics.OverdueDecisions(ctx, s.cfg.CH, q.AsOf, analytics.CommissionFilter{CommissionID: cm.CommissionID, Years: q.Years})
			if err != nil {
				return figuresUnavailable(err)
			}
			late = append(late, rows...)
		}
		names := map[string]string{}
		for _, cm := range commissions {
			names[cm.CommissionID] = cmpOr(cm.Name, cm.CommissionID)
		}
		extra["commission_names"], extra["agency_names"] = names, s.agencyNames(lang)
		return table[analytics.LateDecision]{name: file("overdue-decisions"), header: lateHeader, record: lateRecord}.send(c, late, extra)
	}
	return apperr.E(apperr.NotFound, "error.not_found", name)
}

func (s *Server) countryPage(c *fiber.Ctx) error {
	q, err := s.countryFilter(c)
	if err := pageError(err); err != nil {
		return err
	}
	lang := httpx.Lang(c)
	page, status := s.newFilterPage(c, err, auth.ReadInvestment)
	if status == fiber.StatusForbidden {
		page.Forbidden = forbiddenText(lang)
	}
	title, name := "ui.analyst.country.title", ""
	if q.Country != "" && err == nil {
		name = s.countryName(lang, q.Country)
		title = name
	}
	return s.render(c, status, "country", title, fiber.Map{
		"Page": page, "Country": q.Country, "CountryName": name, "Countries": s.partnerCountries(lang), "Years": c.Query("years"),
		"Commissions": q.Commissions, "AsOf": q.AsOf.Format(time.DateOnly), "Unit": s.unitSwitchOf(c, q.InKZT),
	})
}

// partnerCountries are the countries a filter offers: every country but
// Kazakhstan, by name in lang.
func (s *Server) partnerCountries(lang i18n.Lang) []choice {
	var countries []choice
	for _, co := range s.cfg.Ref.Countries() {
		if co.Alpha2 != "KZ" {
			countries = append(countries, choice{co.Alpha2, s.countryName(lang, co.Alpha2)})
		}
	}
	order := nameOrder(lang)
	slices.SortFunc(countries, func(a, b choice) int { return order(a.Name, b.Name) })
	return countries
}
