package dashboards

import (
	"cmp"
	"errors"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"econdip/events"
	"econdip/services/commissions/domain"
	"econdip/services/commissions/httpapi"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/csvx"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/reference"
)

// The protocol form starts with emptyRows decision rows; "Add decision"
// adds one (static/protocol.js) or, without a script, addRows more by a
// round trip. A protocol holds at most domain.MaxDecisions.
const (
	emptyRows = 3
	addRows   = 3
)

func secretariatOnly(c *fiber.Ctx) (auth.User, error) {
	u := currentUser(c)
	if u.Role != auth.Secretariat {
		return u, apperr.E(apperr.Forbidden, "error.commission_write_role")
	}
	return u, nil
}

// registerRow is a decision of the register with its agencies named.
type registerRow struct {
	httpapi.DecisionJSON
	AgencyNames []string
}

// registerQuery is the register's filter as the API takes it.
func registerQuery(c *fiber.Ctx) url.Values {
	q := url.Values{}
	for _, k := range []string{"status", "agency", "overdue"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func (s *Server) register(c *fiber.Ctx) error {
	u, err := secretariatOnly(c)
	if err != nil {
		return err
	}
	ctx := apiContext(c)
	cm, err := s.commissions.commission(ctx, token(c), u.Commission)
	if err != nil {
		return err
	}
	q := registerQuery(c)
	list, asOf, err := s.commissions.register(ctx, token(c), u.Commission, q)
	if err != nil {
		return err
	}
	lang := httpx.Lang(c)
	agencies := s.cfg.Ref.Agencies()
	rows := make([]registerRow, len(list))
	for i, d := range list {
		rows[i] = registerRow{d, namesOfAgencies(lang, agencies, d.Agencies)}
	}
	var agencyChoices []choice
	for _, a := range agencies {
		agencyChoices = append(agencyChoices, choice{a.Code, a.Name(lang)})
	}
	recorded, _ := strconv.Atoi(c.Query("recorded")) // set by recordProtocol's redirect
	csvURL := "/secretariat/register.csv"
	if len(q) > 0 {
		csvURL += "?" + q.Encode()
	}
	return s.render(c, 200, "register", "ui.secretariat.register_title", fiber.Map{
		"Commission": cm, "Partner": s.countryLabel(lang, cm.PartnerCountry), "Decisions": rows, "AsOf": asOf, "Agencies": agencyChoices,
		"Status": c.Query("status"), "Agency": c.Query("agency"), "Overdue": c.Query("overdue") != "",
		"Statuses": []string{"open", "in_progress", "done", "cancelled"},
		"Recorded": recorded, "ReadAs": c.Query("csv"),
		"CSV": csvURL, "ExcelCSV": excelURL(csvURL), "OfferExcel": lang != i18n.EN,
	})
}

// registerTable is the register as CSV: codes and ISO days, as the API has them.
var registerTable = table[httpapi.DecisionJSON]{name: "register",
	header: []string{"session", "session_date", "item", "decision", "agencies", "deadline", "status", "done_on", "days_late",
		"sector", "clauses", "value", "currency"},
	record: func(d httpapi.DecisionJSON) []string {
		value, currency := "", ""
		if d.Value != nil {
			value, currency = string(d.Value.Amount), d.Value.Currency
		}
		return []string{strconv.Itoa(d.SessionNumber), d.SessionDate, d.Item, d.Text, strings.Join(d.Agencies, ";"), d.Deadline, d.Status,
			d.DoneOn, strconv.Itoa(d.DaysLate), d.Sector, strings.Join(d.Clauses, ";"), value, currency}
	}}

func (s *Server) registerCSV(c *fiber.Ctx) error {
	u, err := secretariatOnly(c)
	if err != nil {
		return err
	}
	list, _, err := s.commissions.register(apiContext(c), token(c), u.Commission, registerQuery(c))
	if err != nil {
		return err
	}
	return registerTable.send(c, list, nil)
}

// protocolTemplate is an empty protocol file to fill in a spreadsheet: the
// header line in the reader's language and format, which the import reads back.
func (s *Server) protocolTemplate(c *fiber.Ctx) error {
	if _, err := secretariatOnly(c); err != nil {
		return err
	}
	return table[struct{}]{name: "protocol", header: httpapi.CSVColumns}.send(c, nil, nil)
}

// protocolForm is what the protocol template shows.
type protocolForm struct {
	Commission httpapi.CommissionJSON
	Session    httpapi.ProtocolRequest
	Rows       []protocolRow
	Blank      protocolRow // the row static/protocol.js copies, "__i__" for its index
	IdemKey    string
	Error      string
	Errors     map[string]string // field -> message, e.g. "date", "deadline_3"
	Other      []otherError      // CSV lines and whole-protocol errors
	Sectors    []choice          // in the page's language
	Currencies []string
	Clauses    []reference.Clause
	CSV        string // the protocol file template's link
	ExcelCSV   string
	OfferExcel bool
}

type otherError struct{ Field, Where, Message string } // Field as the API names it, e.g. rows[3].agencies

type protocolRow struct {
	Index    string // "0", "1" ..., the suffix of the row's field names
	Number   int    // shown: Index + 1
	Item     string
	Text     string
	Deadline string
	Sector   string
	Value    string
	Currency string
	Clauses  []string
	Agencies picker
	Errors   map[string]string

	Sectors    []choice // the choices, the form's
	Currencies []string
	AllClauses []reference.Clause
}

func (s *Server) newProtocolForm(c *fiber.Ctx) (*protocolForm, error) {
	u, err := secretariatOnly(c)
	if err != nil {
		return nil, err
	}
	cm, err := s.commissions.commission(apiContext(c), token(c), u.Commission)
	if err != nil {
		return nil, err
	}
	const tpl = "/secretariat/protocols/template.csv"
	lang := httpx.Lang(c)
	f := &protocolForm{Commission: cm, Errors: map[string]string{}, Currencies: s.cfg.Ref.RatedCurrencies(),
		Clauses: s.cfg.Ref.Clauses(), CSV: tpl, ExcelCSV: excelURL(tpl), OfferExcel: lang != i18n.EN}
	for _, sec := range s.cfg.Ref.Sectors() {
		f.Sectors = append(f.Sectors, choice{sec.Code, sec.Name(lang)})
	}
	f.Blank = s.newRow(c, f, "__i__", protocolRow{Currency: "USD"}) // no number: the script writes the legend
	return f, nil
}

// newRow fills in a row's index, number and pickers.
func (s *Server) newRow(c *fiber.Ctx, f *protocolForm, index string, r protocolRow) protocolRow {
	r.Index, r.Errors = index, f.Errors
	r.Sectors, r.Currencies, r.AllClauses = f.Sectors, f.Currencies, f.Clauses
	if i, err := strconv.Atoi(index); err == nil {
		r.Number = i + 1
		if r.Item == "" && r.Text == "" {
			r.Item = strconv.Itoa(i + 1)
		}
	}
	r.Agencies = agencyPicker(httpx.Lang(c), "agencies_"+index, s.cfg.Ref.Agencies(), r.Agencies.Chosen)
	return r
}

func (s *Server) protocolPage(c *fiber.Ctx) error {
	f, err := s.newProtocolForm(c)
	if err != nil {
		return err
	}
	f.IdemKey = uuid.NewString()
	for i := range emptyRows {
		f.Rows = append(f.Rows, s.newRow(c, f, strconv.Itoa(i), protocolRow{Currency: "USD"}))
	}
	return s.render(c, 200, "protocol", "ui.secretariat.protocol_title", f)
}

// splitList reads codes typed into one field: "mti; qaztrade" or "2.2, 2.7".
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// formLists is every value of a field (one per ticked box, or a typed list), split and without repeats.
func formLists(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range splitList(v) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

var rowField = regexp.MustCompile(`^[a-z]+_([0-9]+)$`)

// formRows is how many decision rows the posted form has: the larger of its
// "rows" field and the highest row index sent, at most a protocol's worth.
func formRows(form map[string][]string) int {
	n, _ := strconv.Atoi(first(form["rows"]))
	for k := range form {
		if m := rowField.FindStringSubmatch(k); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < domain.MaxDecisions && i+1 > n {
				n = i + 1
			}
		}
	}
	return min(max(n, 1), domain.MaxDecisions)
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (s *Server) recordProtocol(c *fiber.Ctx) error {
	f, err := s.newProtocolForm(c)
	if err != nil {
		return err
	}
	form := map[string][]string{}
	if mf, err := c.MultipartForm(); err == nil {
		form = mf.Value
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) { form[string(k)] = append(form[string(k)], string(v)) })
	}
	val := func(k string) string { return strings.TrimSpace(first(form[k])) }
	f.IdemKey = val("idempotency_key")
	number, _ := strconv.Atoi(val("number"))
	f.Session = httpapi.ProtocolRequest{Number: number, Date: val("date"), Place: val("place"), ProtocolRef: val("protocol_ref")}
	var kept []int // form row index of each decision sent, to put errors back on the right row
	for i := range formRows(form) {
		n := strconv.Itoa(i)
		row := protocolRow{Item: val("item_" + n), Text: val("text_" + n), Deadline: val("deadline_" + n), Sector: val("sector_" + n),
			Clauses: formLists(form["clauses_"+n]), Value: val("value_" + n), Currency: val("currency_" + n)}
		row.Agencies.Chosen = formLists(form["agencies_"+n])
		f.Rows = append(f.Rows, s.newRow(c, f, n, row))
		if row.Text == "" && row.Deadline == "" && len(row.Agencies.Chosen) == 0 {
			continue // an empty row of the form
		}
		d := httpapi.DecisionRequest{Item: row.Item, Text: row.Text, Agencies: row.Agencies.Chosen, Deadline: row.Deadline,
			Sector: row.Sector, Clauses: row.Clauses}
		if row.Value != "" {
			amount, bad := formAmount(row.Value)
			if bad != "" {
				f.Errors["value_"+n] = i18n.T(httpx.Lang(c), bad, row.Value)
			}
			d.Value = &httpx.MoneyJSON{Amount: httpx.NumberText(amount), Currency: row.Currency}
		}
		f.Session.Decisions = append(f.Session.Decisions, d)
		kept = append(kept, i)
	}
	if val("add_rows") != "" { // "Add decision" without a script: the same form with more rows, nothing recorded
		for i := len(f.Rows); i < min(len(f.Rows)+addRows, domain.MaxDecisions); i++ {
			f.Rows = append(f.Rows, s.newRow(c, f, strconv.Itoa(i), protocolRow{Currency: "USD"}))
		}
		return s.render(c, 200, "protocol", "ui.secretariat.protocol_title", f)
	}
	if len(f.Errors) > 0 { // a value that reads two ways: asked back before anything is sent
		return s.render(c, fiber.StatusBadRequest, "protocol", "ui.secretariat.protocol_title", f)
	}
	var p httpapi.ProtocolJSON
	if file, ferr := c.FormFile("csv"); ferr == nil && file.Size > 0 {
		fh, err := file.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(fh, httpapi.MaxCSVBytes+1))
		fh.Close()
		if err != nil {
			return err
		}
		session := url.Values{"number": {val("number")}, "date": {f.Session.Date}, "place": {f.Session.Place}, "protocol_ref": {f.Session.ProtocolRef}}
		p, err = s.commissions.importCSV(apiContext(c), token(c), f.Commission.ID, f.IdemKey, session, data)
		if err != nil {
			return s.protocolFailure(c, f, kept, err)
		}
	} else {
		var err error
		if p, err = s.commissions.record(apiContext(c), token(c), f.Commission.ID, f.IdemKey, f.Session); err != nil {
			return s.protocolFailure(c, f, kept, err)
		}
	}
	to := "/secretariat/register?recorded=" + strconv.Itoa(len(p.Decisions))
	if p.CSV != nil {
		to += "&csv=" + url.QueryEscape(p.CSV.ReadAs)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// formAmount reads a value typed into the form: 1250000.50 as the API
// takes it, or as a Russian or Kazakh reader writes it, 1 250 000,50. A
// comma that could group thousands (1,234) is the key of an error, not a guess.
func formAmount(v string) (amount, errKey string) {
	if !strings.ContainsAny(v, ", \u00a0\u202f") {
		return v, ""
	}
	amount, err := csvx.DecimalText(csvx.Excel.Dialect(), v)
	if ve := (*csvx.ValueError)(nil); errors.As(err, &ve) {
		return amount, ve.Key
	}
	return amount, ""
}

// rowFields are the decision fields the form shows an error next to.
var rowFields = []string{"item", "text", "agencies", "deadline", "sector", "clauses", "value", "value.amount", "value.currency"}

var csvLine = regexp.MustCompile(`^rows\[([0-9]+)\](?:\.([a-z_]+))?$`)

// protocolFailure shows the API's errors next to the rows and fields they name.
func (s *Server) protocolFailure(c *fiber.Ctx, f *protocolForm, kept []int, err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return err
	}
	lang := httpx.Lang(c)
	f.Error = ae.Message
	for _, fe := range ae.Fields {
		name := fe.Field
		if rest, ok := strings.CutPrefix(name, "decisions["); ok {
			if idx, field, ok := strings.Cut(rest, "]."); ok {
				if i, err := strconv.Atoi(idx); err == nil && i < len(kept) && slices.Contains(rowFields, field) {
					f.Errors[field+"_"+strconv.Itoa(kept[i])] = fe.Message
					continue
				}
			}
		}
		if slices.Contains([]string{"number", "date", "place", "protocol_ref"}, name) {
			f.Errors[name] = fe.Message
			continue
		}
		where := name // CSV lines and whole-protocol errors, named for people
		if m := csvLine.FindStringSubmatch(name); m != nil {
			line, _ := strconv.Atoi(m[1])
			where = i18n.T(lang, "ui.secretariat.csv_line", line)
			if m[2] != "" {
				where = i18n.T(lang, "ui.secretariat.csv_line_column", line, csvColumnLabel(lang, m[2]))
			}
		} else if name == "file" {
			where = i18n.T(lang, "ui.secretariat.csv_file")
		}
		f.Other = append(f.Other, otherError{fe.Field, where, fe.Message})
	}
	status := fiber.StatusBadRequest
	if ae.Code == apperr.Conflict {
		status = fiber.StatusConflict
	}
	return s.render(c, status, "protocol", "ui.secretariat.protocol_title", f)
}

// csvColumnLabel is a protocol column's header in lang.
func csvColumnLabel(lang i18n.Lang, name string) string {
	if i18n.Has(lang, "csv.col."+name) && lang != i18n.EN {
		return i18n.T(lang, "csv.col."+name)
	}
	return name
}

// countryLabel names a partner country code in lang.
func (s *Server) countryLabel(lang i18n.Lang, code string) string {
	if c, ok := s.cfg.Ref.Country(code); ok {
		return c.Name(lang)
	}
	return code
}

type decisionPage struct {
	Commission  httpapi.CommissionJSON
	Decision    httpapi.DecisionJSON
	AgencyNames []string
	SectorName  string
	Clauses     []choice // id and title
	History     []httpapi.ChangeJSON
	Error       string
	Errors      map[string]string
	Saved       bool
	CanWrite    bool
	// Work is the decision's tasks and notes, for its secretariat (nil for others).
	Work *workSection
	// Docs is the decision's documents, for whoever may read them.
	Docs *docSection
}

func (s *Server) decisionView(c *fiber.Ctx, did string) (*decisionPage, error) {
	u := currentUser(c)
	cid := u.Commission
	if cid == "" {
		cid = c.Query("commission")
	}
	ctx, lang := apiContext(c), httpx.Lang(c)
	cm, err := s.commissions.commission(ctx, token(c), cid)
	if err != nil {
		return nil, err
	}
	d, err := s.commissions.decision(ctx, token(c), cid, did)
	if err != nil {
		return nil, err
	}
	h, err := s.commissions.history(ctx, token(c), cid, did)
	if err != nil {
		return nil, err
	}
	p := &decisionPage{Commission: cm, Decision: d, History: h, Errors: map[string]string{},
		AgencyNames: namesOfAgencies(lang, s.cfg.Ref.Agencies(), d.Agencies),
		CanWrite:    auth.ReachOf(u, auth.WriteCommissions) == auth.Own && u.Commission == cid}
	if p.CanWrite {
		if p.Work, err = s.recordWork(c, events.WorkOnDecision, cid, did, "/secretariat/decisions/"+did); err != nil {
			return nil, err
		}
	}
	if p.Docs, err = s.recordDocuments(c, events.WorkOnDecision, cid, did, "/secretariat/decisions/"+did); err != nil {
		return nil, err
	}
	if sec, ok := s.cfg.Ref.Sector(d.Sector); ok {
		p.SectorName = sec.Name(lang)
	} else {
		p.SectorName = d.Sector
	}
	for _, id := range d.Clauses {
		title := ""
		if cl, ok := s.cfg.Ref.Clause(id); ok {
			title = cl.Title(lang)
		}
		p.Clauses = append(p.Clauses, choice{id, title})
	}
	return p, nil
}

func decisionTitle(c *fiber.Ctx, p *decisionPage) string {
	return i18n.T(httpx.Lang(c), "ui.secretariat.decision_title", p.Decision.Item, p.Decision.SessionNumber)
}

func (s *Server) decisionPage(c *fiber.Ctx) error {
	p, err := s.decisionView(c, c.Params("did"))
	if err != nil {
		return err
	}
	p.Saved = c.Query("saved") == "1"
	return s.render(c, 200, "decision", decisionTitle(c, p), p)
}

func (s *Server) decisionFailure(c *fiber.Ctx, did string, apiErr error) error {
	var ae *apperr.Error
	if !errors.As(apiErr, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return apiErr
	}
	p, err := s.decisionView(c, did)
	if err != nil {
		return err
	}
	p.Error = ae.Message
	for _, fe := range ae.Fields {
		p.Errors[fe.Field] = fe.Message
	}
	status := fiber.StatusBadRequest
	if ae.Code == apperr.Conflict {
		status = fiber.StatusConflict
	}
	return s.render(c, status, "decision", decisionTitle(c, p), p)
}

func (s *Server) changeDecisionStatus(c *fiber.Ctx) error {
	u, err := secretariatOnly(c)
	if err != nil {
		return err
	}
	did := c.Params("did")
	version, _ := strconv.Atoi(c.FormValue("version"))
	_, err = s.commissions.status(apiContext(c), token(c), u.Commission, did, httpapi.StatusRequest{Version: &version,
		Status: c.FormValue("status"), EffectiveOn: c.FormValue("effective_on"), Comment: c.FormValue("comment"), EvidenceRef: c.FormValue("evidence_ref")})
	if err != nil {
		return s.decisionFailure(c, did, err)
	}
	return c.Redirect("/secretariat/decisions/"+did+"?saved=1", fiber.StatusSeeOther)
}

func (s *Server) linkDecision(c *fiber.Ctx) error {
	u, err := secretariatOnly(c)
	if err != nil {
		return err
	}
	did := c.Params("did")
	version, _ := strconv.Atoi(c.FormValue("version"))
	// kind: the picker's (lead or deal); a form without it links a lead.
	_, err = s.commissions.link(apiContext(c), token(c), u.Commission, did, httpapi.LinkRequest{Version: &version,
		Kind: cmp.Or(c.FormValue("kind"), "lead"), TargetID: strings.TrimSpace(c.FormValue("target_id"))})
	if err != nil {
		return s.decisionFailure(c, did, err)
	}
	return c.Redirect("/secretariat/decisions/"+did+"?saved=1", fiber.StatusSeeOther)
}
