package dashboards

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
)

// pipelineFilter reads the pipeline's filters, post and country, each
// checked against the reference data (an unknown one is a field error, not
// an empty figure). Analysts and admins see every post; an attaché sees
// their own post's pipeline whatever post the URL names.
func (s *Server) pipelineFilter(c *fiber.Ctx) (analytics.PipelineFilter, error) {
	var fe apperr.Fields
	post, err := s.postScope(c, &fe, auth.ReadInvestment, "error.leads_read_role")
	if err != nil {
		return analytics.PipelineFilter{}, err
	}
	f := analytics.PipelineFilter{Post: post, Country: s.countryParam(c, "country", &fe)}
	unitParam(c, &fe)
	return f, fe.Err()
}

func (s *Server) pipelineRows(c *fiber.Ctx) ([]analytics.PipelineRow, error) {
	f, err := s.pipelineFilter(c)
	if err != nil {
		return nil, err
	}
	rows, err := analytics.Pipeline(c.UserContext(), s.cfg.CH, f)
	if err != nil {
		return nil, figuresUnavailable(err)
	}
	inPipelineOrder(rows)
	return rows, nil
}

// inPipelineOrder sorts rows by sector, keeping the sectors' order, and
// within a sector by the stages' order in the pipeline (domain.Stages), not
// by their names.
func inPipelineOrder(rows []analytics.PipelineRow) {
	first := map[string]int{}
	for i, r := range rows {
		if _, seen := first[r.Sector]; !seen {
			first[r.Sector] = i
		}
	}
	slices.SortStableFunc(rows, func(a, b analytics.PipelineRow) int {
		return cmp.Or(cmp.Compare(first[a.Sector], first[b.Sector]), cmp.Compare(stageIndex(a.Stage), stageIndex(b.Stage)))
	})
}

var pipelineTable = table[analytics.PipelineRow]{
	name: "pipeline-by-sector-and-stage",
	header: []string{"sector", "stage", "leads", "capex_usd", "weighted_capex_usd", "leads_without_rate",
		"capex_kzt", "weighted_capex_kzt", "leads_stale_rate", "max_rate_age_days", "leads_rate_too_old"},
	record: func(r analytics.PipelineRow) []string {
		return []string{r.Sector, r.Stage, strconv.FormatUint(r.Leads, 10), r.CapexUSD.StringFixed(2), r.WeightedUSD.StringFixed(2), strconv.FormatUint(r.NoRate, 10),
			r.CapexKZT.StringFixed(2), r.WeightedKZT.StringFixed(2), u64(r.Stale), strconv.Itoa(int(r.MaxRateAge)), u64(r.TooOld)}
	},
}

// pipeline answers /api/pipeline (JSON, with sector names and stage order for the chart) and /api/pipeline.csv.
func (s *Server) pipeline(c *fiber.Ctx) error {
	rows, err := s.pipelineRows(c)
	if err != nil {
		return err
	}
	inKZT := unitParam(c, &apperr.Fields{}) // checked by pipelineFilter
	return pipelineTable.send(c, rows, s.unitExtra(inKZT, fiber.Map{"sectors": s.sectorNames(httpx.Lang(c)), "stages": stageColumns()}))
}

var conversionTable = table[analytics.ConversionYear]{
	name:   "lead-conversion-by-year",
	header: []string{"year", "leads_identified", "of_them_committed", "conversion_rate", "median_days_to_commit"},
	record: func(r analytics.ConversionYear) []string {
		return []string{strconv.Itoa(int(r.Year)), strconv.FormatUint(r.Identified, 10), strconv.FormatUint(r.Committed, 10),
			decimalOrEmpty(r.Rate), decimalOrEmpty(r.MedianDaysToCommit)}
	},
}

func decimalOrEmpty(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// conversion answers /api/conversion and /api/conversion.csv: the
// conversion of the leads in the pipeline's scope and filters, per year
// (identified, of them committed since, the rate, and the median days to
// commit of the leads committed in the year).
func (s *Server) conversion(c *fiber.Ctx) error {
	f, err := s.pipelineFilter(c)
	if err != nil {
		return err
	}
	rows, err := analytics.Conversion(c.UserContext(), s.cfg.CH, analytics.ByTotal, analytics.KPIFilter{Post: f.Post, Country: f.Country})
	if err != nil {
		return figuresUnavailable(err)
	}
	return conversionTable.send(c, rows, nil)
}

// pipelinePage offers in its post filter only the posts whose pipeline the
// user may see (postOptions): an attaché their own post, analysts every post.
func (s *Server) pipelinePage(c *fiber.Ctx) error {
	u, lang := currentUser(c), httpx.Lang(c)
	posts, all := s.postOptions(lang, u, auth.ReadInvestment)
	post := c.Query("post")
	if !all {
		post = u.Post
	}
	inKZT := unitParam(c, &apperr.Fields{}) // a wrong unit is refused by the figure's endpoint
	return s.render(c, 200, "pipeline", "ui.analyst.pipeline.title", fiber.Map{
		"Posts": posts, "AllPosts": all, "Post": post, "Country": c.Query("country"),
		"Unit": s.unitSwitchOf(c, inKZT), "RateLimits": s.rateLimits(),
		"ConversionCSV": "/api/conversion.csv?" + string(c.Request().URI().QueryString()),
	})
}
