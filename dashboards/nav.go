package dashboards

// The header's menu: one list of pages with the action their route
// performs, shown to a user only where the policy lets their role take it.
// New checks every item against the route registered for its path, so the
// menu cannot offer a page its route refuses (navTest signs in as each role
// and opens every link).

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/auth"
	"econdip/services/platform/i18n"
)

// navItem is one page of the menu: its path, the catalogue key of its
// label, and the action of its GET route.
type navItem struct {
	Path   string
	Label  string
	Action auth.Action
}

// menu is the header's menu, in the order it shows.
var menu = []navItem{
	{"/attache/board", "ui.nav.board", auth.WriteLeads},
	{"/attache/deals", "ui.nav.deals", auth.WriteExports},
	{"/attache/barriers", "ui.nav.barriers", auth.WriteExports},
	{"/secretariat/register", "ui.nav.register", auth.WriteCommissions},
	{"/secretariat/protocols/new", "ui.nav.protocol", auth.WriteCommissions},
	{"/work", "ui.nav.work", auth.MyWork},
	{"/companies", "ui.nav.companies", auth.ReadCompanies},
	{"/analyst/scorecard", "ui.nav.scorecard", auth.ReadInvestment},
	{"/analyst/pipeline", "ui.nav.pipeline", auth.ReadInvestment},
	{"/analyst/commissions", "ui.nav.commissions", auth.ReadCommFigures},
	{"/analyst/exports", "ui.nav.exports", auth.ReadExpFigures},
	{"/analyst/barriers", "ui.nav.trade_barriers", auth.ReadExpFigures},
	{"/analyst/trade", "ui.nav.realised_trade", auth.ReadTradeFigures},
	{"/analyst/countries", "ui.nav.countries", auth.ReadInvestment},
	{"/admin/users", "ui.nav.users", auth.ManageUsers},
	{"/admin/audit", "ui.nav.audit", auth.ManageUsers},
	{"/admin/trade", "ui.nav.trade_import", auth.ImportTrade},
	{"/admin/rates", "ui.nav.rates", auth.ManageReference},
	{"/admin/documents", "ui.nav.documents", auth.ManageDocuments},
}

// menuFor is the menu of u: the pages whose action u's role may take.
func menuFor(u auth.User) []navItem {
	if u.ID == "" {
		return nil
	}
	var out []navItem
	for _, it := range menu {
		if auth.ReachOf(u, it.Action) != auth.None {
			out = append(out, it)
		}
	}
	return out
}

// menuPaths is the menu of a role, for tests.
func menuPaths(role auth.Role) []string {
	var out []string
	for _, it := range menuFor(auth.User{ID: "x", Role: role}) {
		out = append(out, it.Path)
	}
	return out
}

// checkMenu fails when an item's path has no GET route of the dashboard or
// a route with another action than the item says.
func checkMenu() error {
	routes := auth.Registered("dashboard")
	for _, it := range menu {
		a, ok := routes[auth.RouteKey("dashboard", "GET", it.Path)]
		switch {
		case !ok:
			return fmt.Errorf("menu item %s: the dashboard has no GET route for it", it.Path)
		case a != it.Action:
			return fmt.Errorf("menu item %s: the menu says %s, its route %s: make them agree", it.Path, it.Action, a)
		}
	}
	return nil
}

// here is the address of a GET page without its lang parameter (the
// language menu adds its own); a page answering a form has "/".
func here(c *fiber.Ctx) string {
	if c.Method() != fiber.MethodGet {
		return "/"
	}
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return c.Path()
	}
	q.Del("lang")
	q.Del("saved") // a confirmation is for the answer to a form, not for every later view
	if len(q) == 0 {
		return c.Path()
	}
	return c.Path() + "?" + q.Encode()
}

// LangHref is the language menu's link to this page in l.
func (d pageData) LangHref(l i18n.Lang) string {
	sep := "?"
	if strings.Contains(d.Here, "?") {
		sep = "&"
	}
	return d.Here + sep + "lang=" + string(l)
}
