package stack_test

// Every route of every service and of the dashboard, with every role, an
// out-of-scope user of the same role, and no user at all: the answer must be
// what the policy (services/platform/auth/policy.go) says. A route that was
// not registered with an action fails the test.

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/auth"
	"econdip/services/test/stacktest"
)

// fixture is one record of each kind, of the Berlin post or of igc-cn.
type fixture struct {
	lead, deal, barrier, bin, decision, session, company string
	markers                                              []string // texts only the record's readers may see
}

func accessFixture(t *testing.T, s *stack.Stack) fixture {
	t.Helper()
	var f fixture
	lead := create(t, s, berlin, leadBody("Walk Test Investor GmbH"))
	f.lead = lead.ID
	registerExporter(t, s, berlin, binAluminium, "Walk Test Aluminium JSC")
	f.bin = binAluminium
	f.deal = createDeal(t, s, berlin, dealBody(binAluminium, "760110", `"1000"`)).ID
	r := stacktest.Do(t, "POST", exportsURL(s, "/barriers"), berlin, `{"country":"DE","hs_codes":["1001"],"type":"sps",
		"title":"Walk test barrier","description":"x","lead_agency":"moa","clauses":["2.6"]}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("barrier: %d %s", r.Status, r.Body)
	}
	var b struct{ ID string }
	r.JSON(t, &b)
	f.barrier = b.ID
	createCommission(t, s, "igc-cn", "CN")
	r = stacktest.Do(t, "POST", commissionsURL(s)+"/igc-cn/sessions", secCN, protocolBody(3, astanaDay(-30), []string{astanaDay(30)}, ""))
	if r.Status != http.StatusCreated {
		t.Fatalf("protocol: %d %s", r.Status, r.Body)
	}
	var p struct {
		Session   struct{ ID string }
		Decisions []struct{ ID, Text string }
	}
	r.JSON(t, &p)
	f.session, f.decision = p.Session.ID, p.Decisions[0].ID
	r = stacktest.Do(t, "POST", "http://"+s.CompaniesAddr+"/api/v1/companies", berlin, `{"name":"Walk Test Company GmbH","country":"DE"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("company: %d %s", r.Status, r.Body)
	}
	var co struct{ ID string }
	r.JSON(t, &co)
	f.company = co.ID
	f.markers = []string{"Walk Test Investor", "Walk test barrier", p.Decisions[0].Text}
	return f
}

// caller is a user of the walk, and the scopes it is in.
type caller struct {
	name, token string
	user        auth.User
	post        bool // owns the Berlin records
	commission  bool // owns igc-cn's records (or, for an attaché, reads them: China is the post's host country)
}

var callers = []caller{
	{"attaché in Berlin", berlin, auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}, true, false},
	{"attaché in Beijing", beijing, auth.User{ID: "attache.cn-beijing", Role: auth.Attache, Post: "cn-beijing"}, false, true},
	{"secretariat of igc-cn", secCN, auth.User{ID: "secretariat.igc-cn", Role: auth.Secretariat, Commission: "igc-cn"}, false, true},
	{"secretariat of igc-uz", secUZ, auth.User{ID: "secretariat.igc-uz", Role: auth.Secretariat, Commission: "igc-uz"}, false, false},
	{"analyst", analyst, auth.User{ID: "analyst", Role: auth.Analyst}, true, true},
	{"administrator", admin, auth.User{ID: "admin", Role: auth.Admin}, true, true},
}

var param = regexp.MustCompile(`:[a-z]+`)

// target fills a route's parameters with the fixture's records and says
// whose records the route touches: "post", "commission" or "" (a list, a
// figure or a form).
func target(path string, f fixture) (string, string) {
	owner := ""
	url := param.ReplaceAllStringFunc(path, func(p string) string {
		switch p {
		case ":cid":
			owner = "commission"
			return "igc-cn"
		case ":did":
			owner = "commission"
			return f.decision
		case ":sid":
			return f.session
		case ":bin":
			return f.bin
		case ":uid":
			return "analyst" // an account every caller knows; the walk's bodies change nothing
		case ":tid":
			// No such token: revoking a real one (the analyst's "users-file")
			// would sign the analyst out of the rest of the walk.
			return "no-such-token"
		case ":figure":
			return map[bool]string{true: "execution", false: "summary"}[strings.Contains(path, "/api/commissions/")]
		case ":id":
			owner = "post"
			switch {
			case strings.Contains(path, "/leads/"), strings.Contains(path, "/records/lead/"): // the record pages (issue 18) too
				return f.lead
			case strings.Contains(path, "/deals/"), strings.Contains(path, "/records/deal/"): // the record pages (issue 18) too
				return f.deal
			case strings.Contains(path, "/barriers/"), strings.Contains(path, "/records/barrier/"): // the record pages (issue 18) too
				return f.barrier
			case strings.Contains(path, "/companies/"):
				owner = "" // the register is shared: no record is another's
				return f.company
			}
		}
		return p
	})
	switch {
	case strings.Contains(url, "/api/scorecard/summary"):
		url = strings.Replace(url, "summary", "rows", 1)
	case strings.Contains(url, "/api/countries/summary"):
		url = strings.Replace(url, "summary", "overview", 1)
	}
	return url, owner
}

func TestEveryRouteAnswersAsThePolicySays(t *testing.T) {
	s := stacktest.Start(t)
	f := accessFixture(t, s)
	addr := map[string]string{"leads": s.LeadsAddr, "commissions": s.CommissionsAddr, "exports": s.ExportsAddr, "search": s.SearchAddr, "companies": s.CompaniesAddr, "dashboard": s.DashboardAddr}
	walked := 0
	for _, service := range []string{"leads", "commissions", "exports", "search", "companies", "dashboard"} {
		app := s.Apps[service]
		if app == nil {
			t.Fatalf("no %s app", service)
		}
		policy := auth.Registered(service)
		// Every route the app serves has a policy entry, and every entry a route.
		served := map[string]bool{}
		for _, r := range app.GetRoutes(true) {
			if r.Method == fiber.MethodHead || r.Method == fiber.MethodConnect || r.Method == fiber.MethodTrace || r.Method == fiber.MethodOptions {
				continue
			}
			key := auth.RouteKey(service, r.Method, r.Path)
			served[key] = true
			if _, ok := policy[key]; !ok {
				t.Errorf("route %s has no entry in the access policy: register it with auth.Protect and an action", key)
			}
		}
		for key, action := range policy {
			method, path := strings.Fields(key)[1], strings.Fields(key)[2]
			if method == "USE" {
				continue
			}
			if !served[key] {
				t.Errorf("policy entry %s (%s) has no route", key, action)
				continue
			}
			if action == auth.Public {
				continue
			}
			url, owner := target(path, f)
			base := "http://" + addr[service]
			body := ""
			if method != fiber.MethodGet {
				// A version, so that a write reaches the record before any
				// other check; the rest of the body is still invalid.
				body = `{"version":1}`
			}
			// No user: 401 (APIs) or the sign-in page (dashboard pages).
			status, loc, _ := do(t, method, base+url, "", body)
			if status != http.StatusUnauthorized && !(service == "dashboard" && status/100 == 3 && loc == "/signin") {
				t.Errorf("%s %s without a user: %d %s, want 401 or a redirect to /signin", method, url, status, loc)
			}
			for _, c := range callers {
				walked++
				reach := auth.ReachOf(c.user, action)
				inScope := owner == "" || (owner == "post" && c.post) || (owner == "commission" && c.commission)
				status, _, respBody := do(t, method, base+url, c.token, body)
				r := stacktest.Response{Status: status, Body: respBody}
				what := fmt.Sprintf("%s %s %s (%s, %s reach) as %s", service, method, url, action, reach, c.name)
				switch {
				case reach == auth.None:
					if r.Status != http.StatusForbidden {
						t.Errorf("%s: %d, want 403", what, r.Status)
					}
				case reach == auth.Own && !inScope:
					if r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
						t.Errorf("%s, another's record: %d, want 403 or 404", what, r.Status)
					}
				default:
					if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.Status >= 500 {
						t.Errorf("%s: %d %s, want it served", what, r.Status, trim(r.Body))
					}
				}
				if r.Status == http.StatusForbidden || r.Status == http.StatusNotFound {
					for _, m := range f.markers {
						if strings.Contains(string(r.Body), m) {
							t.Errorf("%s: the refusal shows %q", what, m)
						}
					}
				}
			}
		}
	}
	if walked < 300 {
		t.Errorf("walked only %d route × user pairs", walked)
	}
	t.Logf("walked %d route × user pairs over %d services", walked, len(addr))
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, url, token, body string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), raw
}

func trim(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
