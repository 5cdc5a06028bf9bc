package dashboards

// The administrator's exchange rates page: the rates store in use (each
// currency's latest rate and how old it is) and a form to upload the
// National Bank's daily rates XML or the rates CSV, one file or many. The
// import checks every file first and refuses them all when one is wrong,
// naming the file, the currency and the field; otherwise it shows what it
// read (files, days, currencies, gaps) and the figures use the new rates at
// once (services/platform/reference/nbk.go, the stack's ImportRates).

import (
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

// rateLine is one currency's latest rate in the store.
type rateLine struct {
	Currency string
	Day      string
	Quant    int64
	KZT      string
	Source   string
	AgeDays  int
	Stale    bool // older than the stale limit today
	TooOld   bool // older than the hard limit today
}

// ratesPageData is the rates page.
type ratesPageData struct {
	Lines      []rateLine
	Rates      int
	Limits     reference.RateLimits
	CanImport  bool
	Summary    *reference.ImportSummary
	GapLines   []string
	Errors     []string
	Today      string
	StorePath  string
	FilesNamed []string
}

func (s *Server) ratesData(c *fiber.Ctx) ratesPageData {
	rs := s.rates()
	today := astanaToday()
	d := ratesPageData{Rates: rs.Lines(), Limits: s.rateLimits(), CanImport: s.cfg.ImportRates != nil, Today: today.Format(time.DateOnly)}
	for _, cur := range rs.Currencies() {
		series := rs.Series(cur)
		if len(series) == 0 {
			continue
		}
		last := series[len(series)-1]
		age := int(today.Sub(last.Day).Hours() / 24)
		d.Lines = append(d.Lines, rateLine{Currency: cur, Day: last.Day.Format(time.DateOnly), Quant: last.Quant, KZT: last.KZT.String(),
			Source: last.Source, AgeDays: age, Stale: age > d.Limits.StaleDays, TooOld: age > d.Limits.MaxAgeDays})
	}
	return d
}

func (s *Server) ratesPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "rates", "ui.rates.title", s.ratesData(c))
}

// importRates takes the uploaded files (field "files") and imports them all or none.
func (s *Server) importRates(c *fiber.Ctx) error {
	lang := httpx.Lang(c)
	if s.cfg.ImportRates == nil {
		d := s.ratesData(c)
		d.Errors = []string{i18n.T(lang, "ui.rates.no_import")}
		return s.render(c, fiber.StatusServiceUnavailable, "rates", "ui.rates.title", d)
	}
	var files []reference.RatesInput
	form, err := c.MultipartForm()
	if err == nil {
		for _, fh := range form.File["files"] {
			f, err := fh.Open()
			if err != nil {
				return apperr.Wrap(apperr.Invalid, err, "error.rates_unreadable")
			}
			body, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return apperr.Wrap(apperr.Invalid, err, "error.rates_unreadable")
			}
			files = append(files, reference.RatesInput{Name: fh.Filename, Body: body})
		}
	}
	if len(files) == 0 {
		d := s.ratesData(c)
		d.Errors = []string{i18n.T(lang, "ui.rates.no_files")}
		return s.render(c, fiber.StatusBadRequest, "rates", "ui.rates.title", d)
	}
	var read []string
	sum, err := s.cfg.ImportRates(c.UserContext(), files, func(done, total int, name string) { read = append(read, name) })
	d := s.ratesData(c)
	d.FilesNamed = read
	if err != nil {
		s.cfg.Log.Warn("rates import refused", "files", len(files), "err", err)
		msg := err.Error()
		d.Errors = slices.DeleteFunc(strings.Split(strings.TrimPrefix(msg, "nothing imported: "), "\n"), func(l string) bool { return strings.TrimSpace(l) == "" })
		status := fiber.StatusBadRequest
		if !strings.HasPrefix(msg, "nothing imported") {
			status = fiber.StatusServiceUnavailable
		}
		return s.render(c, status, "rates", "ui.rates.title", d)
	}
	d.Summary = &sum
	for _, g := range sum.Gaps {
		more := ""
		if len(g.Ranges) == 5 {
			more = ", …"
		}
		d.GapLines = append(d.GapLines, i18n.T(lang, "ui.rates.gap", g.Currency, g.Days, strings.Join(g.Ranges, ", ")+more))
	}
	return s.render(c, fiber.StatusOK, "rates", "ui.rates.title", d)
}
