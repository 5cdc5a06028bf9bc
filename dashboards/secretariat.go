package dashboards

import (
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"econdip/services/commissions/httpapi"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/reference"
)

// protocolRows is how many decision rows the protocol form offers.
const protocolRows = 12

func secretariatOnly(c *fiber.Ctx) (auth.User, error) {
	u := currentUser(c)
	if u.Role != auth.Secretariat {
		return u, apperr.E(apperr.Forbidden, "error.commission_write_role")
	}
	return u, nil
}

func (s *Server) register(c *fiber.Ctx) error {
	u, err := secretariatOnly(c)
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, k := range []string{"status", "agency", "overdue"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	cm, err := s.commissions.commission(c.UserContext(), token(c), u.Commission)
	if err != nil {
		return err
	}
	list, asOf, err := s.commissions.register(c.UserContext(), token(c), u.Commission, q)
	if err != nil {
		return err
	}
	return s.render(c, 200, "register", "Register of decisions", fiber.Map{
		"Commission": cm, "Decisions": list, "AsOf": asOf, "Agencies": s.cfg.Ref.Agencies(),
		"Status": c.Query("status"), "Agency": c.Query("agency"), "Overdue": c.Query("overdue") != "",
		"Statuses": []string{"open", "in_progress", "done", "cancelled"},
		"Recorded": c.Query("recorded"), // set by recordProtocol's redirect
	})
}

// protocolForm is what the protocol template shows.
type protocolForm struct {
	Commission httpapi.CommissionJSON
	Session    httpapi.ProtocolRequest
	Rows       []protocolRow
	IdemKey    string
	Error      string
	Errors     map[string]string // field -> message, e.g. "date", "decisions[3].deadline", "rows[4].deadline"
	Other      []apperr.FieldError
	Agencies   []reference.Agency
	Sectors    []reference.Sector
	Currencies []string
}

type protocolRow struct {
	Index                                                  int
	Item, Text, Agencies, Deadline, Sector, Clauses, Value string
	Currency                                               string
}

func (s *Server) newProtocolForm(c *fiber.Ctx) (*protocolForm, error) {
	u, err := secretariatOnly(c)
	if err != nil {
		return nil, err
	}
	cm, err := s.commissions.commission(c.UserContext(), token(c), u.Commission)
	if err != nil {
		return nil, err
	}
	return &protocolForm{Commission: cm, Errors: map[string]string{}, Agencies: s.cfg.Ref.Agencies(),
		Sectors: s.cfg.Ref.Sectors(), Currencies: s.cfg.Ref.RatedCurrencies()}, nil
}

func (s *Server) protocolPage(c *fiber.Ctx) error {
	f, err := s.newProtocolForm(c)
	if err != nil {
		return err
	}
	f.IdemKey = uuid.NewString()
	for i := range protocolRows {
		f.Rows = append(f.Rows, protocolRow{Index: i, Item: strconv.Itoa(i + 1), Currency: "USD"})
	}
	return s.render(c, 200, "protocol", "Enter a protocol", f)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) recordProtocol(c *fiber.Ctx) error {
	f, err := s.newProtocolForm(c)
	if err != nil {
		return err
	}
	f.IdemKey = c.FormValue("idempotency_key")
	number, _ := strconv.Atoi(c.FormValue("number"))
	f.Session = httpapi.ProtocolRequest{Number: number, Date: c.FormValue("date"), Place: c.FormValue("place"), ProtocolRef: c.FormValue("protocol_ref")}
	var kept []int // form row index of each decision sent, to put errors back on the right row
	for i := range protocolRows {
		n := strconv.Itoa(i)
		row := protocolRow{Index: i, Item: c.FormValue("item_" + n), Text: strings.TrimSpace(c.FormValue("text_" + n)),
			Agencies: c.FormValue("agencies_" + n), Deadline: c.FormValue("deadline_" + n), Sector: c.FormValue("sector_" + n),
			Clauses: c.FormValue("clauses_" + n), Value: strings.TrimSpace(c.FormValue("value_" + n)), Currency: c.FormValue("currency_" + n)}
		f.Rows = append(f.Rows, row)
		if row.Text == "" && row.Deadline == "" && row.Agencies == "" {
			continue // an empty row of the form
		}
		d := httpapi.DecisionRequest{Item: row.Item, Text: row.Text, Agencies: splitList(row.Agencies), Deadline: row.Deadline,
			Sector: row.Sector, Clauses: splitList(row.Clauses)}
		if row.Value != "" {
			d.Value = &httpx.MoneyJSON{Amount: httpx.NumberText(row.Value), Currency: row.Currency}
		}
		f.Session.Decisions = append(f.Session.Decisions, d)
		kept = append(kept, i)
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
		session := url.Values{"number": {c.FormValue("number")}, "date": {f.Session.Date}, "place": {f.Session.Place}, "protocol_ref": {f.Session.ProtocolRef}}
		p, err = s.commissions.importCSV(c.UserContext(), token(c), f.Commission.ID, f.IdemKey, session, data)
		if err != nil {
			return s.protocolFailure(c, f, kept, err)
		}
	} else {
		var err error
		if p, err = s.commissions.record(c.UserContext(), token(c), f.Commission.ID, f.IdemKey, f.Session); err != nil {
			return s.protocolFailure(c, f, kept, err)
		}
	}
	return c.Redirect("/secretariat/register?recorded="+strconv.Itoa(len(p.Decisions)), fiber.StatusSeeOther)
}

// protocolFailure shows the API's errors next to the rows and fields they name.
func (s *Server) protocolFailure(c *fiber.Ctx, f *protocolForm, kept []int, err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return err
	}
	f.Error = ae.Message
	for _, fe := range ae.Fields {
		name := fe.Field
		if rest, ok := strings.CutPrefix(name, "decisions["); ok {
			if idx, field, ok := strings.Cut(rest, "]."); ok {
				if i, err := strconv.Atoi(idx); err == nil && i < len(kept) {
					f.Errors[field+"_"+strconv.Itoa(kept[i])] = fe.Message
					continue
				}
			}
		}
		if _, known := map[string]bool{"number": true, "date": true, "place": true, "protocol_ref": true}[name]; known {
			f.Errors[name] = fe.Message
			continue
		}
		f.Other = append(f.Other, fe) // CSV rows and whole-protocol errors
	}
	status := fiber.StatusBadRequest
	if ae.Code == apperr.Conflict {
		status = fiber.StatusConflict
	}
	return s.render(c, status, "protocol", "Enter a protocol", f)
}

type decisionPage struct {
	Commission httpapi.CommissionJSON
	Decision   httpapi.DecisionJSON
	History    []httpapi.ChangeJSON
	Error      string
	Errors     map[string]string
	Saved      bool
	CanWrite   bool
}

func (s *Server) decisionView(c *fiber.Ctx, did string) (*decisionPage, error) {
	u := currentUser(c)
	cid := u.Commission
	if cid == "" {
		cid = c.Query("commission")
	}
	cm, err := s.commissions.commission(c.UserContext(), token(c), cid)
	if err != nil {
		return nil, err
	}
	d, err := s.commissions.decision(c.UserContext(), token(c), cid, did)
	if err != nil {
		return nil, err
	}
	h, err := s.commissions.history(c.UserContext(), token(c), cid, did)
	if err != nil {
		return nil, err
	}
	return &decisionPage{Commission: cm, Decision: d, History: h, Errors: map[string]string{},
		CanWrite: auth.ReachOf(u, auth.WriteCommissions) == auth.Own && u.Commission == cid}, nil
}

func (s *Server) decisionPage(c *fiber.Ctx) error {
	p, err := s.decisionView(c, c.Params("did"))
	if err != nil {
		return err
	}
	p.Saved = c.Query("saved") == "1"
	return s.render(c, 200, "decision", "Decision "+p.Decision.Item, p)
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
	return s.render(c, status, "decision", "Decision "+p.Decision.Item, p)
}

func (s *Server) changeDecisionStatus(c *fiber.Ctx) error {
	u, err := secretariatOnly(c)
	if err != nil {
		return err
	}
	did := c.Params("did")
	version, _ := strconv.Atoi(c.FormValue("version"))
	_, err = s.commissions.status(c.UserContext(), token(c), u.Commission, did, httpapi.StatusRequest{Version: &version,
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
	_, err = s.commissions.link(c.UserContext(), token(c), u.Commission, did, httpapi.LinkRequest{Version: &version,
		Kind: "lead", TargetID: strings.TrimSpace(c.FormValue("target_id"))})
	if err != nil {
		return s.decisionFailure(c, did, err)
	}
	return c.Redirect("/secretariat/decisions/"+did+"?saved=1", fiber.StatusSeeOther)
}
