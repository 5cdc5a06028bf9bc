package dashboards

// The analysts' "Exports" and "Trade barriers" pages: headline numbers,
// charts and tables over ClickHouse (analytics/exports.go states the
// definitions), every figure from its own JSON endpoint that also answers as
// CSV when the path ends in .csv. Filters live in the URL, so a page can be
// bookmarked and its figures downloaded as shown.
//
// Access, as in the exports API: analysts and admins see every post and may
// filter by one; an attaché sees their own post only (a post in the URL is
// ignored); secretariats, whose figures are the commissions', get 403.

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// analystExportPages are the templates of the analysts' export and barrier pages.
var analystExportPages = []string{"exports", "barriers"}

// analystExportRoutes mounts the analysts' "Exports" and "Trade barriers"
// pages and their JSON/CSV figures.
func (s *Server) analystExportRoutes(ui auth.Router) {
	ui.Get("/analyst/exports", auth.ReadExpFigures, s.exportsPage)
	ui.Get("/api/exports/:figure", auth.ReadExpFigures, s.exportFigure)
	ui.Get("/analyst/barriers", auth.ReadExpFigures, s.barriersPage)
	ui.Get("/api/barriers/:figure", auth.ReadExpFigures, s.barrierFigure)
}

// postScope is the post the user's figures of action are limited to, by
// the access policy: their own post where the role's reach is its own (an
// attaché), the one in the URL (checked) where it is all (analysts and
// administrators, who may leave it empty for every post); refused with
// refusal where the role has none.
func (s *Server) postScope(c *fiber.Ctx, fe *apperr.Fields, a auth.Action, refusal string) (string, error) {
	u := currentUser(c)
	switch auth.ReachOf(u, a) {
	case auth.Own:
		return u.Post, nil
	case auth.All:
		p := strings.TrimSpace(c.Query("post"))
		if _, ok := s.cfg.Ref.Post(p); p != "" && !ok {
			fe.Add("post", "error.unknown_post_filter", p)
		}
		return p, nil
	}
	return "", apperr.E(apperr.Forbidden, refusal)
}

// figurePost is the post the user's export and barrier figures are limited to (postScope).
func (s *Server) figurePost(c *fiber.Ctx, fe *apperr.Fields) (string, error) {
	return s.postScope(c, fe, auth.ReadExpFigures, "error.exports_read_role")
}

// countryParam reads an ISO alpha-2 code from the URL, in upper case.
func (s *Server) countryParam(c *fiber.Ctx, name string, fe *apperr.Fields) string {
	v := strings.ToUpper(strings.TrimSpace(c.Query(name)))
	if _, ok := s.cfg.Ref.Country(v); v != "" && !ok {
		fe.Add(name, "error.unknown_country", v)
	}
	return v
}

// listParam reads a parameter given as a comma list, repeated, or both
// (?stage=paid&stage=shipped, ?stage=paid,shipped), without blanks or repeats.
func listParam(c *fiber.Ctx, name string) []string {
	var out []string
	for _, raw := range c.Context().QueryArgs().PeekMulti(name) {
		for _, v := range strings.Split(string(raw), ",") {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// exportFilter reads the Exports page's filters from the URL: years (comma
// list), post, buyer_country, sector (a priority sector or "unassigned") and
// stage (repeated or a comma list).
func (s *Server) exportFilter(c *fiber.Ctx) (analytics.ExportFilter, error) {
	var fe apperr.Fields
	post, err := s.figurePost(c, &fe)
	if err != nil {
		return analytics.ExportFilter{}, err
	}
	f := analytics.ExportFilter{Post: post, BuyerCountry: s.countryParam(c, "buyer_country", &fe),
		Sector: strings.TrimSpace(c.Query("sector"))}
	f.Years = httpx.YearsParam(c, "years", &fe)
	unitParam(c, &fe)
	if _, ok := s.cfg.Ref.Sector(f.Sector); f.Sector != "" && f.Sector != "unassigned" && !ok {
		fe.Add("sector", "error.unknown_sector", f.Sector)
	}
	for _, st := range listParam(c, "stage") {
		if !slices.Contains(analytics.DealStages, st) {
			fe.Add("stage", "error.unknown_stage", st, strings.Join(analytics.DealStages, ", "))
			continue
		}
		f.Stages = append(f.Stages, st)
	}
	return f, fe.Err()
}

// barrierFilter reads the Trade barriers page's filters from the URL: post,
// country (that raised the barrier) and type.
func (s *Server) barrierFilter(c *fiber.Ctx) (analytics.BarrierFilter, error) {
	var fe apperr.Fields
	post, err := s.figurePost(c, &fe)
	if err != nil {
		return analytics.BarrierFilter{}, err
	}
	f := analytics.BarrierFilter{Post: post, Country: s.countryParam(c, "country", &fe), Type: strings.TrimSpace(c.Query("type"))}
	if f.Type != "" && !slices.Contains(domain.BarrierTypes, f.Type) {
		fe.Add("type", "error.one_of", strings.Join(domain.BarrierTypes, ", "))
	}
	unitParam(c, &fe)
	return f, fe.Err()
}

// serveFigure runs one figure's query with the filter and sends its rows as
// JSON (with extra beside them) or CSV.
func serveFigure[F, T any](c *fiber.Ctx, conn driver.Conn, f F, t table[T],
	query func(context.Context, driver.Conn, F) ([]T, error), extra fiber.Map) error {
	rows, err := query(c.UserContext(), conn, f)
	if err != nil {
		return figuresUnavailable(err)
	}
	return t.send(c, rows, extra)
}

// fixed writes an optional decimal with places decimals, empty for none.
func fixed(d *decimal.Decimal, places int32) string {
	if d == nil {
		return ""
	}
	return d.StringFixed(places)
}

func totalsRecord(t analytics.ExportTotals) []string {
	return []string{u64(t.Deals), t.ValueUSD.StringFixed(2), t.NonRawUSD.StringFixed(2), u64(t.DealsWithoutRate),
		t.ValueKZT.StringFixed(2), t.NonRawKZT.StringFixed(2), u64(t.Stale), strconv.Itoa(int(t.MaxRateAge)), u64(t.TooOld)}
}

var totalsHeader = []string{"deals", "value_usd", "non_raw_usd", "deals_without_rate", "value_kzt", "non_raw_kzt", "deals_stale_rate", "max_rate_age_days", "deals_rate_too_old"}

// exportHeadline is the Exports page's headline: the committed deals
// (contracted, shipped or paid) of one year, the latest the filter admits
// with such a deal: their value, the non-raw share of it, their markets and
// products. Every figure is of that year, so that they can stand side by side.
type exportHeadline struct {
	CommittedUSD     decimal.Decimal  `json:"committed_usd"`      // deals of Year with a rate
	CommittedDeals   uint64           `json:"committed_deals"`    // of Year, with or without a rate
	DealsWithoutRate uint64           `json:"deals_without_rate"` // counted in CommittedDeals, not in CommittedUSD
	Year             *uint16          `json:"year"`               // latest year with a committed deal; nil when none
	NonRawShare      *decimal.Decimal `json:"non_raw_share"`      // of Year; nil when Year has no value with a rate
	Markets          uint64           `json:"markets"`            // buyer countries in Year
	Products         uint64           `json:"products"`           // HS headings in Year
	CommittedKZT     decimal.Decimal  `json:"committed_kzt"`      // CommittedUSD's deals in KZT
	DealsStaleRate   uint64           `json:"stale_rate"`         // of Year, converted at a rate older than the stale limit
	MaxRateAge       int32            `json:"max_rate_age_days"`  // the oldest such rate, in days older than its deal
	DealsRateTooOld  uint64           `json:"rate_too_old"`       // of DealsWithoutRate, their rate past the hard limit
}

func exportHeadlines(ctx context.Context, conn driver.Conn, f analytics.ExportFilter) ([]exportHeadline, error) {
	years, err := analytics.NonRawShare(ctx, conn, f)
	if err != nil {
		return nil, err
	}
	mp, err := analytics.MarketsAndProducts(ctx, conn, f)
	if err != nil {
		return nil, err
	}
	return []exportHeadline{headlineOf(years, mp)}, nil
}

// headlineOf is the headline of the latest of years (sorted by year), with
// that year's markets and products from mp.
func headlineOf(years []analytics.NonRawYear, mp []analytics.MarketsProductsYear) exportHeadline {
	h := exportHeadline{CommittedUSD: decimal.Zero, CommittedKZT: decimal.Zero}
	if len(years) == 0 {
		return h
	}
	latest := years[len(years)-1]
	h.Year, h.NonRawShare = &latest.Year, latest.Share
	h.CommittedUSD, h.CommittedDeals, h.DealsWithoutRate = latest.ValueUSD, latest.Deals, latest.DealsWithoutRate
	h.CommittedKZT, h.DealsStaleRate, h.MaxRateAge, h.DealsRateTooOld = latest.ValueKZT, latest.Stale, latest.MaxRateAge, latest.TooOld
	for _, m := range mp {
		if m.Year == latest.Year {
			h.Markets, h.Products = m.Markets, m.Products
		}
	}
	return h
}

// destinationRow is a destination with the country's name.
type destinationRow struct {
	analytics.DestinationExports
	CountryName string `json:"buyer_country_name"`
}

// chapterRow is an HS chapter with its description.
type chapterRow struct {
	analytics.ChapterExports
	ChapterName string `json:"chapter_name"`
}

// barrierTypeRow is a barrier type with the name the pages give it.
type barrierTypeRow struct {
	analytics.BarrierTypeTally
	TypeName string `json:"type_name"`
}

// barrierCountryRow is a country with its name.
type barrierCountryRow struct {
	analytics.BarrierCountryTally
	CountryName string `json:"country_name"`
}

// sectorsNamed is ExportsBySector with the sectors' names in lang.
func (s *Server) sectorsNamed(lang i18n.Lang) func(context.Context, driver.Conn, analytics.ExportFilter) ([]analytics.SectorExports, error) {
	return func(ctx context.Context, conn driver.Conn, f analytics.ExportFilter) ([]analytics.SectorExports, error) {
		rows, err := analytics.ExportsBySector(ctx, conn, f)
		for i := range rows {
			rows[i].SectorName = s.sectorName(lang, rows[i].Sector)
		}
		return rows, err
	}
}

// destinationsNamed is ExportsByDestination with the countries' names in lang.
func (s *Server) destinationsNamed(lang i18n.Lang) func(context.Context, driver.Conn, analytics.ExportFilter) ([]destinationRow, error) {
	return func(ctx context.Context, conn driver.Conn, f analytics.ExportFilter) ([]destinationRow, error) {
		rows, err := analytics.ExportsByDestination(ctx, conn, f)
		out := make([]destinationRow, len(rows))
		for i, r := range rows {
			out[i] = destinationRow{r, s.countryName(lang, r.BuyerCountry)}
		}
		return out, err
	}
}

// chaptersNamed is ExportsByChapter with the chapters' names in lang.
func (s *Server) chaptersNamed(lang i18n.Lang) func(context.Context, driver.Conn, analytics.ExportFilter) ([]chapterRow, error) {
	return func(ctx context.Context, conn driver.Conn, f analytics.ExportFilter) ([]chapterRow, error) {
		rows, err := analytics.ExportsByChapter(ctx, conn, f)
		out := make([]chapterRow, len(rows))
		for i, r := range rows {
			out[i] = chapterRow{ChapterExports: r}
			if h, ok := s.cfg.Ref.HS(r.Chapter); ok {
				out[i].ChapterName = h.Name(lang)
			}
		}
		return out, err
	}
}

func barrierSummary(ctx context.Context, conn driver.Conn, f analytics.BarrierFilter) ([]analytics.BarrierTally, error) {
	t, err := analytics.Barriers(ctx, conn, f)
	if err != nil {
		return nil, err
	}
	return []analytics.BarrierTally{t}, nil
}

// barrierTypesNamed is BarriersByType with the types' names in lang.
func barrierTypesNamed(lang i18n.Lang) func(context.Context, driver.Conn, analytics.BarrierFilter) ([]barrierTypeRow, error) {
	return func(ctx context.Context, conn driver.Conn, f analytics.BarrierFilter) ([]barrierTypeRow, error) {
		rows, err := analytics.BarriersByType(ctx, conn, f)
		out := make([]barrierTypeRow, len(rows))
		for i, r := range rows {
			out[i] = barrierTypeRow{r, label(lang, "barrier_type", r.Type)}
		}
		return out, err
	}
}

// barrierCountriesNamed is BarriersByCountry with the countries' names in lang.
func (s *Server) barrierCountriesNamed(lang i18n.Lang) func(context.Context, driver.Conn, analytics.BarrierFilter) ([]barrierCountryRow, error) {
	return func(ctx context.Context, conn driver.Conn, f analytics.BarrierFilter) ([]barrierCountryRow, error) {
		rows, err := analytics.BarriersByCountry(ctx, conn, f)
		out := make([]barrierCountryRow, len(rows))
		for i, r := range rows {
			out[i] = barrierCountryRow{r, s.countryName(lang, r.Country)}
		}
		return out, err
	}
}

func barrierTallyRecord(t analytics.BarrierTally) []string {
	return []string{u64(t.Barriers), u64(t.Open), u64(t.Dormant), u64(t.Resolved), t.OpenValueAtStakeUSD.StringFixed(2),
		u64(t.OpenWithoutRate), fixed(t.MedianDaysToResolve, 1),
		t.OpenValueAtStakeKZT.StringFixed(2), u64(t.Stale), strconv.Itoa(int(t.MaxRateAge)), u64(t.TooOld)}
}

var barrierTallyHeader = []string{"barriers", "open", "dormant", "resolved", "open_value_at_stake_usd", "open_without_rate", "median_days_to_resolve",
	"open_value_at_stake_kzt", "open_stale_rate", "max_rate_age_days", "open_rate_too_old"}

// exportFigure answers /api/exports/:figure and its .csv.
func (s *Server) exportFigure(c *fiber.Ctx) error {
	name := strings.TrimSuffix(c.Params("figure"), ".csv")
	f, err := s.exportFilter(c)
	if err != nil {
		return err
	}
	years := f.Years
	if years == nil {
		years = []int{}
	}
	inKZT := unitParam(c, &apperr.Fields{}) // checked by exportFilter
	extra := s.unitExtra(inKZT, fiber.Map{"filter": fiber.Map{"years": years, "post": f.Post, "buyer_country": f.BuyerCountry, "sector": f.Sector, "stages": f.Stages, "in": unitName(inKZT)}})
	conn := s.cfg.CH
	switch name {
	case "summary":
		return serveFigure(c, conn, f, table[exportHeadline]{name: "exports-headline",
			header: []string{"committed_usd", "committed_deals", "deals_without_rate", "year", "non_raw_share", "markets", "products",
				"committed_kzt", "deals_stale_rate", "max_rate_age_days", "deals_rate_too_old"},
			record: func(h exportHeadline) []string {
				year := ""
				if h.Year != nil {
					year = strconv.Itoa(int(*h.Year))
				}
				return []string{h.CommittedUSD.StringFixed(2), u64(h.CommittedDeals), u64(h.DealsWithoutRate), year, fixed(h.NonRawShare, 4), u64(h.Markets), u64(h.Products),
					h.CommittedKZT.StringFixed(2), u64(h.DealsStaleRate), strconv.Itoa(int(h.MaxRateAge)), u64(h.DealsRateTooOld)}
			}}, exportHeadlines, extra)
	case "stages":
		return serveFigure(c, conn, f, table[analytics.StageExports]{name: "exports-by-stage", header: append([]string{"stage"}, totalsHeader...),
			record: func(r analytics.StageExports) []string {
				return append([]string{r.Stage}, totalsRecord(r.ExportTotals)...)
			}},
			analytics.ExportsByStage, extra)
	case "sectors":
		return serveFigure(c, conn, f, table[analytics.SectorExports]{name: "exports-by-sector", header: append([]string{"sector", "sector_name"}, totalsHeader...),
			record: func(r analytics.SectorExports) []string {
				return append([]string{r.Sector, r.SectorName}, totalsRecord(r.ExportTotals)...)
			}}, s.sectorsNamed(httpx.Lang(c)), extra)
	case "destinations":
		return serveFigure(c, conn, f, table[destinationRow]{name: "exports-by-destination", header: append([]string{"buyer_country", "buyer_country_name"}, totalsHeader...),
			record: func(r destinationRow) []string {
				return append([]string{r.BuyerCountry, r.CountryName}, totalsRecord(r.ExportTotals)...)
			}}, s.destinationsNamed(httpx.Lang(c)), extra)
	case "chapters":
		return serveFigure(c, conn, f, table[chapterRow]{name: "exports-by-hs-chapter", header: append([]string{"hs_chapter", "chapter_name"}, totalsHeader...),
			record: func(r chapterRow) []string {
				return append([]string{r.Chapter, r.ChapterName}, totalsRecord(r.ExportTotals)...)
			}},
			s.chaptersNamed(httpx.Lang(c)), extra)
	case "non-raw":
		return serveFigure(c, conn, f, table[analytics.NonRawYear]{name: "non-raw-share-by-year", header: append(append([]string{"year"}, totalsHeader...), "non_raw_share"),
			record: func(r analytics.NonRawYear) []string {
				return append(append([]string{strconv.Itoa(int(r.Year))}, totalsRecord(r.ExportTotals)...), fixed(r.Share, 4))
			}}, analytics.NonRawShare, extra)
	case "markets-products":
		return serveFigure(c, conn, f, table[analytics.MarketsProductsYear]{name: "markets-and-products-by-year", header: []string{"year", "deals", "markets", "products"},
			record: func(r analytics.MarketsProductsYear) []string {
				return []string{strconv.Itoa(int(r.Year)), u64(r.Deals), u64(r.Markets), u64(r.Products)}
			}}, analytics.MarketsAndProducts, extra)
	case "concentration":
		return serveFigure(c, conn, f, table[analytics.ConcentrationYear]{name: "concentration-hhi-by-year",
			header: []string{"year", "value_usd", "markets", "products", "markets_hhi", "products_hhi", "deals_without_rate", "value_kzt"},
			record: func(r analytics.ConcentrationYear) []string {
				return []string{strconv.Itoa(int(r.Year)), r.ValueUSD.StringFixed(2), u64(r.Markets), u64(r.Products), fixed(r.MarketsHHI, 2), fixed(r.ProductsHHI, 2), u64(r.DealsWithoutRate),
					r.ValueKZT.StringFixed(2)}
			}}, analytics.Concentration, extra)
	}
	return apperr.E(apperr.NotFound, "error.not_found", name)
}

// barrierFigure answers /api/barriers/:figure and its .csv.
func (s *Server) barrierFigure(c *fiber.Ctx) error {
	name := strings.TrimSuffix(c.Params("figure"), ".csv")
	f, err := s.barrierFilter(c)
	if err != nil {
		return err
	}
	inKZT := unitParam(c, &apperr.Fields{}) // checked by barrierFilter
	extra := s.unitExtra(inKZT, fiber.Map{"filter": fiber.Map{"post": f.Post, "country": f.Country, "type": f.Type, "in": unitName(inKZT)}})
	conn := s.cfg.CH
	switch name {
	case "summary":
		return serveFigure(c, conn, f, table[analytics.BarrierTally]{name: "barriers-headline", header: barrierTallyHeader, record: barrierTallyRecord},
			barrierSummary, extra)
	case "types":
		return serveFigure(c, conn, f, table[barrierTypeRow]{name: "barriers-by-type", header: append([]string{"type", "type_name"}, barrierTallyHeader...),
			record: func(r barrierTypeRow) []string {
				return append([]string{r.Type, r.TypeName}, barrierTallyRecord(r.BarrierTally)...)
			}},
			barrierTypesNamed(httpx.Lang(c)), extra)
	case "countries":
		return serveFigure(c, conn, f, table[barrierCountryRow]{name: "barriers-by-country", header: append([]string{"country", "country_name"}, barrierTallyHeader...),
			record: func(r barrierCountryRow) []string {
				return append([]string{r.Country, r.CountryName}, barrierTallyRecord(r.BarrierTally)...)
			}}, s.barrierCountriesNamed(httpx.Lang(c)), extra)
	case "resolved":
		return serveFigure(c, conn, f, table[analytics.BarrierYear]{name: "barriers-resolved-by-year", header: []string{"year", "resolved", "median_days_to_resolve"},
			record: func(r analytics.BarrierYear) []string {
				return []string{strconv.Itoa(int(r.Year)), u64(r.Resolved), fixed(r.MedianDaysToResolve, 1)}
			}}, analytics.BarriersResolvedByYear, extra)
	}
	return apperr.E(apperr.NotFound, "error.not_found", name)
}

// filterPage is what the two pages share: the user's scope, and the
// filters' errors, field by field, when the URL holds bad values (the page
// is then shown with the errors and without figures, status 400). A role
// that may not read the figures gets the page with the reason, status 403.
type filterPage struct {
	Posts     []choice // the posts the user may choose (postOptions)
	AllPosts  bool     // "all posts" may be chosen
	Post      string   // the post asked for (analysts), or the attaché's own
	PostName  string   // the attaché's own post, shown instead of the choice
	Locked    bool
	Errors    map[string]string
	Forbidden string
}

// newFilterPage builds the pages' common part from the filter's error, and
// the status to answer with.
func (s *Server) newFilterPage(c *fiber.Ctx, err error, a auth.Action) (filterPage, int) {
	u, lang := currentUser(c), httpx.Lang(c)
	p := filterPage{Post: c.Query("post"), Locked: auth.ReachOf(u, a) == auth.Own, Errors: map[string]string{}}
	p.Posts, p.AllPosts = s.postOptions(lang, u, a)
	if p.Locked {
		p.Post, p.PostName = u.Post, s.postCity(lang, u.Post)
	}
	var ae *apperr.Error
	switch {
	case err == nil:
		return p, fiber.StatusOK
	case errors.As(err, &ae) && ae.Code == apperr.Invalid:
		for _, fe := range ae.Fields {
			if _, seen := p.Errors[fe.Field]; !seen {
				p.Errors[fe.Field] = fe.Message
			}
		}
		return p, fiber.StatusBadRequest
	}
	msg := i18n.T(lang, "error.exports_read_role")
	p.Forbidden = strings.ToUpper(msg[:1]) + msg[1:] + "."
	return p, fiber.StatusForbidden
}

// pageError is the filter's error when the page cannot show it itself.
func pageError(err error) error {
	if c := apperr.CodeOf(err); err == nil || c == apperr.Invalid || c == apperr.Forbidden {
		return nil
	}
	return err
}

func (s *Server) exportsPage(c *fiber.Ctx) error {
	_, err := s.exportFilter(c)
	if err := pageError(err); err != nil {
		return err
	}
	page, status := s.newFilterPage(c, err, auth.ReadExpFigures)
	return s.render(c, status, "exports", "ui.analyst.exports.title", fiber.Map{
		"Page": page, "Years": c.Query("years"), "BuyerCountry": c.Query("buyer_country"), "Sector": c.Query("sector"),
		"Sectors": s.sectorChoices(httpx.Lang(c)), "Stages": analytics.DealStages, "Chosen": listParam(c, "stage"),
		"Unit": s.unitSwitchOf(c, unitParam(c, &apperr.Fields{})), "RateLimits": s.rateLimits(),
	})
}

func (s *Server) barriersPage(c *fiber.Ctx) error {
	_, err := s.barrierFilter(c)
	if err := pageError(err); err != nil {
		return err
	}
	page, status := s.newFilterPage(c, err, auth.ReadExpFigures)
	return s.render(c, status, "barriers", "ui.country.barriers.title", fiber.Map{
		"Page": page, "Country": strings.ToUpper(strings.TrimSpace(c.Query("country"))), "Countries": s.partnerCountries(httpx.Lang(c)),
		"Type": c.Query("type"), "Types": domain.BarrierTypes,
		"Unit": s.unitSwitchOf(c, unitParam(c, &apperr.Fields{})), "RateLimits": s.rateLimits(),
	})
}
