package dashboards

// Realised trade: the BNS export statistics set against the posts' export
// deals (analytics/trade.go states the definitions; the page says them in
// plain words), for a month range, by HS chapter, sector, raw/non-raw,
// partner country or month, as a page and as CSV. Administrators import the
// BNS files on their own page (an upload form with the session's CSRF
// token), as `econdip trade import` does.
//
// Filters in the URL: from and to (YYYY-MM; or year=YYYY for a whole year;
// by default the year of the latest month imported, up to that month), by,
// partner (ISO alpha-2), chapter (2 digits), sector, class; in=KZT shows
// the money in tenge (unit.go): each month's realised USD at the KZT per USD
// in force on the month's last day (months whose rate is past the hard limit
// are without rate, and the page lists them), deals at their own days'
// rates; the shares are unit-free and the same in both units
// (analytics/trade.go). The CSV carries both units.

import (
	"errors"
	"html/template"
	"io"
	"net/url"
	"regexp"
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
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
	"econdip/services/tradestats"
)

// tradePages are the templates of the realised-trade pages.
var tradePages = []string{"trade", "admin_trade"}

// tradeRoutes mounts the analysts' page, its CSV and JSON, and the
// administrators' import.
func (s *Server) tradeRoutes(ui auth.Router) {
	ui.Get("/analyst/trade", auth.ReadTradeFigures, s.tradePage)
	ui.Get("/api/trade/:figure", auth.ReadTradeFigures, s.tradeFigure)
	ui.Get("/admin/trade", auth.ImportTrade, s.tradeAdminPage)
	ui.Post("/admin/trade", auth.ImportTrade, s.tradeImport)
}

var monthParamPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)

// tradeQuery is the page's filter as read from the URL.
type tradeQuery struct {
	analytics.TradeFilter
	By         analytics.TradeBy
	From, To   string // YYYY-MM as shown
	LatestYear int    // of the latest month imported; 0: none
	InKZT      bool   // in=KZT
}

// monthParam reads a YYYY-MM month; def when absent.
func monthParam(c *fiber.Ctx, name string, def time.Time, fe *apperr.Fields) time.Time {
	v := strings.TrimSpace(c.Query(name))
	if v == "" {
		return def
	}
	t, err := time.Parse("2006-01", v)
	if !monthParamPattern.MatchString(v) || err != nil {
		fe.Add(name, "error.trade_month_param", v)
		return def
	}
	if t.Year() < kernel.FirstYear || t.Year() > kernel.LastYear {
		fe.Add(name, "error.trade_month_range", v, kernel.FirstYear, kernel.LastYear)
		return def
	}
	return t
}

// tradeFilter reads the filters; the default range is the year of the
// latest month imported, up to it (this year, when nothing is imported).
func (s *Server) tradeFilter(c *fiber.Ctx) (tradeQuery, error) {
	var fe apperr.Fields
	latest := time.Date(astanaToday().Year(), astanaToday().Month(), 1, 0, 0, 0, 0, time.UTC)
	eds, err := analytics.TradeEditions(c.UserContext(), s.cfg.CH, true)
	if err != nil {
		return tradeQuery{}, figuresUnavailable(err)
	}
	q := tradeQuery{By: analytics.TradeBy(strings.TrimSpace(c.Query("by")))}
	if len(eds) > 0 {
		latest = eds[len(eds)-1].Month.UTC()
		for _, e := range eds {
			if e.Month.After(latest) {
				latest = e.Month.UTC()
			}
		}
		q.LatestYear = latest.Year()
	}
	from, to := time.Date(latest.Year(), 1, 1, 0, 0, 0, 0, time.UTC), latest
	if y := strings.TrimSpace(c.Query("year")); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < kernel.FirstYear || n > kernel.LastYear {
			fe.Add("year", "error.trade_month_range", y, kernel.FirstYear, kernel.LastYear)
		} else {
			from, to = time.Date(n, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(n, 12, 1, 0, 0, 0, 0, time.UTC)
		}
	}
	q.TradeFilter.From = monthParam(c, "from", from, &fe)
	q.TradeFilter.To = monthParam(c, "to", to, &fe)
	if q.TradeFilter.To.Before(q.TradeFilter.From) {
		fe.Add("to", "error.trade_range_order", q.TradeFilter.To.Format("2006-01"), q.TradeFilter.From.Format("2006-01"))
	}
	if q.TradeFilter.To.Sub(q.TradeFilter.From) > 100*366*24*time.Hour {
		fe.Add("to", "error.trade_range_long")
	}
	q.From, q.To = q.TradeFilter.From.Format("2006-01"), q.TradeFilter.To.Format("2006-01")
	if q.By == "" {
		q.By = analytics.TradeByChapter
	}
	if !slices.Contains(analytics.TradeBreakdowns, q.By) {
		names := make([]string, len(analytics.TradeBreakdowns))
		for i, b := range analytics.TradeBreakdowns {
			names[i] = string(b)
		}
		fe.Add("by", "error.one_of", strings.Join(names, ", "))
	}
	q.Partner = s.countryParam(c, "partner", &fe)
	q.Chapter = strings.TrimSpace(c.Query("chapter"))
	if h, ok := s.cfg.Ref.HS(q.Chapter); q.Chapter != "" && (!ok || h.Level != 2) {
		fe.Add("chapter", "error.trade_chapter", q.Chapter)
	}
	q.Sector = strings.TrimSpace(c.Query("sector"))
	if _, ok := s.cfg.Ref.Sector(q.Sector); q.Sector != "" && q.Sector != "unassigned" && q.Sector != analytics.SectorMixed && !ok {
		fe.Add("sector", "error.unknown_sector", q.Sector)
	}
	q.InKZT = unitParam(c, &fe)
	q.Class = strings.TrimSpace(c.Query("class"))
	if q.Class != "" && !slices.Contains(analytics.TradeClasses, q.Class) {
		fe.Add("class", "error.one_of", strings.Join(analytics.TradeClasses, ", "))
	}
	return q, fe.Err()
}

// tradeRow is a figure with its key's name in the page's language.
type tradeRow struct {
	analytics.TradeFigure
	Name string    `json:"name"`
	Show tradeShow `json:"-"` // the money in the page's unit
}

// tradeShow is a figure's money in the unit the page shows.
type tradeShow struct {
	Realised, Contracted, Shipped, Paid, Deals                     string
	RealisedSort, ContractedSort, ShippedSort, PaidSort, DealsSort string
}

// showIn picks a figure's money in KZT or USD, formatted by money.
func showIn(f analytics.TradeFigure, inKZT bool, money func(any, string) string) tradeShow {
	pick := func(usd, kzt decimal.Decimal) (string, string) {
		if inKZT {
			return money(kzt, analytics.UnitKZT), kzt.String()
		}
		return money(usd, reference.UnitUSD), usd.String()
	}
	var s tradeShow
	s.Realised, s.RealisedSort = pick(f.RealisedUSD, f.RealisedKZT)
	s.Contracted, s.ContractedSort = pick(f.Contracted.USD, f.Contracted.KZT)
	s.Shipped, s.ShippedSort = pick(f.Shipped.USD, f.Shipped.KZT)
	s.Paid, s.PaidSort = pick(f.Paid.USD, f.Paid.KZT)
	s.Deals, s.DealsSort = pick(f.DealsUSD, f.DealsKZT)
	return s
}

// classKeys are the catalogue keys of the classes of a chapter.
var classKeys = map[string]string{analytics.ClassRaw: "ui.trade.class_raw", analytics.ClassNonRaw: "ui.trade.class_non_raw",
	analytics.ClassMixed: "ui.trade.class_mixed"}

// tradeKeyName names a key of a breakdown in lang.
func (s *Server) tradeKeyName(lang i18n.Lang, by analytics.TradeBy, key string) string {
	switch by {
	case analytics.TradeByChapter:
		if h, ok := s.cfg.Ref.HS(key); ok {
			return key + " " + h.Name(lang)
		}
	case analytics.TradeBySector:
		if key == analytics.SectorMixed {
			return i18n.T(lang, "ui.trade.sector_mixed")
		}
		return s.sectorName(lang, key)
	case analytics.TradeByClass:
		if k, ok := classKeys[key]; ok {
			return i18n.T(lang, k)
		}
	case analytics.TradeByPartner:
		return s.countryName(lang, key)
	case analytics.TradeByTotal:
		return i18n.T(lang, "ui.trade.total")
	}
	return key
}

// tradeComparison runs the comparison and names its rows.
func (s *Server) tradeComparison(c *fiber.Ctx, q tradeQuery) ([]tradeRow, tradeRow, analytics.TradeComparison, error) {
	cmp, err := analytics.TradeCompare(c.UserContext(), s.cfg.CH, q.By, q.TradeFilter)
	if err != nil {
		return nil, tradeRow{}, cmp, figuresUnavailable(err)
	}
	lang := httpx.Lang(c)
	money := func(v any, code string) string { return moneyText(lang, v, code) }
	rows := make([]tradeRow, len(cmp.Rows))
	for i, r := range cmp.Rows {
		rows[i] = tradeRow{r, s.tradeKeyName(lang, q.By, r.Key), showIn(r, q.InKZT, money)}
	}
	return rows, tradeRow{cmp.Total, i18n.T(lang, "ui.trade.total"), showIn(cmp.Total, q.InKZT, money)}, cmp, nil
}

var tradeHeader = []string{"key", "name", "realised_usd", "realised_non_raw_usd", "realised_mixed_usd", "realised_non_raw_share", "realised_mixed_share",
	"contracted_deals", "contracted_usd", "shipped_deals", "shipped_usd", "paid_deals", "paid_usd", "deals_usd", "deals_without_rate",
	"coverage", "deals_non_raw_usd", "deals_non_raw_share",
	// KZT (analytics/trade.go): realised at the month-end rates, deals at their days' rates.
	"realised_kzt", "realised_non_raw_kzt", "realised_mixed_kzt", "contracted_kzt", "shipped_kzt", "paid_kzt", "deals_kzt", "deals_non_raw_kzt"}

func tradeRecord(r tradeRow) []string {
	return []string{r.Key, r.Name, r.RealisedUSD.StringFixed(2), r.RealisedNonRawUSD.StringFixed(2), r.RealisedMixedUSD.StringFixed(2),
		fixed(r.RealisedNonRaw, 4), fixed(r.RealisedMixed, 4),
		u64(r.Contracted.Deals), r.Contracted.USD.StringFixed(2), u64(r.Shipped.Deals), r.Shipped.USD.StringFixed(2),
		u64(r.Paid.Deals), r.Paid.USD.StringFixed(2), r.DealsUSD.StringFixed(2), u64(r.DealsWithoutRate),
		fixed(r.Coverage, 4), r.DealsNonRawUSD.StringFixed(2), fixed(r.DealsNonRaw, 4),
		r.RealisedKZT.StringFixed(2), r.RealisedNonRawKZT.StringFixed(2), r.RealisedMixedKZT.StringFixed(2), r.Contracted.KZT.StringFixed(2),
		r.Shipped.KZT.StringFixed(2), r.Paid.KZT.StringFixed(2), r.DealsKZT.StringFixed(2), r.DealsNonRawKZT.StringFixed(2)}
}

// tradeFigure answers /api/trade/<breakdown> (JSON) and its .csv, and
// /api/trade/editions: the current edition of every month imported.
func (s *Server) tradeFigure(c *fiber.Ctx) error {
	name := strings.TrimSuffix(c.Params("figure"), ".csv")
	if name == "editions" {
		eds, err := analytics.TradeEditions(c.UserContext(), s.cfg.CH, c.Query("all") != "true")
		if err != nil {
			return figuresUnavailable(err)
		}
		return table[analytics.TradeEdition]{name: "bns-editions",
			header: []string{"month", "partner", "chapters", "sum_thousand_usd", "has_total", "total_thousand_usd", "file_name", "file_sha256", "label", "loaded_by", "loaded_at"},
			record: func(e analytics.TradeEdition) []string {
				return []string{e.MonthLabel(), e.Partner, strconv.Itoa(int(e.Chapters)), e.SumThousandUSD.String(), strconv.FormatBool(e.HasTotal),
					e.TotalThousand.String(), e.FileName, e.FileSHA256, e.Label, e.LoadedBy, e.LoadedAt.UTC().Format(time.RFC3339)}
			}}.send(c, eds, nil)
	}
	if !slices.Contains(analytics.TradeBreakdowns, analytics.TradeBy(name)) {
		return apperr.E(apperr.NotFound, "error.not_found", name)
	}
	c.Request().URI().QueryArgs().Set("by", name)
	q, err := s.tradeFilter(c)
	if err != nil {
		return err
	}
	rows, total, cmp, err := s.tradeComparison(c, q)
	if err != nil {
		return err
	}
	if strings.HasSuffix(c.Path(), ".csv") {
		rows = append(rows, total) // the total as the last line, key "all"
	}
	months := cmp.MonthsWith
	if months == nil {
		months = []string{}
	}
	return table[tradeRow]{name: "realised-trade-by-" + name, header: tradeHeader, record: tradeRecord}.send(c, rows,
		s.unitExtra(q.InKZT, fiber.Map{"total": total, "months_with_statistics": months, "months_without_statistics": cmp.MonthsWithout,
			"month_rates": cmp.MonthRates, "months_without_rate": cmp.MonthsWithoutRate,
			"filter": fiber.Map{"from": q.From, "to": q.To, "partner": q.Partner, "chapter": q.Chapter, "sector": q.Sector, "class": q.Class}}))
}

// tradePage is the analysts' page.
func (s *Server) tradePage(c *fiber.Ctx) error {
	lang := httpx.Lang(c)
	q, err := s.tradeFilter(c)
	if err := pageError(err); err != nil {
		return err
	}
	errs := map[string]string{}
	status := fiber.StatusOK
	var ae *apperr.Error
	if errors.As(err, &ae) {
		status = fiber.StatusBadRequest
		for _, fe := range ae.Fields {
			if _, seen := errs[fe.Field]; !seen {
				errs[fe.Field] = fe.Localized(lang)
			}
		}
	}
	data := fiber.Map{"Q": q, "Errors": errs, "Sectors": append(s.sectorChoices(lang), choice{analytics.SectorMixed, i18n.T(lang, "ui.trade.sector_mixed")}),
		"Classes": analytics.TradeClasses, "Breakdowns": analytics.TradeBreakdowns, "CSV": s.tradeCSVURL(q), "Unit": s.unitSwitchOf(c, q.InKZT)}
	if len(errs) == 0 {
		rows, total, cmp, err := s.tradeComparison(c, q)
		if err != nil {
			return err
		}
		eds, err := analytics.TradeEditions(c.UserContext(), s.cfg.CH, true)
		if err != nil {
			return figuresUnavailable(err)
		}
		eds = slices.DeleteFunc(eds, func(e analytics.TradeEdition) bool {
			return e.Month.Before(q.TradeFilter.From) || e.Month.After(q.TradeFilter.To) || (q.By != analytics.TradeByPartner && e.Partner != q.Partner)
		})
		data["Rows"], data["Total"], data["Cmp"], data["Editions"] = rows, total, cmp, eds
	}
	return s.render(c, status, "trade", "ui.trade.title", data)
}

// tradeCSVURL is the page's CSV link with the page's filter. It is made
// whole here, escaped as a URL, so the template does not escape its query
// again (it would turn the '=' and '&' into text).
func (s *Server) tradeCSVURL(q tradeQuery) template.URL {
	v := url.Values{"from": {q.From}, "to": {q.To}}
	for _, p := range [][2]string{{"partner", q.Partner}, {"chapter", q.Chapter}, {"sector", q.Sector}, {"class", q.Class}} {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	return template.URL("/api/trade/" + url.PathEscape(string(q.By)) + ".csv?" + v.Encode())
}

// tradeAdminPage lists every import and offers the upload form.
func (s *Server) tradeAdminPage(c *fiber.Ctx) error {
	return s.renderTradeAdmin(c, fiber.StatusOK, nil, nil)
}

// tradeFileError is a refused file, its errors in the page's language.
type tradeFileError struct {
	File   string
	Errors []string
}

func (s *Server) renderTradeAdmin(c *fiber.Ctx, status int, done []analytics.TradeImported, refused []tradeFileError) error {
	eds, err := analytics.TradeEditions(c.UserContext(), s.cfg.CH, false)
	if err != nil {
		return figuresUnavailable(err)
	}
	current := map[string]bool{}
	cur, err := analytics.TradeEditions(c.UserContext(), s.cfg.CH, true)
	if err != nil {
		return figuresUnavailable(err)
	}
	for _, e := range cur {
		current[e.EditionID] = true
	}
	return s.render(c, status, "admin_trade", "ui.trade.admin_title", fiber.Map{"Editions": eds, "Current": current,
		"Done": done, "Refused": refused, "MaxMiB": 1})
}

// tradeImport imports the uploaded files: every one is checked first, and
// one refused file refuses them all.
func (s *Server) tradeImport(c *fiber.Ctx) error {
	lang := httpx.Lang(c)
	form, err := c.MultipartForm()
	var uploads []struct {
		name string
		data []byte
	}
	if err == nil {
		for _, fh := range form.File["file"] {
			f, err := fh.Open()
			if err != nil {
				return apperr.Wrap(apperr.Invalid, err, "error.trade_upload")
			}
			buf, err := io.ReadAll(f)
			_ = f.Close()
			if err != nil {
				return apperr.Wrap(apperr.Invalid, err, "error.trade_upload")
			}
			uploads = append(uploads, struct {
				name string
				data []byte
			}{fh.Filename, buf})
		}
	}
	if len(uploads) == 0 {
		return s.renderTradeAdmin(c, fiber.StatusBadRequest, nil, []tradeFileError{{Errors: []string{i18n.T(lang, "error.trade_no_file")}}})
	}
	var files []*tradestats.File
	var refused []tradeFileError
	for _, u := range uploads {
		f, err := tradestats.Parse(u.name, u.data, s.cfg.Ref)
		if err != nil {
			refused = append(refused, tradeFileError{u.name, fieldMessages(lang, err)})
			continue
		}
		files = append(files, f)
	}
	if len(refused) == 0 {
		if err := tradestats.Check(files); err != nil {
			refused = append(refused, tradeFileError{"", fieldMessages(lang, err)})
		}
	}
	if len(refused) > 0 {
		return s.renderTradeAdmin(c, fiber.StatusBadRequest, nil, refused)
	}
	conn := s.cfg.CHWriter
	if conn == nil {
		conn = s.cfg.CH
	}
	done, err := analytics.ImportTrade(c.UserContext(), conn, files, analytics.TradeImportOptions{LoadedBy: currentUser(c).ID})
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.analytics_unavailable") // a write: "nothing was saved"
	}
	if s.cfg.Log != nil {
		s.cfg.Log.Info("BNS statistics imported", "by", currentUser(c).ID, "files", len(files), "months", len(done))
	}
	return s.renderTradeAdmin(c, fiber.StatusOK, done, nil)
}

// fieldMessages is an error's field errors as "field: message" in lang.
func fieldMessages(lang i18n.Lang, err error) []string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return []string{err.Error()}
	}
	if len(ae.Fields) == 0 {
		return []string{ae.Localized(lang)}
	}
	out := make([]string, len(ae.Fields))
	for i, fe := range ae.Fields {
		out[i] = fe.Field + ": " + fe.Localized(lang)
	}
	return out
}
