package auth

// The access policy, in one place: what each role may do (Matrix), and what
// every route of every service and of the dashboard does (each is
// registered through a Router, with its Action). A route registered another
// way has no entry, and the route-walking test fails on it.
//
// Role × action gives a Reach: None (403), Own (only the user's post or
// commission: the service checks the record's scope and answers 404 or 403
// for another's), or All. The README's role matrix is this table.

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"econdip/services/platform/apperr"
)

// Action is what a route does.
type Action string

// The actions of econdip.
const (
	Public           Action = "public"             // no sign-in: health, metrics, static files, the sign-in page
	SignedIn         Action = "signed_in"          // any signed-in user: home, sign-out, own account, HS search
	ReadLeads        Action = "leads.read"         // investor leads, with their contacts
	WriteLeads       Action = "leads.write"        // create, edit, move leads
	ReadCommissions  Action = "commissions.read"   // commissions, sessions, decisions
	WriteCommissions Action = "commissions.write"  // protocols, decision statuses and links
	ManageCommission Action = "commissions.admin"  // create and rename commissions
	ReadExports      Action = "exports.read"       // export deals, barriers
	WriteExports     Action = "exports.write"      // record and move deals and barriers
	ReadExporters    Action = "exporters.read"     // the exporter registry
	WriteExporters   Action = "exporters.write"    // register exporters
	ReadInvestment   Action = "figures.investment" // pipeline, scorecard, partner-country figures
	ReadCommFigures  Action = "figures.commissions"
	ReadExpFigures   Action = "figures.exports"
	ManageUsers      Action = "users.admin"     // accounts, roles, scopes, tokens of others; the audit trail
	ManageReference  Action = "reference.admin" // reference data: the official exchange rates
	ReadTradeFigures Action = "figures.trade"   // realised trade (BNS statistics) against the posts' deals
	ImportTrade      Action = "trade.import"    // import BNS statistics
	MyWork           Action = "work.mine"       // the user's own tasks ("My work"), across records
	// LinkTargets is finding, by title in the decision page's picker, the
	// leads and deals a decision may be linked to: for a secretariat, those
	// of its commission's partner country (nothing else of them: no page,
	// no contacts).
	LinkTargets     Action = "commissions.link_targets"
	ManageDocuments Action = "documents.admin" // the retention period of removed documents' bytes
	ReadCompanies   Action = "companies.read"  // the company register (contacts only with companies.write)
	WriteCompanies  Action = "companies.write" // add and edit companies, with their contacts
	MergeCompanies  Action = "companies.merge" // merge two companies
)

// Reach is how far a role may take an action.
type Reach int

// Reaches.
const (
	None Reach = iota
	Own        // the user's post or commission
	All
)

func (r Reach) String() string { return [...]string{"none", "own", "all"}[r] }

// Matrix is the role matrix (README "Who may do what").
var Matrix = map[Action]map[Role]Reach{
	ReadLeads:        {Attache: Own, Analyst: All, Admin: All},
	WriteLeads:       {Attache: Own},
	ReadCommissions:  {Attache: Own, Secretariat: Own, Analyst: All, Admin: All},
	WriteCommissions: {Secretariat: Own},
	ManageCommission: {Admin: All},
	ReadExports:      {Attache: Own, Analyst: All, Admin: All},
	WriteExports:     {Attache: Own},
	ReadExporters:    {Attache: All, Analyst: All, Admin: All},
	WriteExporters:   {Attache: All, Admin: All},
	ReadInvestment:   {Attache: Own, Analyst: All, Admin: All},
	ReadCommFigures:  {Secretariat: Own, Analyst: All, Admin: All},
	ReadExpFigures:   {Attache: Own, Analyst: All, Admin: All},
	ManageUsers:      {Admin: All},
	// Realised trade is national statistics set against every post's deals:
	// the analysts' view; an attaché's own figures are the Exports page's.
	ReadTradeFigures: {Analyst: All, Admin: All},
	ImportTrade:      {Admin: All},
	ManageReference:  {Admin: All},
	// Tasks are assigned to those who do the records' work.
	MyWork: {Attache: Own, Secretariat: Own},
	// Those who link decisions find what they link to (the search picker).
	LinkTargets: {Secretariat: Own},
	// Documents on records follow their record's actions; the retention
	// period of removed ones is the administrators'.
	ManageDocuments: {Admin: All},
	// The company register is shared: every attaché may add and edit any
	// company (a buyer in Beijing may invest in Almaty); everyone reads it,
	// contacts aside; administrators merge duplicates.
	ReadCompanies:  {Attache: All, Secretariat: All, Analyst: All, Admin: All},
	WriteCompanies: {Attache: All},
	MergeCompanies: {Admin: All},
}

// Roles lists every role.
var Roles = []Role{Attache, Secretariat, Analyst, Admin}

// ReachOf is how far u may take a.
func ReachOf(u User, a Action) Reach {
	switch a {
	case Public:
		return All
	case SignedIn:
		if u.ID != "" {
			return All
		}
		return None
	}
	return Matrix[a][u.Role]
}

// refusal is the message of a refused action, where one says more than the
// generic "your role may not".
var refusal = map[Action]string{
	ReadLeads: "error.leads_read_role", WriteLeads: "error.leads_write_role",
	WriteCommissions: "error.commission_write_role", ManageCommission: "error.admin_only", ManageUsers: "error.admin_only", ManageReference: "error.admin_only",
	ReadExports: "error.exports_read_role", WriteExports: "error.exports_write_role", ReadExpFigures: "error.exports_read_role",
	WriteExporters: "error.exporters_write_role", ReadInvestment: "error.figures_role", ReadCommFigures: "error.figures_role",
	ReadTradeFigures: "error.figures_role", ImportTrade: "error.admin_only", MyWork: "error.work_role",
	ManageDocuments: "error.admin_only",
	WriteCompanies:  "error.companies_write_role", MergeCompanies: "error.admin_only",
}

// Allow refuses an action the user's role may not take at all.
func Allow(u User, a Action) error {
	if u.ID == "" && a != Public {
		return apperr.E(apperr.Unauthorized, "error.auth_missing")
	}
	if ReachOf(u, a) == None {
		if key, ok := refusal[a]; ok {
			return apperr.E(apperr.Forbidden, key)
		}
		return apperr.E(apperr.Forbidden, "error.role_may_not", string(u.Role), string(a))
	}
	return nil
}

// Permit refuses u action a on one record: a role without reach at all
// (Allow), or a reach of Own on a record that is not the user's: owns says
// whether it is (their post's lead, their commission's decision), and other
// is the message when it is not ("error.other_post"). Each kind of record
// has its scope function; the roles are decided here alone.
func Permit(u User, a Action, owns func(User) bool, other string) error {
	if err := Allow(u, a); err != nil {
		return err
	}
	if ReachOf(u, a) == Own && (owns == nil || !owns(u)) {
		return apperr.E(apperr.Forbidden, other)
	}
	return nil
}

// OwnOnly reports whether a list of records for action a is narrowed to the
// user's own (a reach of Own), or refuses a role without reach.
func OwnOnly(u User, a Action) (bool, error) {
	if err := Allow(u, a); err != nil {
		return false, err
	}
	return ReachOf(u, a) == Own, nil
}

// Guard is Fiber middleware that refuses the action to roles without reach
// (after authentication has stored the user). Where the URL names the scope
// itself (a commission, :cid), a user whose reach is their own commission is
// refused another's here, before anything of the request is read; scopes a
// URL does not name (the post of a lead) are checked by the service on the
// record.
func Guard(a Action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := FromCtx(c)
		if err := Allow(u, a); err != nil {
			return err
		}
		if cid := c.Params("cid"); cid != "" && u.Commission != "" && ReachOf(u, a) == Own && cid != u.Commission {
			return apperr.E(apperr.Forbidden, "error.other_commission")
		}
		return c.Next()
	}
}

// RouteKey names a route: "service METHOD /full/path".
func RouteKey(service, method, path string) string { return service + " " + method + " " + path }

var (
	registryMu sync.Mutex
	registry   = map[string]Action{}
)

func register(service, method, path string, a Action) {
	if _, ok := Matrix[a]; !ok && a != Public && a != SignedIn {
		panic(fmt.Sprintf("auth: route %s %s %s has action %q, which the matrix does not know", service, method, path, a))
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[RouteKey(service, method, path)] = a
}

// Registered returns the action of every registered route of a service.
func Registered(service string) map[string]Action {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := map[string]Action{}
	for k, a := range registry {
		if strings.HasPrefix(k, service+" ") {
			out[k] = a
		}
	}
	return out
}

// Router registers a service's routes with their actions. Routes under it
// authenticate with a bearer token (or the before handlers given), then
// pass the policy's Guard.
type Router struct {
	r       fiber.Router
	service string
	prefix  string
	before  []fiber.Handler
}

// Protect returns a Router for routes under prefix; before authenticates
// (e.g. Bearer(users)) and runs before the guard.
func Protect(r fiber.Router, service, prefix string, before ...fiber.Handler) Router {
	return Router{r: r, service: service, prefix: strings.TrimSuffix(prefix, "/"), before: before}
}

// Handle registers a route that performs action a.
func (p Router) Handle(method, path string, a Action, h ...fiber.Handler) {
	full := p.prefix + path
	if full != "/" {
		full = strings.TrimSuffix(full, "/")
	}
	register(p.service, method, full, a)
	var chain []fiber.Handler
	if a != Public {
		// First, so that refusals (401, 403) carry it too.
		chain = append(chain, noStore)
	}
	chain = append(chain, p.before...)
	if a != Public {
		chain = append(chain, Guard(a))
	}
	p.r.Add(method, full, append(chain, h...)...)
}

// noStore keeps every answer of a route that needs a user out of caches
// (the browser's, a proxy's): a page or figure holds what the user may
// see, and the back button of a shared computer must not show it to the
// next person after sign-out. Public routes (static files) stay cacheable.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// Get registers a GET route.
func (p Router) Get(path string, a Action, h ...fiber.Handler) {
	p.Handle(fiber.MethodGet, path, a, h...)
}

// Post registers a POST route.
func (p Router) Post(path string, a Action, h ...fiber.Handler) {
	p.Handle(fiber.MethodPost, path, a, h...)
}

// Put registers a PUT route.
func (p Router) Put(path string, a Action, h ...fiber.Handler) {
	p.Handle(fiber.MethodPut, path, a, h...)
}

// Patch registers a PATCH route.
func (p Router) Patch(path string, a Action, h ...fiber.Handler) {
	p.Handle(fiber.MethodPatch, path, a, h...)
}

// Use registers a prefix for public middleware (static files): every method.
func (p Router) Use(path string, h fiber.Handler) {
	register(p.service, "USE", p.prefix+path, Public)
	p.r.Use(p.prefix+path, h)
}

// RegisterPublic records a route that needs no sign-in, registered directly
// on the app (health and metrics endpoints).
func RegisterPublic(service, method, path string) { register(service, method, path, Public) }
