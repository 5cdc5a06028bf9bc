// Package dashboards is the web front of econdip: attachés' pages to enter
// and move investor leads (through the leads service's API, with the user's
// own token), and analysts' pages over ClickHouse with a JSON endpoint behind
// every chart and CSV export. Templates and assets are embedded: no CDN.
package dashboards

import (
	"cmp"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"econdip/services/identity"
	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
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
	CH             driver.Conn
	Users          auth.Authenticator
	Identity       *identity.Service // sign-in, sessions and accounts
	Ref            *reference.Data
	Log            *slog.Logger
	Secure         bool // set the Secure flag on cookies (behind TLS)
}

// Server is the dashboard web app.
type Server struct {
	cfg         Config
	leads       leadsClient
	commissions commissionsClient
	exports     exportsClient
	pages       map[string]*template.Template
}

// New builds the dashboard app.
func New(cfg Config) (*fiber.App, error) {
	s := &Server{cfg: cfg, leads: leadsClient{newAPIClient(cfg.LeadsURL)}, commissions: commissionsClient{newAPIClient(cfg.CommissionsURL)},
		exports: exportsClient{newAPIClient(cfg.ExportsURL)}}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	app := httpx.New(httpx.Options{Name: "dashboard", Logger: cfg.Log, Secure: cfg.Secure})
	app.Use(s.pageErrors)
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
	ui.Get("/secretariat/protocols/new", auth.WriteCommissions, s.protocolPage)
	ui.Post("/secretariat/protocols", auth.WriteCommissions, s.recordProtocol)
	ui.Get("/secretariat/decisions/:did", auth.WriteCommissions, s.decisionPage)
	ui.Post("/secretariat/decisions/:did/status", auth.WriteCommissions, s.changeDecisionStatus)
	ui.Post("/secretariat/decisions/:did/links", auth.WriteCommissions, s.linkDecision)
	ui.Get("/analyst/pipeline", auth.ReadInvestment, s.pipelinePage)
	ui.Get("/api/pipeline", auth.ReadInvestment, s.pipeline)
	ui.Get("/api/pipeline.csv", auth.ReadInvestment, s.pipeline)
	ui.Get("/analyst/commissions", auth.ReadCommFigures, s.commissionsPage)
	ui.Get("/api/commissions/:figure", auth.ReadCommFigures, s.commissionFigure)
	s.attacheExportRoutes(ui)
	s.analystExportRoutes(ui)
	s.scorecardRoutes(ui)
	s.identityRoutes(ui)
	return app, nil
}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"t":    func(key string, args ...any) string { return i18n.T(i18n.EN, key, args...) },
		"date": func(t time.Time) string { return t.In(kernel.Astana).Format("2006-01-02 15:04") },
		"when": func(rfc3339 string) string { // an API timestamp, shown in Astana time
			t, err := time.Parse(time.RFC3339, rfc3339)
			if err != nil {
				return rfc3339
			}
			return t.In(kernel.Astana).Format("2006-01-02 15:04")
		},
		"join":   strings.Join,
		"amount": groupDigits[httpx.NumberText],
		"without": func(list []string, drop string) []string {
			return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == drop })
		},
		"barrierType": func(t string) string { return cmp.Or(barrierTypeNames[t], t) },
		"stageName":   func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		"dict": func(errs map[string]string, name string) map[string]any {
			return map[string]any{"Errors": errs, "Name": name}
		},
		"tokenTable": func(tokens []tokenView, revoke, csrf, empty string) map[string]any {
			return map[string]any{"Tokens": tokens, "Revoke": revoke, "CSRF": csrf, "Empty": empty}
		},
		"contains": func(list []string, v string) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		},
	}
	s.pages = map[string]*template.Template{}
	pages := []string{"signin", "error", "board", "lead", "pipeline", "register", "protocol", "decision", "commissions"}
	for _, page := range append(append(append(append(pages, attacheExportPages...), analystExportPages...), scorecardPages...), identityPages...) {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return err
		}
		s.pages[page] = t
	}
	return nil
}

// groupDigits shows a decimal amount with thousands separators:
// "1500000.5" -> "1,500,000.5". Anything else is shown as it is.
func groupDigits[T ~string](amount T) string {
	s := string(amount)
	whole, frac, hasFrac := strings.Cut(s, ".")
	sign := ""
	if strings.HasPrefix(whole, "-") {
		sign, whole = "-", whole[1:]
	}
	if whole == "" || strings.Trim(whole, "0123456789") != "" {
		return s
	}
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

type pageData struct {
	CSRF  string // the session's token for POST forms
	Title string
	User  auth.User
	Data  any
}

func (s *Server) render(c *fiber.Ctx, status int, page string, title string, data any) error {
	var b strings.Builder
	if err := s.pages[page].Execute(&b, pageData{CSRF: csrfOf(c), Title: title, User: currentUser(c), Data: data}); err != nil {
		return apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	c.Type("html", "utf-8")
	return c.Status(status).SendString(b.String())
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
