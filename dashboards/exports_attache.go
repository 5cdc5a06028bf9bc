package dashboards

// The attachés' export pages: the post's deals board, a deal form with an HS
// code picker, the exporter registry form, and trade barriers (report,
// follow, change status, progress notes). Every read and write goes through
// the exports API with the attaché's own token: the service checks scope and
// records the real author.

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/exports/httpapi"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

// attacheExportPages are the templates of the attachés' deal and barrier pages.
var attacheExportPages = []string{"deals", "deal", "barrierlist", "barrier", "dealimport"}

// attacheExportRoutes mounts the attachés' deal and barrier pages.
func (s *Server) attacheExportRoutes(ui auth.Router) {
	ui.Get("/attache/deals", auth.WriteExports, s.dealsBoard)
	ui.Get("/attache/deals/new", auth.WriteExports, s.newDealPage)
	ui.Post("/attache/deals", auth.WriteExports, s.createDeal)
	ui.Get("/attache/deals/import", auth.WriteExports, s.dealImportPage) // before /attache/deals/:id
	ui.Post("/attache/deals/import", auth.WriteExports, s.dealImportPreview)
	ui.Post("/attache/deals/import/confirm", auth.WriteExports, s.dealImportConfirm)
	ui.Get("/attache/deals/:id", auth.WriteExports, s.dealPage)
	ui.Post("/attache/deals/:id", auth.WriteExports, s.updateDeal)
	ui.Post("/attache/deals/:id/stage", auth.WriteExports, s.moveDeal)
	ui.Post("/attache/exporters", auth.WriteExports, s.registerExporter)
	ui.Get("/attache/barriers", auth.WriteExports, s.barrierList)
	ui.Get("/attache/barriers/new", auth.WriteExports, s.newBarrierPage)
	ui.Post("/attache/barriers", auth.WriteExports, s.reportBarrier)
	ui.Get("/attache/barriers/:id", auth.WriteExports, s.barrierPage)
	ui.Post("/attache/barriers/:id", auth.WriteExports, s.updateBarrier)
	ui.Post("/attache/barriers/:id/status", auth.WriteExports, s.barrierStatus)
	ui.Get("/api/hs", auth.SignedIn, s.hsSearch)
}

// exportChoices are the lists the deal and barrier forms offer.
type exportChoices struct {
	Host       reference.Country // the post's host country: every deal's buyer and barrier's country
	Currencies []string
	Units      []string
	Supports   []string
	Clauses    []reference.Clause
	Regions    []reference.Region
	Types      []string
	Agencies   []reference.Agency
	Exporters  []httpapi.ExporterJSON
}

func (s *Server) exportChoices(c *fiber.Ctx) exportChoices {
	post, _ := s.cfg.Ref.Post(currentUser(c).Post)
	host, _ := s.cfg.Ref.Country(post.Country)
	var clauses []reference.Clause
	for _, cl := range s.cfg.Ref.Clauses() {
		if cl.Area == "economic_diplomacy" {
			clauses = append(clauses, cl)
		}
	}
	return exportChoices{Host: host, Currencies: s.cfg.Ref.RatedCurrencies(), Units: domain.Units, Supports: domain.Supports,
		Clauses: clauses, Regions: s.cfg.Ref.Regions(), Types: domain.BarrierTypes, Agencies: s.cfg.Ref.Agencies()}
}

// arrayIndex matches "[3]" in an API field name such as hs_codes[3].
var arrayIndex = regexp.MustCompile(`\[[0-9]+\]`)

// formField names the form field an API field error belongs to:
// value.amount -> value_amount, hs_codes[2] -> hs_codes.
func formField(apiField string) string {
	return strings.ReplaceAll(arrayIndex.ReplaceAllString(apiField, ""), ".", "_")
}

// apiFormErrors puts an API's field errors into errs (first message per
// field) and returns the overall message; errors other than a refused input
// or a conflict propagate.
func apiFormErrors(lang i18n.Lang, errs map[string]string, err error) (string, error) {
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return "", err
	}
	for _, fe := range ae.Fields {
		name := formField(fe.Field)
		if _, seen := errs[name]; !seen {
			errs[name] = fieldMessage(lang, fe)
		}
	}
	return ae.Localized(lang), nil
}

func formList(c *fiber.Ctx, name string) []string {
	out := []string{}
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		if s := strings.TrimSpace(string(v)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func formVersion(c *fiber.Ctx) int {
	v, _ := strconv.Atoi(c.FormValue("version"))
	return v
}

func trimmed(c *fiber.Ctx, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// --- deals ---

type dealColumn struct {
	Stage string
	Deals []httpapi.DealJSON
}

func (s *Server) dealsBoard(c *fiber.Ctx) error {
	q := url.Values{"limit": {"500"}}
	for _, k := range []string{"hs", "exporter_bin"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	deals, total, err := s.exports.deals(apiContext(c), token(c), q)
	if err != nil {
		return err
	}
	cols := make([]dealColumn, 0, len(domain.Stages))
	for _, st := range domain.Stages {
		col := dealColumn{Stage: string(st)}
		for _, d := range deals {
			if d.Stage == string(st) {
				col.Deals = append(col.Deals, d)
			}
		}
		cols = append(cols, col)
	}
	post, _ := s.cfg.Ref.Post(currentUser(c).Post)
	ch := s.exportChoices(c)
	ch.Exporters, err = s.exports.exporters(apiContext(c), token(c), url.Values{"limit": {"500"}})
	if err != nil {
		return err
	}
	return s.render(c, 200, "deals", "ui.attache.deals_title", fiber.Map{"Columns": cols, "Total": total, "Post": post, "Ref": ch,
		"HS": c.Query("hs"), "Registered": c.Query("registered"), "Errors": map[string]string{}, "Exporter": httpapi.ExporterRequest{}})
}

// registerExporter registers a Kazakh exporter (BIN, name, region) from the
// deals board, then opens a new deal for it.
func (s *Server) registerExporter(c *fiber.Ctx) error {
	req := httpapi.ExporterRequest{BIN: trimmed(c, "bin"), Name: trimmed(c, "name"), Region: c.FormValue("region")}
	e, err := s.exports.registerExporter(apiContext(c), token(c), req)
	if err == nil {
		return c.Redirect("/attache/deals/new?exporter_bin="+url.QueryEscape(e.BIN), fiber.StatusSeeOther)
	}
	errs := map[string]string{}
	msg, err := apiFormErrors(httpx.Lang(c), errs, err)
	if err != nil {
		return err
	}
	post, _ := s.cfg.Ref.Post(currentUser(c).Post)
	ch := s.exportChoices(c)
	return s.render(c, fiber.StatusBadRequest, "deals", "ui.attache.deals_title", fiber.Map{"Post": post, "Ref": ch, "Errors": errs,
		"Error": msg, "Exporter": req, "OnlyExporter": true})
}

// dealForm is what the deal template shows: values, field errors, choices.
type dealForm struct {
	Deal    httpapi.DealJSON
	Work    *workSection // the deal's tasks and notes (nil on a new deal)
	Docs    *docSection  // the deal's documents (nil on a new deal)
	IdemKey string
	Errors  map[string]string
	Error   string
	History []httpapi.ChangeJSON
	Ref     exportChoices
	IsNew   bool
	Saved   bool
	// Company is the choice the buyer's name asks for: likely duplicates in the register.
	Company *companyChoice
}

func (s *Server) newDealForm(c *fiber.Ctx, d httpapi.DealJSON) (*dealForm, error) {
	f := &dealForm{Deal: d, Errors: map[string]string{}, Ref: s.exportChoices(c)}
	var err error
	f.Ref.Exporters, err = s.exports.exporters(apiContext(c), token(c), url.Values{"limit": {"500"}})
	return f, err
}

func (s *Server) newDealPage(c *fiber.Ctx) error {
	ch := s.exportChoices(c)
	f, err := s.newDealForm(c, httpapi.DealJSON{ExporterBIN: c.Query("exporter_bin"), BuyerCountry: ch.Host.Alpha2,
		Value: httpx.MoneyJSON{Currency: "USD"}, Clauses: []string{"2.7"}, Support: []string{}})
	if err != nil {
		return err
	}
	f.IsNew = true
	f.IdemKey = uuid.NewString() // a double submit creates one deal
	return s.render(c, 200, "deal", "ui.attache.new_deal", f)
}

// dealRequest reads the deal form.
func dealRequest(c *fiber.Ctx) httpapi.DealRequest {
	req := httpapi.DealRequest{ExporterBIN: trimmed(c, "exporter_bin"), BuyerID: c.FormValue("buyer_id"), BuyerCountry: c.FormValue("buyer_country"),
		BuyerName: trimmed(c, "buyer_name"), HSCode: trimmed(c, "hs_code"), Product: trimmed(c, "product"),
		Value: httpx.MoneyJSON{Amount: httpx.NumberText(trimmed(c, "value_amount")), Currency: c.FormValue("value_currency")},
		Unit:  c.FormValue("unit"), Support: formList(c, "support"), Clauses: formList(c, "clauses"),
		CommissionID: trimmed(c, "commission_id"), DecisionID: trimmed(c, "decision_id")}
	if q := trimmed(c, "quantity"); q != "" {
		n := httpx.NumberText(q)
		req.Quantity = &n
	}
	return req
}

// asDeal shows submitted values back in the form after an error.
func asDeal(req httpapi.DealRequest) httpapi.DealJSON {
	return httpapi.DealJSON{ExporterBIN: req.ExporterBIN, BuyerID: req.BuyerID, BuyerCountry: req.BuyerCountry, BuyerName: req.BuyerName,
		HSCode: req.HSCode, Product: req.Product, Value: req.Value, Quantity: req.Quantity, Unit: req.Unit,
		Support: req.Support, Clauses: req.Clauses, CommissionID: req.CommissionID, DecisionID: req.DecisionID}
}

func (s *Server) createDeal(c *fiber.Ctx) error {
	req := dealRequest(c)
	err := s.pickCompany(c, "buyer", &req.BuyerID, req.BuyerName, req.BuyerCountry)
	var d httpapi.DealJSON
	if err == nil {
		d, err = s.exports.createDeal(apiContext(c), token(c), c.FormValue("idempotency_key"), req)
	}
	if err == nil {
		return c.Redirect("/attache/deals/"+d.ID+"?saved=1", fiber.StatusSeeOther)
	}
	f, ferr := s.newDealForm(c, asDeal(req))
	if ferr != nil {
		return ferr
	}
	f.IsNew, f.IdemKey, f.Company = true, c.FormValue("idempotency_key"), companyChoiceOf(err)
	if f.Error, err = apiFormErrors(httpx.Lang(c), f.Errors, err); err != nil {
		return err
	}
	return s.render(c, fiber.StatusBadRequest, "deal", "ui.attache.new_deal", f)
}

func (s *Server) dealFormFor(c *fiber.Ctx, d httpapi.DealJSON) (*dealForm, error) {
	f, err := s.newDealForm(c, d)
	if err != nil {
		return nil, err
	}
	if f.History, err = s.exports.dealHistory(apiContext(c), token(c), d.ID); err != nil {
		return nil, err
	}
	if f.Work, err = s.recordWork(c, events.WorkOnDeal, "", d.ID, "/attache/deals/"+d.ID); err != nil {
		return nil, err
	}
	f.Docs, err = s.recordDocuments(c, events.WorkOnDeal, "", d.ID, "/attache/deals/"+d.ID)
	return f, err
}

func (s *Server) dealPage(c *fiber.Ctx) error {
	d, err := s.exports.deal(apiContext(c), token(c), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := s.dealFormFor(c, d)
	if err != nil {
		return err
	}
	f.Saved = c.Query("saved") == "1"
	return s.render(c, 200, "deal", i18n.T(httpx.Lang(c), "ui.attache.deal_title", d.HSCode), f)
}

func (s *Server) updateDeal(c *fiber.Ctx) error {
	id, version, req := c.Params("id"), formVersion(c), dealRequest(c)
	empty := httpx.NumberText("")
	qty := req.Quantity
	if qty == nil {
		qty = &empty // an emptied quantity field removes the quantity
	}
	if err := s.pickCompany(c, "buyer", &req.BuyerID, req.BuyerName, req.BuyerCountry); err != nil {
		return s.dealFailure(c, id, &req, err)
	}
	patch := httpapi.DealPatch{Version: &version, ExporterBIN: &req.ExporterBIN, BuyerID: &req.BuyerID, BuyerName: &req.BuyerName, HSCode: &req.HSCode,
		Product: &req.Product, Value: &req.Value, Quantity: qty, Unit: &req.Unit, Support: &req.Support,
		CommissionID: &req.CommissionID, DecisionID: &req.DecisionID, Clauses: &req.Clauses}
	if _, err := s.exports.updateDeal(apiContext(c), token(c), id, patch); err != nil {
		return s.dealFailure(c, id, &req, err)
	}
	return c.Redirect("/attache/deals/"+id+"?saved=1", fiber.StatusSeeOther)
}

func (s *Server) moveDeal(c *fiber.Ctx) error {
	id, version := c.Params("id"), formVersion(c)
	req := httpapi.MoveRequest{Version: &version, Stage: c.FormValue("stage"), LostReason: trimmed(c, "lost_reason"),
		ContractDate: c.FormValue("contract_date"), Comment: trimmed(c, "comment")}
	if _, err := s.exports.moveDeal(apiContext(c), token(c), id, req); err != nil {
		if apperr.CodeOf(err) != apperr.Conflict || !s.repeatedDealMove(c, id, req, version) {
			return s.dealFailure(c, id, nil, err)
		}
	}
	return c.Redirect("/attache/deals/"+id+"?saved=1", fiber.StatusSeeOther)
}

// dealFailure re-renders a deal with the API's field errors; submitted, when
// given, replaces the stored details so nothing typed is lost. After a
// conflict the form carries the current version: saving again is a
// deliberate choice after reading the message.
func (s *Server) dealFailure(c *fiber.Ctx, id string, submitted *httpapi.DealRequest, apiErr error) error {
	stored, err := s.exports.deal(apiContext(c), token(c), id)
	if err != nil {
		return err
	}
	shown := stored
	if submitted != nil {
		shown = asDeal(*submitted)
		shown.ID, shown.Version, shown.Post, shown.Stage, shown.NextStages = stored.ID, stored.Version, stored.Post, stored.Stage, stored.NextStages
		shown.ExporterName, shown.HSDescription, shown.Sector, shown.SectorName, shown.Raw = stored.ExporterName, stored.HSDescription, stored.Sector, stored.SectorName, stored.Raw
		shown.ContractDate, shown.BuyerCountry = stored.ContractDate, stored.BuyerCountry
	}
	f, err := s.dealFormFor(c, shown)
	if err != nil {
		return err
	}
	f.Company = companyChoiceOf(apiErr)
	if f.Error, err = apiFormErrors(httpx.Lang(c), f.Errors, apiErr); err != nil {
		return err
	}
	status := fiber.StatusBadRequest
	if apperr.CodeOf(apiErr) == apperr.Conflict {
		status = fiber.StatusConflict
	}
	return s.render(c, status, "deal", i18n.T(httpx.Lang(c), "ui.attache.deal_title", stored.HSCode), f)
}

// hsResult is one HS picker answer: description and sector_name in the
// request's language (English where no translation exists), plus the English
// description and, for an entry with no translation of its own, the
// translated name of its heading or chapter (within).
type hsResult struct {
	httpapi.HSJSON
	DescriptionEN string `json:"description_en"`
	Within        string `json:"within,omitempty"`
}

// hsSearch is the HS code picker's search, through the exports API, which
// matches English, Russian and Kazakh names: GET /api/hs?q=aluminium (or
// q=пшеница, q=бидай, q=1001).
func (s *Server) hsSearch(c *fiber.Ctx) error {
	q := url.Values{"q": {c.Query("q")}}
	if l := c.Query("limit"); l != "" {
		q.Set("limit", l)
	}
	res, err := s.exports.hs(c.UserContext(), token(c), q)
	if err != nil {
		return err
	}
	lang := httpx.Lang(c)
	out := make([]hsResult, len(res))
	for i, h := range res {
		out[i] = hsResult{HSJSON: h, DescriptionEN: h.Description}
		if name, within := s.cfg.Ref.HSLabel(h.Code, lang); name != "" {
			out[i].Description, out[i].Within = name, within
		}
		if sec, ok := s.cfg.Ref.Sector(h.Sector); ok {
			out[i].SectorName = sec.Name(lang)
		}
	}
	return c.JSON(fiber.Map{"results": out, "lang": lang})
}

// --- barriers ---

func (s *Server) barrierList(c *fiber.Ctx) error {
	q := url.Values{"limit": {"500"}}
	for _, k := range []string{"status", "type", "q"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	list, total, err := s.exports.barriers(apiContext(c), token(c), q)
	if err != nil {
		return err
	}
	post, _ := s.cfg.Ref.Post(currentUser(c).Post)
	var statuses []string
	for _, st := range domain.Statuses {
		statuses = append(statuses, string(st))
	}
	return s.render(c, 200, "barrierlist", "ui.attache.barriers_title", fiber.Map{"Barriers": list, "Total": total, "Post": post,
		"Status": c.Query("status"), "Type": c.Query("type"), "Query": c.Query("q"), "Statuses": statuses, "Types": domain.BarrierTypes,
		"Agencies": s.agencyNames(httpx.Lang(c))})
}

// barrierForm is what the barrier template shows.
type barrierForm struct {
	Barrier httpapi.BarrierJSON
	Work    *workSection // the barrier's tasks and notes (nil on a new barrier)
	Docs    *docSection  // the barrier's documents (nil on a new barrier)
	HSCodes string       // comma-separated, as typed
	IdemKey string
	Errors  map[string]string
	Error   string
	History []httpapi.ChangeJSON
	Ref     exportChoices
	IsNew   bool
	Saved   bool
}

func (s *Server) newBarrierForm(c *fiber.Ctx, b httpapi.BarrierJSON, hsCodes string) *barrierForm {
	if hsCodes == "" {
		hsCodes = strings.Join(b.HSCodes, ", ")
	}
	return &barrierForm{Barrier: b, HSCodes: hsCodes, Errors: map[string]string{}, Ref: s.exportChoices(c)}
}

func (s *Server) newBarrierPage(c *fiber.Ctx) error {
	ch := s.exportChoices(c)
	f := s.newBarrierForm(c, httpapi.BarrierJSON{Country: ch.Host.Alpha2, Clauses: []string{"2.7"}, HSCodes: []string{}}, "")
	f.IsNew, f.IdemKey = true, uuid.NewString()
	return s.render(c, 200, "barrier", "ui.attache.new_barrier", f)
}

// splitCodes reads "760110, 271012 271019" into codes.
func splitCodes(text string) []string {
	out := []string{}
	for _, code := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		out = append(out, code)
	}
	return out
}

// barrierRequest reads the barrier form.
func barrierRequest(c *fiber.Ctx) httpapi.BarrierRequest {
	req := httpapi.BarrierRequest{Country: c.FormValue("country"), HSCodes: splitCodes(c.FormValue("hs_codes")),
		Type: c.FormValue("type"), Title: trimmed(c, "title"), Description: trimmed(c, "description"),
		LeadAgency: c.FormValue("lead_agency"), Clauses: formList(c, "clauses"), ReportedOn: c.FormValue("reported_on")}
	amount, currency := trimmed(c, "value_amount"), c.FormValue("value_currency")
	if amount != "" {
		req.ValueAtStake = &httpx.MoneyJSON{Amount: httpx.NumberText(amount), Currency: currency}
	}
	return req
}

func asBarrier(req httpapi.BarrierRequest) httpapi.BarrierJSON {
	return httpapi.BarrierJSON{Country: req.Country, HSCodes: req.HSCodes, Type: req.Type, Title: req.Title,
		Description: req.Description, ValueAtStake: req.ValueAtStake, LeadAgency: req.LeadAgency, Clauses: req.Clauses,
		ReportedOn: req.ReportedOn}
}

func (s *Server) reportBarrier(c *fiber.Ctx) error {
	req := barrierRequest(c)
	b, err := s.exports.reportBarrier(apiContext(c), token(c), c.FormValue("idempotency_key"), req)
	if err == nil {
		return c.Redirect("/attache/barriers/"+b.ID+"?saved=1", fiber.StatusSeeOther)
	}
	f := s.newBarrierForm(c, asBarrier(req), c.FormValue("hs_codes"))
	f.IsNew, f.IdemKey = true, c.FormValue("idempotency_key")
	if f.Error, err = apiFormErrors(httpx.Lang(c), f.Errors, err); err != nil {
		return err
	}
	return s.render(c, fiber.StatusBadRequest, "barrier", "ui.attache.new_barrier", f)
}

func (s *Server) barrierFormFor(c *fiber.Ctx, b httpapi.BarrierJSON, hsCodes string) (*barrierForm, error) {
	f := s.newBarrierForm(c, b, hsCodes)
	var err error
	if f.History, err = s.exports.barrierHistory(apiContext(c), token(c), b.ID); err != nil {
		return nil, err
	}
	if f.Work, err = s.recordWork(c, events.WorkOnBarrier, "", b.ID, "/attache/barriers/"+b.ID); err != nil {
		return nil, err
	}
	f.Docs, err = s.recordDocuments(c, events.WorkOnBarrier, "", b.ID, "/attache/barriers/"+b.ID)
	return f, err
}

func (s *Server) barrierPage(c *fiber.Ctx) error {
	b, err := s.exports.barrier(apiContext(c), token(c), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := s.barrierFormFor(c, b, "")
	if err != nil {
		return err
	}
	f.Saved = c.Query("saved") == "1"
	return s.render(c, 200, "barrier", b.Title, f)
}

// updateBarrier saves the details and, when its text is given, a progress note.
func (s *Server) updateBarrier(c *fiber.Ctx) error {
	id, version, req := c.Params("id"), formVersion(c), barrierRequest(c)
	value := req.ValueAtStake
	if value == nil {
		value = &httpx.MoneyJSON{} // an emptied value removes it
	}
	patch := httpapi.BarrierPatch{Version: &version, HSCodes: &req.HSCodes, Type: &req.Type, Title: &req.Title,
		Description: &req.Description, ValueAtStake: value, LeadAgency: &req.LeadAgency, Clauses: &req.Clauses}
	if text := trimmed(c, "note_text"); text != "" {
		patch.Progress = &httpapi.NoteRequest{On: c.FormValue("note_on"), Text: text}
	}
	if _, err := s.exports.updateBarrier(apiContext(c), token(c), id, patch); err != nil {
		return s.barrierFailure(c, id, &req, err)
	}
	return c.Redirect("/attache/barriers/"+id+"?saved=1", fiber.StatusSeeOther)
}

func (s *Server) barrierStatus(c *fiber.Ctx) error {
	id, version := c.Params("id"), formVersion(c)
	req := httpapi.StatusRequest{Version: &version, Status: c.FormValue("status"), EffectiveOn: c.FormValue("effective_on"),
		Comment: trimmed(c, "comment")}
	if _, err := s.exports.barrierStatus(apiContext(c), token(c), id, req); err != nil {
		if apperr.CodeOf(err) != apperr.Conflict || !s.repeatedBarrierMove(c, id, req, version) {
			return s.barrierFailure(c, id, nil, err)
		}
	}
	return c.Redirect("/attache/barriers/"+id+"?saved=1", fiber.StatusSeeOther)
}

func (s *Server) barrierFailure(c *fiber.Ctx, id string, submitted *httpapi.BarrierRequest, apiErr error) error {
	stored, err := s.exports.barrier(apiContext(c), token(c), id)
	if err != nil {
		return err
	}
	shown, hsText := stored, ""
	if submitted != nil {
		shown = asBarrier(*submitted)
		shown.ID, shown.Version, shown.Post, shown.Country, shown.Status = stored.ID, stored.Version, stored.Post, stored.Country, stored.Status
		shown.NextStatuses, shown.ReportedOn, shown.ResolvedOn, shown.Progress = stored.NextStatuses, stored.ReportedOn, stored.ResolvedOn, stored.Progress
		hsText = c.FormValue("hs_codes")
	}
	f, err := s.barrierFormFor(c, shown, hsText)
	if err != nil {
		return err
	}
	if f.Error, err = apiFormErrors(httpx.Lang(c), f.Errors, apiErr); err != nil {
		return err
	}
	status := fiber.StatusBadRequest
	if apperr.CodeOf(apiErr) == apperr.Conflict {
		status = fiber.StatusConflict
	}
	return s.render(c, status, "barrier", stored.Title, f)
}

// repeatedDealMove is repeatedMove for a deal: deal changes keep no day,
// so a move to contracted also compares the stored contract day.
func (s *Server) repeatedDealMove(c *fiber.Ctx, id string, req httpapi.MoveRequest, version int) bool {
	hist, err := s.exports.dealHistory(apiContext(c), token(c), id)
	if err != nil {
		return false
	}
	last := latestMove(hist, func(ch httpapi.ChangeJSON) move { return move{ch.Version, ch.Actor, ch.To, ""} })
	if !repeatedMove(last, version, currentUser(c).ID, req.Stage, "") {
		return false
	}
	if req.Stage != string(domain.Contracted) {
		return true
	}
	d, err := s.exports.deal(apiContext(c), token(c), id)
	return err == nil && d.ContractDate == moveDay(req.ContractDate)
}

// repeatedBarrierMove is repeatedMove for a barrier's status change.
func (s *Server) repeatedBarrierMove(c *fiber.Ctx, id string, req httpapi.StatusRequest, version int) bool {
	hist, err := s.exports.barrierHistory(apiContext(c), token(c), id)
	if err != nil {
		return false
	}
	last := latestMove(hist, func(ch httpapi.ChangeJSON) move { return move{ch.Version, ch.Actor, ch.To, ch.EffectiveOn} })
	return repeatedMove(last, version, currentUser(c).ID, req.Status, moveDay(req.EffectiveOn))
}
