// Package dashboards is the web front of econdip: attachés' pages to enter
// and move investor leads (through the leads service's API, with the user's
// own token), and analysts' pages over ClickHouse with a JSON endpoint behind
// every chart and CSV export. Templates and assets are embedded: no CDN.
package dashboards

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/shopspring/decimal"

	"econdip/services/digest"
	"econdip/services/identity"
	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/documents"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config wires the dashboard to its dependencies.
type Config struct {
	LeadsURL       string // base URL of the leads service
	CommissionsURL string // base URL of the commissions service
	ExportsURL     string // base URL of the exports service
	SearchURL      string // base URL of the search service; empty: no search box
	CompaniesURL   string // base URL of the company register; empty: no company pages
	CH             driver.Conn
	Users          auth.Authenticator
	Identity       *identity.Service // sign-in, sessions and accounts
	Ref            *reference.Data
	Log            *slog.Logger
	Secure         bool // set the Secure flag on cookies (behind TLS)
	// CHWriter writes what administrators import from the dashboard (BNS
	// trade statistics); nil: CH (which must then be allowed to insert).
	CHWriter driver.Conn
	// RateLimits are the stale and hard limits of a rate's age the figures
	// were loaded with (zero: the defaults).
	RateLimits reference.RateLimits
	// Rates is the rates store last loaded (nil: the demo store), for the
	// conversions made in Go (the attaché's board).
	Rates func() *reference.Rates
	// Inbox is the notifier's store (inboxes, preferences); nil: no inbox
	// in the header and no inbox pages.
	Inbox *Inbox
	// ImportRates imports the National Bank's rates into the store and loads
	// them (the administrator's page); nil where this process cannot (a
	// dashboard without the store: use `econdip rates import`).
	ImportRates func(ctx context.Context, files []reference.RatesInput, progress func(done, total int, name string)) (reference.ImportSummary, error)
	// Calendars stores the calendar feeds' tokens (issue 17); nil: no feeds.
	Calendars *digest.Calendars
}

// rateLimits are the configured limits of a rate's age.
func (s *Server) rateLimits() reference.RateLimits {
	if s.cfg.RateLimits == (reference.RateLimits{}) {
		return reference.DefaultRateLimits
	}
	return s.cfg.RateLimits
}

// rates is the rates store for conversions made in Go.
func (s *Server) rates() *reference.Rates {
	if s.cfg.Rates != nil {
		if rs := s.cfg.Rates(); rs != nil {
			return rs
		}
	}
	rs, err := s.cfg.Ref.DemoRates()
	if err != nil {
		return reference.NewRates(nil)
	}
	return rs
}

// Server is the dashboard web app.
type Server struct {
	cfg         Config
	leads       leadsClient
	commissions commissionsClient
	exports     exportsClient
	search      searchClient
	companies   companiesClient
	pages       map[i18n.Lang]map[string]*template.Template // per language, per page
}

// New builds the dashboard app.
func New(cfg Config) (*fiber.App, error) {
	s := &Server{cfg: cfg, leads: leadsClient{newAPIClient(cfg.LeadsURL)}, commissions: commissionsClient{newAPIClient(cfg.CommissionsURL)},
		exports: exportsClient{newAPIClient(cfg.ExportsURL)}}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	// 8 MiB: the administrator's upload of rates files (about two years of daily XML; the command line takes more).
	opts := httpx.Options{Name: "dashboard", Logger: cfg.Log, Secure: cfg.Secure, BodyLimit: 8 << 20}
	small := documents.Uploads(&opts) // a document's upload may be larger than the rest
	app := httpx.New(opts)
	app.Use(small)
	app.Use(language)
	app.Use(s.pageErrors)
	app.Use(readDeadline)
	static, _ := fs.Sub(staticFiles, "static")
	public := auth.Protect(app, "dashboard", "")
	public.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static), MaxAge: 3600}))
	public.Get("/signin", auth.Public, s.signinPage)
	public.Post("/signin", auth.Public, s.signin)

	// Every page and figure: a session (or a bearer token), then the policy.
	ui := auth.Protect(app, "dashboard", "", s.requireUser)
	ui.Post("/signout", auth.SignedIn, s.signout)
	ui.Get("/", auth.SignedIn, s.home)
	ui.Get("/attache/board", auth.WriteLeads, s.board)
	ui.Get("/attache/leads/new", auth.WriteLeads, s.newLeadPage)
	ui.Post("/attache/leads", auth.WriteLeads, s.createLead)
	ui.Get("/attache/leads/:id", auth.WriteLeads, s.leadPage)
	ui.Post("/attache/leads/:id", auth.WriteLeads, s.updateLead)
	ui.Post("/attache/leads/:id/stage", auth.WriteLeads, s.moveLead)
	ui.Get("/secretariat/register", auth.WriteCommissions, s.register)
	ui.Get("/secretariat/register.csv", auth.WriteCommissions, s.registerCSV)
	ui.Get("/secretariat/protocols/template.csv", auth.WriteCommissions, s.protocolTemplate)
	ui.Get("/secretariat/protocols/new", auth.WriteCommissions, s.protocolPage)
	ui.Post("/secretariat/protocols", auth.WriteCommissions, s.recordProtocol)
	ui.Get("/secretariat/decisions/:did", auth.WriteCommissions, s.decisionPage)
	ui.Post("/secretariat/decisions/:did/status", auth.WriteCommissions, s.changeDecisionStatus)
	ui.Post("/secretariat/decisions/:did/links", auth.WriteCommissions, s.linkDecision)
	ui.Get("/analyst/pipeline", auth.ReadInvestment, s.pipelinePage)
	ui.Get("/api/pipeline", auth.ReadInvestment, s.pipeline)
	ui.Get("/api/pipeline.csv", auth.ReadInvestment, s.pipeline)
	ui.Get("/api/conversion", auth.ReadInvestment, s.conversion)
	ui.Get("/api/conversion.csv", auth.ReadInvestment, s.conversion)
	ui.Get("/analyst/commissions", auth.ReadCommFigures, s.commissionsPage)
	ui.Get("/api/commissions/:figure", auth.ReadCommFigures, s.commissionFigure)
	s.attacheExportRoutes(ui)
	s.analystExportRoutes(ui)
	s.scorecardRoutes(ui)
	s.identityRoutes(ui)
	s.tradeRoutes(ui)
	s.digestRoutes(public, ui)
	s.inboxRoutes(ui)
	s.workRoutes(ui)
	s.recordsRoutes(ui)
	s.searchRoutes(ui)
	s.documentRoutes(ui)
	if err := s.companiesRoutes(ui); err != nil {
		return nil, err
	}
	ui.Get("/admin/rates", auth.ManageReference, s.ratesPage)
	ui.Post("/admin/rates", auth.ManageReference, s.importRates)
	if err := checkMenu(); err != nil {
		return nil, err
	}
	return app, nil
}

// parseTemplates parses every page once per language, each set with its
// language's functions: t (a message), tn (a plural message), label (an
// enumeration value's name), num, money, day, date and when (numbers and
// dates by the language's CLDR rules). Handlers stay language-free.
func (s *Server) parseTemplates() error {
	s.pages = map[i18n.Lang]map[string]*template.Template{}
	pages := []string{"signin", "error", "board", "lead", "pipeline", "register", "protocol", "decision", "commissions", "rates", "inbox", "work", "admin_documents"}
	for _, lang := range i18n.Langs {
		funcs := pageFuncs(lang)
		s.pages[lang] = map[string]*template.Template{}
		for _, page := range slices.Concat(pages, attacheExportPages, analystExportPages, scorecardPages, identityPages, tradePages, recordsPages, searchPages) {
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/documents_section.html", "templates/"+page+".html")
			if err != nil {
				return err
			}
			s.pages[lang][page] = t
		}
	}
	return nil
}

// pageFuncs are the template functions for pages in lang.
func pageFuncs(lang i18n.Lang) template.FuncMap {
	moment := func(t time.Time) string { return i18n.DateTime(lang, t.In(kernel.Astana)) }
	return template.FuncMap{
		"t":  func(key string, args ...any) string { return i18n.T(lang, key, args...) },
		"tn": func(key string, n int, args ...any) string { return i18n.TN(lang, key, n, args...) },
		// label names an enumeration's value, e.g. label "lead_stage" "on_hold".
		"label": func(kind string, value any) string { return label(lang, kind, fmt.Sprint(value)) },
		"date":  moment,
		"when": func(rfc3339 string) string { // an API timestamp, shown in Astana time
			t, err := time.Parse(time.RFC3339, rfc3339)
			if err != nil {
				return rfc3339
			}
			return moment(t)
		},
		"day": func(day any) string { return i18n.Date(lang, fmt.Sprint(day)) },
		// num and amount format a decimal given as text or number; money adds its currency.
		"num":    func(v any) string { return numberText(lang, v) },
		"amount": func(v any) string { return numberText(lang, v) },
		"money":  func(v any, code string) string { return moneyText(lang, v, code) },
		"pct": func(share any, places int) string {
			d, err := decimal.NewFromString(fmt.Sprint(share))
			if err != nil {
				return fmt.Sprint(share)
			}
			return i18n.Percent(lang, d, int32(places))
		},
		"join": strings.Join,
		"without": func(list []string, drop string) []string {
			return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == drop })
		},
		"barrierType": func(t string) string { return label(lang, "barrier_type", t) },
		// stageName names a lead stage; any other code shows with spaces for underscores.
		"stageName": func(s string) string {
			if l := label(lang, "lead_stage", s); l != s {
				return l
			}
			return strings.ReplaceAll(s, "_", " ")
		},
		"dict": func(errs map[string]string, name string) map[string]any {
			return map[string]any{"Errors": errs, "Name": name}
		},
		// workSection is the "work-section" template's data: a record's tasks and notes, and the page's CSRF token.
		"workSection": func(w *workSection, csrf string) map[string]any { return map[string]any{"W": w, "CSRF": csrf} },
		"tokenTable": func(tokens []tokenView, revoke, csrf, empty string) map[string]any {
			return map[string]any{"Tokens": tokens, "Revoke": revoke, "CSRF": csrf, "Empty": empty}
		},
		"contains": slices.Contains[[]string],
		// clausePicker makes the "clause-picker" template's data: field name, clauses, chosen ids.
		"clausePicker": func(name string, clauses []reference.Clause, chosen []string) picker {
			return newClausePicker(lang, name, clauses, chosen)
		},
	}
}

// label is the name of an enumeration's value in lang (the catalogue's
// "enum.<kind>.<value>"); a value the catalogue lacks shows as it is.
func label(lang i18n.Lang, kind, value string) string {
	key := "enum." + kind + "." + value
	if !i18n.Has(i18n.EN, key) {
		return value
	}
	return i18n.T(lang, key)
}

// numberText formats a decimal given as text ("1500000.5") or a number for
// lang; anything else is shown as it is.
func numberText(lang i18n.Lang, v any) string {
	d, err := decimal.NewFromString(fmt.Sprint(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return i18n.Number(lang, d)
}

func moneyText(lang i18n.Lang, v any, code string) string {
	d, err := decimal.NewFromString(fmt.Sprint(v))
	if err != nil {
		return strings.TrimSpace(fmt.Sprint(v) + " " + code)
	}
	return i18n.Money(lang, d, code)
}

type pageData struct {
	CSRF  string // the session's token for POST forms
	Title string
	User  auth.User
	Data  any
	Lang  i18n.Lang   // the page's language, for <html lang> and the scripts
	Langs []i18n.Lang // the language menu
	Path  string      // the page's path, for the language menu's links
	Menu  []navItem   // the header's menu: the pages the user's role may open
	Post  string      // the user's post, by its city
	// Here is the page's address without ?lang=, for the language menu to
	// come back to; "/" for a page answering a form (its POST address has
	// no page to come back to).
	Here string
	// Script is the catalogue's "js." and "enum." messages in Lang, as JSON
	// for the page's scripts (static/i18n.js).
	Script template.JS
	// Unread is the user's unread reminders for the header; -1: no inbox.
	Unread int
	// Search shows the header's search box (the dashboard knows the search API).
	Search bool
}

// figuresUnavailable is the error of a read of figures that ClickHouse did
// not answer: unavailable for a moment, nothing lost (a write that fails
// keeps the generic "nothing was saved").
// pageDeadline bounds what a page waits for (ClickHouse, the APIs): a
// database that stops answering gives "figures unavailable" after it, not
// a page that never comes. The slowest figures take seconds on 10 million
// events (BENCHMARKS.md).
const pageDeadline = 60 * time.Second

// readDeadline gives each request's context the page deadline (the audit
// CSV, which streams after its handler returned, has its own).
func readDeadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), pageDeadline)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

func figuresUnavailable(err error) error {
	return apperr.Wrap(apperr.Unavailable, err, "error.figures_unavailable")
}

// render executes page in the request's language. title is a catalogue key
// (a text that is not one shows as it is).
func (s *Server) render(c *fiber.Ctx, status int, page string, title string, data any) error {
	lang := httpx.Lang(c)
	var b strings.Builder
	d := pageData{CSRF: csrfOf(c), Title: i18n.T(lang, title), User: currentUser(c), Data: data,
		Lang: lang, Langs: i18n.Langs, Path: c.Path(), Script: scriptCatalogue(lang), Menu: menuFor(currentUser(c)), Here: here(c),
		Unread: s.unread(c.UserContext(), currentUser(c)), Search: s.cfg.SearchURL != ""}
	if d.User.Post != "" {
		d.Post = s.postCity(lang, d.User.Post)
	}
	if err := s.pages[lang][page].Execute(&b, d); err != nil {
		return apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	c.Type("html", "utf-8")
	c.Set(fiber.HeaderContentLanguage, string(lang))
	return c.Status(status).SendString(b.String())
}

// scriptCatalogue is the "js." and "enum." messages of lang as JSON, made
// once per language.
var scriptCatalogue = func() func(i18n.Lang) template.JS {
	made := map[i18n.Lang]template.JS{}
	for _, l := range i18n.Langs {
		msgs := i18n.Prefixed(l, "js.")
		maps.Copy(msgs, i18n.Prefixed(l, "enum."))
		raw, err := json.Marshal(msgs)
		if err != nil {
			panic(err)
		}
		made[l] = template.JS(raw)
	}
	return func(l i18n.Lang) template.JS { return made[l] }
}()

// language remembers a language chosen with ?lang= in a cookie, so the next
// pages keep it (requireUser puts a signed-in user's own setting first).
func language(c *fiber.Ctx) error {
	if l, ok := i18n.Parse(c.Query("lang")); ok {
		c.Cookie(&fiber.Cookie{Name: httpx.LangCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	return c.Next()
}

func (s *Server) home(c *fiber.Ctx) error {
	switch currentUser(c).Role {
	case auth.Attache:
		return c.Redirect("/attache/board")
	case auth.Secretariat:
		return c.Redirect("/secretariat/register")
	}
	return c.Redirect("/analyst/scorecard")
}

// stageColumns are the board's columns, in pipeline order.
func stageColumns() []string {
	out := make([]string, len(domain.Stages))
	for i, s := range domain.Stages {
		out[i] = string(s)
	}
	return out
}
