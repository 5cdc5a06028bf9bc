package dashboards

// The company register in the dashboard (issue 18): the list of companies
// with search, a company's page (names, aliases, its leads, deals and the
// decisions linked to them), the finder the lead and deal forms use, and
// the forms' company step: a typed name that is not a company of the
// register yet is matched before it is created, and the form asks the
// attaché to pick a likely duplicate or confirm a new company.

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"econdip/analytics"
	chttp "econdip/services/companies/httpapi"
	xhttp "econdip/services/exports/httpapi"
	lhttp "econdip/services/leads/httpapi"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
)

// companiesClient calls the company register's API.
type companiesClient struct{ *apiClient }

func (c companiesClient) list(ctx context.Context, token string, q url.Values) (chttp.ListJSON, error) {
	var out chttp.ListJSON
	err := c.call(ctx, token, http.MethodGet, "/api/v1/companies?"+q.Encode(), nil, nil, &out)
	return out, err
}

func (c companiesClient) get(ctx context.Context, token, id string) (chttp.CompanyJSON, error) {
	var out chttp.CompanyJSON
	err := c.call(ctx, token, http.MethodGet, "/api/v1/companies/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

func (c companiesClient) history(ctx context.Context, token, id string) ([]chttp.ChangeJSON, error) {
	var out struct{ History []chttp.ChangeJSON }
	err := c.call(ctx, token, http.MethodGet, "/api/v1/companies/"+url.PathEscape(id)+"/history", nil, nil, &out)
	return out.History, err
}

func (c companiesClient) match(ctx context.Context, token string, req chttp.MatchRequest) ([]chttp.CandidateJSON, error) {
	var out struct{ Candidates []chttp.CandidateJSON }
	err := c.call(ctx, token, http.MethodPost, "/api/v1/companies/match", nil, req, &out)
	return out.Candidates, err
}

func (c companiesClient) update(ctx context.Context, token, id string, req chttp.PatchRequest) (chttp.CompanyJSON, error) {
	var out chttp.CompanyJSON
	err := c.call(ctx, token, http.MethodPatch, "/api/v1/companies/"+url.PathEscape(id), nil, req, &out)
	return out, err
}

func (c companiesClient) merge(ctx context.Context, token, id string, req chttp.MergeRequest) (chttp.CompanyJSON, error) {
	var out chttp.CompanyJSON
	err := c.call(ctx, token, http.MethodPost, "/api/v1/companies/"+url.PathEscape(id)+"/merge", nil, req, &out)
	return out, err
}

func (c companiesClient) create(ctx context.Context, token string, req chttp.CreateRequest) (chttp.CompanyJSON, error) {
	var out chttp.CompanyJSON
	err := c.call(ctx, token, http.MethodPost, "/api/v1/companies", nil, req, &out)
	return out, err
}

// companyPages are the register's pages, parsed like the others.
var companyPages = []string{"companies", "company"}

// companiesRoutes mounts the register's pages and the forms' finder.
func (s *Server) companiesRoutes(ui auth.Router) error {
	s.companies = companiesClient{newAPIClient(s.cfg.CompaniesURL)}
	for _, lang := range i18n.Langs {
		for _, page := range companyPages {
			t, err := template.New("layout.html").Funcs(pageFuncs(lang)).ParseFS(templateFiles, "templates/layout.html", "templates/"+page+".html")
			if err != nil {
				return err
			}
			s.pages[lang][page] = t
		}
	}
	ui.Get("/companies", auth.ReadCompanies, s.companiesPage)
	ui.Get("/companies.csv", auth.ReadCompanies, s.companiesCSV)
	ui.Get("/companies/:id", auth.ReadCompanies, s.companyPage)
	ui.Post("/companies/:id", auth.WriteCompanies, s.editCompany)
	ui.Post("/companies/:id/merge", auth.MergeCompanies, s.mergeCompany)
	ui.Get("/api/companies", auth.ReadCompanies, s.companiesFinder)
	return nil
}

// companiesList is the list page's data.
type companiesList struct {
	Companies   []chttp.CompanyJSON
	Total       int
	Q, Country  string
	Next        string // the next page's address; "" on the last
	CSV, Excel  string // the list as CSV (and for a ru/kk Excel), its filters kept
	Unavailable bool
	Countries   func(string) string
}

// countryNamer names ISO alpha-2 codes in lang, for the templates.
func (s *Server) countryNamer(lang i18n.Lang) func(string) string {
	return func(code string) string { return s.countryName(lang, code) }
}

func (s *Server) companiesPage(c *fiber.Ctx) error {
	q := url.Values{}
	for _, k := range []string{"q", "country", "cursor"} {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			q.Set(k, v)
		}
	}
	d := companiesList{Q: q.Get("q"), Country: q.Get("country"), Countries: s.countryNamer(httpx.Lang(c))}
	filters := url.Values{}
	for _, k := range []string{"q", "country"} {
		if v := q.Get(k); v != "" {
			filters.Set(k, v)
		}
	}
	d.CSV = "/companies.csv"
	if len(filters) > 0 {
		d.CSV += "?" + filters.Encode()
	}
	d.Excel = excelURL(d.CSV)
	page, err := s.companies.list(apiContext(c), token(c), q)
	switch {
	case err == nil:
		d.Companies, d.Total = page.Companies, page.Total
		if page.NextCursor != "" {
			next := url.Values{"cursor": {page.NextCursor}}
			for _, k := range []string{"q", "country"} {
				if v := q.Get(k); v != "" {
					next.Set(k, v)
				}
			}
			d.Next = "/companies?" + next.Encode()
		}
	case apperr.CodeOf(err) == apperr.Invalid:
		return err
	default:
		s.cfg.Log.Warn("companies page: the register is unavailable", "err", err)
		d.Unavailable = true
	}
	return s.render(c, 200, "companies", "ui.companies.title", d)
}

// companyView is the company page's data: what concerns the company, as
// far as the reader may see it (the APIs answer with the reader's token:
// an attaché sees their post's leads and deals, an analyst all, without
// contacts; a secretariat sees the names, and no leads or deals).
type companyView struct {
	Company    chttp.CompanyJSON
	Survivor   string // the company it was merged into
	History    []chttp.ChangeJSON
	Leads      []lhttp.LeadJSON
	Deals      []xhttp.DealJSON
	Decisions  []analytics.LinkedDecision
	LeadsShown bool // the reader may read leads
	DealsShown bool
	CanEdit    bool // attachés: the lead and deal pages
	Countries  func(string) string
	// EditForm is shown to those who may edit companies; Errors and Error
	// are a refused edit's or merge's; Saved after a change.
	EditForm bool
	Aliases  string // one a line, as the edit form shows them
	Errors   map[string]string
	Error    string
	Saved    bool
	// Duplicates are the likely duplicates an administrator may merge into this company.
	Duplicates []chttp.CandidateJSON
}

func (s *Server) companyPage(c *fiber.Ctx) error {
	co, err := s.companies.get(apiContext(c), token(c), c.Params("id"))
	if err != nil {
		return err
	}
	v, err := s.companyView(c, co)
	if err != nil {
		return err
	}
	v.Saved = c.Query("saved") == "1"
	return s.render(c, 200, "company", co.Name, v)
}

// companyView gathers what the company page shows of co for the user.
func (s *Server) companyView(c *fiber.Ctx, co chttp.CompanyJSON) (companyView, error) {
	ctx, tok, u := apiContext(c), token(c), currentUser(c)
	var err error
	v := companyView{Company: co, Survivor: co.MergedInto, Countries: s.countryNamer(httpx.Lang(c)),
		CanEdit: auth.ReachOf(u, auth.WriteLeads) != auth.None, EditForm: auth.ReachOf(u, auth.WriteCompanies) != auth.None && co.MergedInto == "",
		Aliases: strings.Join(co.Aliases, "\n"), Errors: map[string]string{}}
	if v.History, err = s.companies.history(ctx, tok, co.ID); err != nil {
		return v, err
	}
	if auth.ReachOf(u, auth.MergeCompanies) != auth.None && co.MergedInto == "" {
		if v.Duplicates, err = s.companies.match(ctx, tok, chttp.MatchRequest{Name: co.Name, Country: co.Country, RegNumber: co.RegNumber, Except: co.ID}); err != nil {
			return v, err
		}
	}
	var leadIDs, dealIDs []string
	if auth.ReachOf(u, auth.ReadLeads) != auth.None {
		page, err := s.leads.list(ctx, tok, url.Values{"investor_id": {co.ID}, "limit": {"500"}})
		if err != nil {
			return v, err
		}
		v.Leads, v.LeadsShown = page.Leads, true
		for _, l := range page.Leads {
			leadIDs = append(leadIDs, l.ID)
		}
	}
	if auth.ReachOf(u, auth.ReadExports) != auth.None {
		deals, _, err := s.exports.deals(ctx, tok, url.Values{"buyer_id": {co.ID}, "limit": {"500"}})
		if err != nil {
			return v, err
		}
		v.Deals, v.DealsShown = deals, true
		for _, d := range deals {
			dealIDs = append(dealIDs, d.ID)
		}
	}
	if s.cfg.CH != nil {
		if v.Decisions, err = analytics.DecisionsForRecords(c.UserContext(), s.cfg.CH, leadIDs, dealIDs); err != nil {
			s.cfg.Log.Warn("company page: linked decisions unavailable", "company", co.ID, "err", err)
		}
	}
	return v, nil
}

// editCompany saves the company page's edit form: names, registration
// number, website and other spellings (one a line).
func (s *Server) editCompany(c *fiber.Ctx) error {
	id, version := c.Params("id"), formVersion(c)
	var aliases []string
	for _, a := range strings.Split(c.FormValue("aliases"), "\n") {
		if a = strings.TrimSpace(a); a != "" {
			aliases = append(aliases, a)
		}
	}
	field := func(name string) *string { v := strings.TrimSpace(c.FormValue(name)); return &v }
	req := chttp.PatchRequest{Version: &version, Name: field("name"), NameLatin: field("name_latin"), RegNumber: field("reg_number"),
		Website: field("website"), Aliases: &aliases}
	_, err := s.companies.update(apiContext(c), token(c), id, req)
	return s.companyAnswer(c, id, err)
}

// mergeCompany merges the company the administrator picked among the
// likely duplicates into this one, from the versions the page showed.
func (s *Server) mergeCompany(c *fiber.Ctx) error {
	id, version := c.Params("id"), formVersion(c)
	absorbVersion := 0
	if v, err := strconv.Atoi(c.FormValue("absorb_version")); err == nil {
		absorbVersion = v
	}
	_, err := s.companies.merge(apiContext(c), token(c), id, chttp.MergeRequest{Version: &version, Absorb: c.FormValue("absorb"), AbsorbVersion: &absorbVersion})
	return s.companyAnswer(c, id, err)
}

// companyAnswer is the answer to a company form: back to the page, or the
// page again with the refusal (400, or 409 when another change came first).
func (s *Server) companyAnswer(c *fiber.Ctx, id string, apiErr error) error {
	if apiErr == nil {
		return c.Redirect("/companies/"+id+"?saved=1", fiber.StatusSeeOther)
	}
	co, err := s.companies.get(apiContext(c), token(c), id)
	if err != nil {
		return err
	}
	v, err := s.companyView(c, co)
	if err != nil {
		return err
	}
	if v.Error, err = apiFormErrors(httpx.Lang(c), v.Errors, apiErr); err != nil {
		return err
	}
	status := fiber.StatusBadRequest
	if apperr.CodeOf(apiErr) == apperr.Conflict {
		status = fiber.StatusConflict
	}
	return s.render(c, status, "company", co.Name, v)
}

// companiesFinder answers the forms' "type to find": up to 20 companies
// whose names hold q, of one country when given.
func (s *Server) companiesFinder(c *fiber.Ctx) error {
	q := url.Values{"limit": {"20"}}
	for _, k := range []string{"q", "country"} {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			q.Set(k, v)
		}
	}
	page, err := s.companies.list(apiContext(c), token(c), q)
	if err != nil {
		return err
	}
	type found struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		NameLatin string `json:"name_latin"`
		Country   string `json:"country"`
	}
	out := []found{}
	for _, co := range page.Companies {
		out = append(out, found{co.ID, co.Name, co.NameLatin, co.Country})
	}
	return c.JSON(fiber.Map{"companies": out})
}

// companyChoice is the answer of a form whose typed company likely
// duplicates companies of the register: the form shows them and asks the
// attaché to pick one or to confirm a new company. It is an invalid-field
// error on the name, so the forms show it as they show the others.
type companyChoice struct {
	err        *apperr.Error
	Field      string // investor or buyer
	Candidates []chttp.CandidateJSON
}

func (e *companyChoice) Error() string { return e.err.Error() }
func (e *companyChoice) Unwrap() error { return e.err }

// companyChoiceOf is the choice err asks for, nil for any other error.
func companyChoiceOf(err error) *companyChoice {
	var ch *companyChoice
	if errors.As(err, &ch) {
		return ch
	}
	return nil
}

// companyField is what the "company-field" template shows: the name
// input with its finder, the picked company's id, and the choice asked for.
type companyField struct {
	Field, ID, Name, Country, CountryFrom, Label string
	Errors                                       map[string]string
	Choice                                       *companyChoice
}

// CompanyField is the lead form's investor field.
func (f *leadForm) CompanyField() companyField {
	return companyField{Field: "investor", ID: f.Lead.InvestorID, Name: f.Lead.InvestorName, CountryFrom: "investor_country",
		Label: "ui.attache.company", Errors: f.Errors, Choice: f.Company}
}

// CompanyField is the deal form's buyer field (the buyer is of the post's host country).
func (f *dealForm) CompanyField() companyField {
	return companyField{Field: "buyer", ID: f.Deal.BuyerID, Name: f.Deal.BuyerName, Country: f.Ref.Host.Alpha2,
		Label: "ui.attache.buyer", Errors: f.Errors, Choice: f.Company}
}

// pickCompany sets *id to the company a form names: the one picked in the
// finder (its id came with the form), a likely duplicate the attaché
// chose (<field>_choice), or a company created now; a typed name that
// likely duplicates others, not yet confirmed as new, is a *companyChoice.
// Without a register (no CompaniesURL) or when it cannot be reached, the
// name stays free text, as before the register: the record is not lost.
func (s *Server) pickCompany(c *fiber.Ctx, field string, id *string, name, country string) error {
	name = strings.TrimSpace(name)
	if s.cfg.CompaniesURL == "" || *id != "" || name == "" || country == "" {
		return nil
	}
	choice := c.FormValue(field + "_choice")
	if choice != "" && choice != "new" {
		*id = choice
		return nil
	}
	ctx, tok := apiContext(c), token(c)
	if choice != "new" {
		found, err := s.companies.match(ctx, tok, chttp.MatchRequest{Name: name, Country: country})
		if err != nil {
			s.cfg.Log.Warn("company register unavailable: the name stays free text", "field", field, "err", err)
			return nil
		}
		if len(found) > 0 {
			var f apperr.Fields
			f.Add(field+"_name", "ui.companies.likely_duplicate")
			ae := f.Err().(*apperr.Error)
			return &companyChoice{err: ae, Field: field, Candidates: found}
		}
	}
	co, err := s.companies.create(ctx, tok, chttp.CreateRequest{Name: name, Country: country, CreateAnyway: choice == "new"})
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Code == apperr.Invalid {
			for i := range ae.Fields {
				ae.Fields[i].Field = field + "_" + ae.Fields[i].Field // name → investor_name
			}
			return ae
		}
		s.cfg.Log.Warn("company register unavailable: the name stays free text", "field", field, "err", err)
		return nil
	}
	*id = co.ID
	return nil
}

// companyColumns are the columns of the register's CSV; contacts are
// personal data and never leave in a file.
var companyColumns = []string{"company_id", "name", "name_latin", "country", "reg_number", "website", "aliases", "merged_into"}

// companiesCSV downloads the companies the list shows (its q and country),
// every page of them, up to csvMaxRows.
func (s *Server) companiesCSV(c *fiber.Ctx) error {
	f, err := csvFormat(c)
	if err != nil {
		return err
	}
	q := url.Values{"limit": {strconv.Itoa(command.MaxLimit)}}
	for _, k := range []string{"q", "country"} {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			q.Set(k, v)
		}
	}
	var b bytes.Buffer
	w := startCSV(c, &b, f, "companies", companyColumns)
	for rows := 0; rows < csvMaxRows; {
		page, err := s.companies.list(apiContext(c), token(c), q)
		if err != nil {
			return err
		}
		for _, co := range page.Companies {
			_ = w.Write([]string{co.ID, co.Name, co.NameLatin, co.Country, co.RegNumber, co.Website, strings.Join(co.Aliases, "; "), co.MergedInto})
		}
		rows += len(page.Companies)
		if page.NextCursor == "" || len(page.Companies) == 0 {
			break
		}
		q.Set("cursor", page.NextCursor)
	}
	w.Flush()
	return c.Send(b.Bytes())
}
