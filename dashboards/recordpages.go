package dashboards

// Record pages for every role that may read the record (issue 18):
// /records/lead/:id, /records/deal/:id, /records/barrier/:id and
// /records/decision/:cid/:did. Read-only: the record's fields, its history
// (who, when, what changed, oldest first), its links (decision ↔ lead and
// deal, both ways), its tasks, its notes where the role may read them, and a
// place for its documents. Every part comes from the service's API called
// with the user's own token, so the API's policy decides what a role gets:
// an analyst's lead comes without contact persons, notes answer 403 to an
// analyst (the page then leaves them out), another post's lead answers 403.
// A user who may change the record finds a link to the editable page.

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/work"
)

// recordPage is the data of record.html.
type recordPage struct {
	Kind       string // lead, deal, barrier, decision
	ID         string
	Commission string // a decision's
	Heading    string
	Fields     []recordField
	Contacts   []recordContact // a lead's, only where the API gave them
	History    []recordEvent
	Links      []recordLink
	// LinksPartial: ClickHouse did not answer for the links made on the
	// other side; the page shows what the record itself names.
	LinksPartial bool
	Progress     []recordProgress // a barrier's progress log
	Tasks        []work.TaskJSON
	Notes        []work.NoteJSON
	NotesShown   bool   // the API answered the notes: the role may read them
	EditHref     string // the editable page, for a role that may change the record
	// Docs is the record's documents, to download (nil where the role may
	// not read them); attaching and removing are on the editable page.
	Docs *docSection
}

type recordField struct{ Label, Value string }

type recordContact struct{ Name, Role, Email, Phone string }

type recordProgress struct{ On, Text, Author string }

// recordLink is a record linked to this one.
type recordLink struct {
	Kind  string // lead, deal, decision
	Href  string
	Text  string
	Extra string // a stage or status
}

// recordEvent is one event of a record's history.
type recordEvent struct {
	Time        time.Time
	Actor       string
	What        string // the event, named
	Version     int
	Changed     []string
	From, To    string
	EffectiveOn string
	Comment     string
	Detail      string // a link made, a progress note
}

// eventName names an event type ("econdip.lead.stage_changed.v1") by the
// catalogue's ui.records.event.<name> ("stage_changed"), or shows its middle.
func eventName(lang i18n.Lang, typ string) string {
	parts := strings.Split(typ, ".")
	if len(parts) >= 3 {
		typ = parts[len(parts)-2]
	}
	if key := "ui.records.event." + typ; i18n.Has(i18n.EN, key) {
		return i18n.T(lang, key)
	}
	return strings.ReplaceAll(typ, "_", " ")
}

// withWork adds the record's tasks, its documents and, where the API
// answers them, its notes.
func (s *Server) withWork(c *fiber.Ctx, p *recordPage, kind, cid, id string) error {
	src := s.workSources()[kind]
	ctx, tok, record := apiContext(c), token(c), src.record(cid, id)
	var err error
	if p.Tasks, err = src.client.tasksOf(ctx, tok, record); err != nil {
		return err
	}
	if p.Docs, err = s.recordDocuments(c, kind, cid, id, ""); err != nil {
		return err
	}
	if p.Docs != nil {
		p.Docs.CanWrite = false
	}
	notes, err := src.client.notesOf(ctx, tok, record)
	switch {
	case err == nil:
		p.Notes, p.NotesShown = notes, true
	case apperr.CodeOf(err) == apperr.Forbidden: // the role may not read notes (analysts): the API says so
	default:
		return err
	}
	return nil
}

// linksFailed logs a failed read of the links kept in ClickHouse: the page
// still shows the record, with a note that some links may be missing.
func (s *Server) linksFailed(err error) bool {
	if err != nil {
		s.cfg.Log.Warn("record page: links from ClickHouse unavailable", "err", err)
	}
	return err != nil
}

// nameStates names the stages or statuses a history moved between (enum: "lead_stage", …).
func nameStates(lang i18n.Lang, h []recordEvent, enum string) {
	for i := range h {
		if h[i].From != "" {
			h[i].From = label(lang, enum, h[i].From)
		}
		if h[i].To != "" {
			h[i].To = label(lang, enum, h[i].To)
		}
	}
}

func mayWrite(u auth.User, a auth.Action) bool { return auth.ReachOf(u, a) != auth.None }

func (s *Server) leadRecordPage(c *fiber.Ctx) error {
	ctx, tok, lang, id := apiContext(c), token(c), httpx.Lang(c), c.Params("id")
	l, err := s.leads.get(ctx, tok, id)
	if err != nil {
		return err
	}
	changes, err := s.leads.history(ctx, tok, id)
	if err != nil {
		return err
	}
	p := recordPage{Kind: "lead", ID: l.ID, Heading: l.InvestorName + ": " + l.Title}
	f := func(key, value string) { p.Fields = append(p.Fields, recordField{i18n.T(lang, key), value}) }
	f("ui.records.col.title", l.Title)
	f("ui.records.col.investor_name", l.InvestorName)
	f("ui.records.col.country", s.countryName(lang, l.InvestorCountry))
	f("ui.records.col.post", s.postCity(lang, l.Post))
	f("ui.records.col.sector", s.sectorName(lang, l.Sector))
	f("ui.records.col.clauses", strings.Join(l.Clauses, ", "))
	f("ui.records.col.stage", label(lang, "lead_stage", l.Stage)+" ("+i18n.Date(lang, l.StageEffectiveOn)+")")
	f("ui.records.col.capex", moneyText(lang, string(l.Capex.Amount), l.Capex.Currency))
	f("ui.records.col.jobs", strconv.Itoa(l.ExpectedJobs))
	f("ui.records.field.investment_type", l.InvestmentType)
	f("ui.records.field.target_region", l.TargetRegion)
	f("ui.records.col.expected_decision_date", dayOrDash(lang, l.ExpectedDecisionDate))
	f("ui.records.col.source", l.Source)
	if l.LostReason != "" {
		f("ui.records.field.lost_reason", l.LostReason)
	}
	for _, ct := range l.Contacts {
		p.Contacts = append(p.Contacts, recordContact{Name: ct.Name, Role: ct.Role, Email: ct.Email, Phone: ct.Phone})
	}
	for _, ch := range changes {
		at, _ := time.Parse(time.RFC3339, ch.Time)
		p.History = append(p.History, recordEvent{Time: at, Actor: ch.Actor, What: eventName(lang, ch.Type), Version: ch.Version, Changed: ch.Changed,
			From: ch.From, To: ch.To, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment})
	}
	nameStates(lang, p.History, "lead_stage")
	decisions, err := analytics.DecisionsForLead(c.UserContext(), s.cfg.CH, l.ID)
	p.LinksPartial = s.linksFailed(err)
	p.Links = decisionLinks(lang, decisions)
	if err := s.withWork(c, &p, events.WorkOnLead, "", l.ID); err != nil {
		return err
	}
	if mayWrite(currentUser(c), auth.WriteLeads) {
		p.EditHref = "/attache/leads/" + url.PathEscape(l.ID)
	}
	return s.render(c, 200, "record", p.Heading, p)
}

func decisionLinks(lang i18n.Lang, ds []analytics.LinkedDecision) []recordLink {
	var out []recordLink
	for _, d := range ds {
		out = append(out, recordLink{Kind: "decision", Href: "/records/decision/" + url.PathEscape(d.CommissionID) + "/" + url.PathEscape(d.DecisionID),
			Text: i18n.T(lang, "ui.attache.linked_decision", d.CommissionID, d.SessionNumber, d.Item) + ": " + d.Text, Extra: label(lang, "decision_status", d.Status)})
	}
	return out
}

func (s *Server) dealRecordPage(c *fiber.Ctx) error {
	ctx, tok, lang, id := apiContext(c), token(c), httpx.Lang(c), c.Params("id")
	d, err := s.exports.deal(ctx, tok, id)
	if err != nil {
		return err
	}
	changes, err := s.exports.dealHistory(ctx, tok, id)
	if err != nil {
		return err
	}
	p := recordPage{Kind: "deal", ID: d.ID, Heading: d.ExporterName + ", HS " + d.HSCode}
	f := func(key, value string) { p.Fields = append(p.Fields, recordField{i18n.T(lang, key), value}) }
	f("ui.records.col.exporter_name", d.ExporterName+" ("+d.ExporterBIN+")")
	f("ui.records.col.buyer_country", s.countryName(lang, d.BuyerCountry))
	f("ui.records.field.buyer", d.BuyerName)
	f("ui.records.col.hs_code", d.HSCode+" "+d.HSDescription)
	f("ui.records.col.sector", s.sectorName(lang, d.Sector))
	f("ui.records.col.raw", yesNo(lang, d.Raw))
	f("ui.records.col.value", moneyText(lang, string(d.Value.Amount), d.Value.Currency))
	if d.Quantity != nil {
		f("ui.records.field.quantity", numberText(lang, string(*d.Quantity))+" "+d.Unit)
	}
	f("ui.records.col.stage", label(lang, "deal_stage", d.Stage))
	f("ui.records.field.contract_date", dayOrDash(lang, d.ContractDate))
	f("ui.records.col.post", s.postCity(lang, d.Post))
	f("ui.records.col.clauses", strings.Join(d.Clauses, ", "))
	for _, ch := range changes {
		p.History = append(p.History, recordEvent{Time: ch.Time, Actor: ch.Actor, What: eventName(lang, ch.Type), Version: ch.Version, Changed: ch.Changed,
			From: ch.From, To: ch.To, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment})
	}
	nameStates(lang, p.History, "deal_stage")
	decisions, err := analytics.DecisionsForDeal(c.UserContext(), s.cfg.CH, d.ID, d.DecisionID)
	p.LinksPartial = s.linksFailed(err)
	p.Links = decisionLinks(lang, decisions)
	if d.DecisionID != "" && len(decisions) == 0 && d.CommissionID != "" { // named, not yet projected
		p.Links = append(p.Links, recordLink{Kind: "decision", Href: "/records/decision/" + url.PathEscape(d.CommissionID) + "/" + url.PathEscape(d.DecisionID),
			Text: d.CommissionID + " " + d.DecisionID})
	}
	if err := s.withWork(c, &p, events.WorkOnDeal, "", d.ID); err != nil {
		return err
	}
	if mayWrite(currentUser(c), auth.WriteExports) {
		p.EditHref = "/attache/deals/" + url.PathEscape(d.ID)
	}
	return s.render(c, 200, "record", p.Heading, p)
}

func (s *Server) barrierRecordPage(c *fiber.Ctx) error {
	ctx, tok, lang, id := apiContext(c), token(c), httpx.Lang(c), c.Params("id")
	b, err := s.exports.barrier(ctx, tok, id)
	if err != nil {
		return err
	}
	changes, err := s.exports.barrierHistory(ctx, tok, id)
	if err != nil {
		return err
	}
	p := recordPage{Kind: "barrier", ID: b.ID, Heading: b.Title}
	f := func(key, value string) { p.Fields = append(p.Fields, recordField{i18n.T(lang, key), value}) }
	f("ui.records.col.title", b.Title)
	f("ui.records.col.country", s.countryName(lang, b.Country))
	f("ui.records.col.type", label(lang, "barrier_type", b.Type))
	f("ui.records.col.status", label(lang, "barrier_status", b.Status))
	f("ui.records.col.hs_codes", strings.Join(b.HSCodes, ", "))
	if b.ValueAtStake != nil {
		f("ui.records.col.value", moneyText(lang, string(b.ValueAtStake.Amount), b.ValueAtStake.Currency))
	}
	f("ui.records.col.lead_agency", s.agencyName(lang, b.LeadAgency))
	f("ui.records.col.reported_on", i18n.Date(lang, b.ReportedOn))
	f("ui.records.col.resolved_on", dayOrDash(lang, b.ResolvedOn))
	f("ui.records.col.post", s.postCity(lang, b.Post))
	f("ui.records.col.clauses", strings.Join(b.Clauses, ", "))
	f("ui.records.field.description", b.Description)
	for _, n := range b.Progress {
		p.Progress = append(p.Progress, recordProgress{On: n.On, Text: n.Text, Author: n.Author})
	}
	for _, ch := range changes {
		e := recordEvent{Time: ch.Time, Actor: ch.Actor, What: eventName(lang, ch.Type), Version: ch.Version, Changed: ch.Changed,
			From: ch.From, To: ch.To, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment}
		if ch.Note != nil {
			e.Detail = ch.Note.Text
		}
		p.History = append(p.History, e)
	}
	nameStates(lang, p.History, "barrier_status")
	if err := s.withWork(c, &p, events.WorkOnBarrier, "", b.ID); err != nil {
		return err
	}
	if mayWrite(currentUser(c), auth.WriteExports) {
		p.EditHref = "/attache/barriers/" + url.PathEscape(b.ID)
	}
	return s.render(c, 200, "record", p.Heading, p)
}

func (s *Server) decisionRecordPage(c *fiber.Ctx) error {
	ctx, tok, lang, cid, did := apiContext(c), token(c), httpx.Lang(c), c.Params("cid"), c.Params("did")
	d, err := s.commissions.decision(ctx, tok, cid, did)
	if err != nil {
		return err
	}
	changes, err := s.commissions.history(ctx, tok, cid, did)
	if err != nil {
		return err
	}
	p := recordPage{Kind: "decision", ID: d.ID, Commission: d.CommissionID, Heading: d.Item + ". " + d.Text}
	f := func(key, value string) { p.Fields = append(p.Fields, recordField{i18n.T(lang, key), value}) }
	f("ui.records.col.commission", d.CommissionID)
	f("ui.records.col.session", strconv.Itoa(d.SessionNumber)+" ("+i18n.Date(lang, d.SessionDate)+")")
	f("ui.records.col.item", d.Item)
	f("ui.records.col.text", d.Text)
	agencies := make([]string, len(d.Agencies))
	for i, a := range d.Agencies {
		agencies[i] = s.agencyName(lang, a)
	}
	f("ui.records.col.agencies", strings.Join(agencies, ", "))
	f("ui.records.col.deadline", i18n.Date(lang, d.Deadline))
	f("ui.records.col.status", label(lang, "decision_status", d.Status))
	f("ui.records.col.done_on", dayOrDash(lang, d.DoneOn))
	f("ui.records.col.sector", s.sectorName(lang, d.Sector))
	f("ui.records.col.clauses", strings.Join(d.Clauses, ", "))
	if d.Value != nil {
		f("ui.records.col.value", moneyText(lang, string(d.Value.Amount), d.Value.Currency))
	}
	for _, ch := range changes {
		e := recordEvent{Time: ch.Time, Actor: ch.Actor, What: eventName(lang, ch.Type), Version: ch.Version,
			From: ch.From, To: ch.To, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment}
		if ch.LinkKind != "" {
			e.Detail = ch.LinkKind + " " + ch.LinkTarget
		}
		p.History = append(p.History, e)
	}
	nameStates(lang, p.History, "decision_status")
	for _, l := range d.LeadIDs {
		p.Links = append(p.Links, recordLink{Kind: "lead", Href: "/records/lead/" + url.PathEscape(l), Text: l})
	}
	deals := d.DealIDs
	named, err := analytics.DealsNamingDecision(c.UserContext(), s.cfg.CH, d.ID)
	p.LinksPartial = s.linksFailed(err)
	for _, id := range named {
		if !contains(deals, id) {
			deals = append(deals, id)
		}
	}
	for _, id := range deals {
		p.Links = append(p.Links, recordLink{Kind: "deal", Href: "/records/deal/" + url.PathEscape(id), Text: id})
	}
	if err := s.withWork(c, &p, events.WorkOnDecision, d.CommissionID, d.ID); err != nil {
		return err
	}
	if u := currentUser(c); mayWrite(u, auth.WriteCommissions) && u.Commission == d.CommissionID {
		p.EditHref = "/secretariat/decisions/" + url.PathEscape(d.ID)
	}
	return s.render(c, 200, "record", p.Heading, p)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
