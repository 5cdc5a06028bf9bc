package dashboards

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/leads/domain"
	"econdip/services/leads/httpapi"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/httpx"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// maxContacts is how many contact rows the form offers.
const maxContacts = 3

// stageDayLimits are the days a lead may stay in a stage before the board
// marks it as stalled: roughly the pace the ministry expects of an
// investment project (a first contact within a month or so, a negotiation
// within a quarter, a commitment within four months, a plant built within a
// year). Operational, on hold and lost have no limit: nothing is expected
// of them. One table, so the board, its test and its legend agree.
var stageDayLimits = map[domain.Stage]int{
	domain.Identified:   30,
	domain.Contacted:    45,
	domain.Qualified:    60,
	domain.Negotiating:  90,
	domain.Committed:    120,
	domain.Implementing: 365,
}

// stalled reports whether a lead days in stage is past the stage's limit.
func stalled(stage string, days int) bool {
	limit, ok := stageDayLimits[domain.Stage(stage)]
	return ok && days > limit
}

// daysInStage counts the days from the stage's effective day to today (both
// Astana days); an unreadable or future day counts as 0.
func daysInStage(effectiveOn string, today kernel.Day) int {
	d, err := kernel.ParseDay(effectiveOn)
	if err != nil || d.After(today) {
		return 0
	}
	return today.DaysSince(d)
}

// weighted is an amount times its probability, to the cent.
func weighted(usd, probability decimal.Decimal) decimal.Decimal {
	return usd.Mul(probability).Round(2)
}

// boardCard is one lead on the board with its figures: capex as entered and
// in USD (at the latest monthly rate the reference data has for today),
// probability, weighted value and days in its stage.
type boardCard struct {
	Lead        httpapi.LeadJSON
	Amount      decimal.Decimal
	USD         decimal.Decimal
	HasUSD      bool // false: the currency has no rate (or only one past the hard limit), the card adds nothing to the sums
	Probability decimal.Decimal
	Weighted    decimal.Decimal
	// KZT and WeightedKZT are the same in tenge (the same conversion, exact
	// to the tiyn); the board shows them with ?in=KZT.
	KZT         decimal.Decimal
	WeightedKZT decimal.Decimal
	// RateDay and RateAge are the rate's day and how many days it is older
	// than today; Stale: older than the stale limit, TooOld: older than the
	// hard limit (the card then counts as without rate).
	RateDay    time.Time
	RateAge    int
	Stale      bool
	TooOld     bool
	Days       int
	Limit      int // the stage's day limit, 0: none
	Stalled    bool
	Competitor string // the competing country's name, when lost to one
}

// USDWhole and WeightedWhole are the card's USD figures to the dollar: a
// board column is narrow, and cents say nothing at that scale.
func (c boardCard) USDWhole() decimal.Decimal      { return c.USD.Round(0) }
func (c boardCard) WeightedWhole() decimal.Decimal { return c.Weighted.Round(0) }

// RateDayText is the card's rate day as YYYY-MM-DD, for the day func; "" without one.
func (c boardCard) RateDayText() string {
	if c.RateDay.IsZero() {
		return ""
	}
	return c.RateDay.Format(time.DateOnly)
}

// KZTWhole and WeightedKZTWhole are the card's tenge figures to the tenge.
func (c boardCard) KZTWhole() decimal.Decimal         { return c.KZT.Round(0) }
func (c boardCard) WeightedKZTWhole() decimal.Decimal { return c.WeightedKZT.Round(0) }

type boardColumn struct {
	Stage       string
	Cards       []boardCard
	SumUSD      decimal.Decimal
	WeightedUSD decimal.Decimal
	SumKZT      decimal.Decimal
	WeightedKZT decimal.Decimal
	NoRate      int // cards left out of the sums for want of a rate
	Stale       int // cards in the sums at a stale rate
}

// SumWhole and WeightedWhole are the column's sums to the dollar.
func (c boardColumn) SumWhole() decimal.Decimal      { return c.SumUSD.Round(0) }
func (c boardColumn) WeightedWhole() decimal.Decimal { return c.WeightedUSD.Round(0) }

// SumKZTWhole and WeightedKZTWhole are the column's sums to the tenge.
func (c boardColumn) SumKZTWhole() decimal.Decimal      { return c.SumKZT.Round(0) }
func (c boardColumn) WeightedKZTWhole() decimal.Decimal { return c.WeightedKZT.Round(0) }

func (s *Server) boardCard(l httpapi.LeadJSON, today kernel.Day, lang i18n.Lang) boardCard {
	card := boardCard{Lead: l, Days: daysInStage(l.StageEffectiveOn, today), Limit: stageDayLimits[domain.Stage(l.Stage)]}
	card.Stalled = stalled(l.Stage, card.Days)
	card.Amount, _ = decimal.NewFromString(string(l.Capex.Amount))
	card.Probability, _ = decimal.NewFromString(l.Probability)
	conv, err := s.rates().Convert(card.Amount, l.Capex.Currency, today.Time(), s.rateLimits())
	switch {
	case err == nil:
		card.USD, card.KZT, card.HasUSD = conv.USD, conv.KZT, true
		card.Weighted, card.WeightedKZT = weighted(conv.USD, card.Probability), weighted(conv.KZT, card.Probability)
		card.RateDay, card.RateAge, card.Stale = conv.RateDay, conv.AgeDays, conv.Stale
	case errors.Is(err, reference.ErrRateTooOld):
		card.RateDay, card.RateAge, card.TooOld = conv.RateDay, conv.AgeDays, true
	}
	if c, ok := s.cfg.Ref.Country(l.CompetingCountry); ok {
		card.Competitor = c.Name(lang)
	} else {
		card.Competitor = l.CompetingCountry
	}
	return card
}

// boardColumns puts the leads in pipeline order (domain.Stages), with each
// column's count and sums in USD.
func (s *Server) boardColumns(leads []httpapi.LeadJSON, today kernel.Day, lang i18n.Lang) []boardColumn {
	cols := make([]boardColumn, 0, len(domain.Stages))
	for _, st := range stageColumns() {
		col := boardColumn{Stage: st}
		for _, l := range leads {
			if l.Stage != st {
				continue
			}
			card := s.boardCard(l, today, lang)
			if card.HasUSD {
				col.SumUSD = col.SumUSD.Add(card.USD)
				col.WeightedUSD = col.WeightedUSD.Add(card.Weighted)
				col.SumKZT = col.SumKZT.Add(card.KZT)
				col.WeightedKZT = col.WeightedKZT.Add(card.WeightedKZT)
				if card.Stale {
					col.Stale++
				}
			} else {
				col.NoRate++
			}
			col.Cards = append(col.Cards, card)
		}
		cols = append(cols, col)
	}
	return cols
}

func (s *Server) board(c *fiber.Ctx) error {
	u := currentUser(c)
	if u.Role != auth.Attache {
		return apperr.E(apperr.Forbidden, "error.leads_write_role")
	}
	var fe apperr.Fields
	inKZT := unitParam(c, &fe)
	if err := fe.Err(); err != nil {
		return err
	}
	q := url.Values{"limit": {"500"}}
	if v := c.Query("q"); v != "" {
		q.Set("q", v)
	}
	list, err := s.leads.list(apiContext(c), token(c), q)
	if err != nil {
		return err
	}
	cols := s.boardColumns(list.Leads, kernel.Today(time.Now()), httpx.Lang(c))
	t := boardTotalOf(cols)
	post, _ := s.cfg.Ref.Post(u.Post)
	return s.render(c, 200, "board", "ui.attache.board_title", fiber.Map{"Columns": cols, "Total": list.Total, "Post": post,
		"Query": c.Query("q"), "SumUSD": t.SumUSD.Round(0), "WeightedUSD": t.WeightedUSD.Round(0),
		"SumKZT": t.SumKZT.Round(0), "WeightedKZT": t.WeightedKZT.Round(0), "NoRate": t.NoRate, "Stale": t.Stale,
		"Limits": boardLimits(), "Unit": s.unitSwitchOf(c, inKZT)})
}

// boardTotalOf is the board's sums: its columns' added up (exact; the page
// rounds them to the dollar or the tenge).
func boardTotalOf(cols []boardColumn) boardColumn {
	var t boardColumn
	for _, col := range cols {
		t.SumUSD, t.WeightedUSD = t.SumUSD.Add(col.SumUSD), t.WeightedUSD.Add(col.WeightedUSD)
		t.SumKZT, t.WeightedKZT = t.SumKZT.Add(col.SumKZT), t.WeightedKZT.Add(col.WeightedKZT)
		t.NoRate, t.Stale = t.NoRate+col.NoRate, t.Stale+col.Stale
	}
	return t
}

// stageLimit is a stage and its day limit, for the board's legend.
type stageLimit struct {
	Stage string
	Days  int
}

func boardLimits() []stageLimit {
	var out []stageLimit
	for _, st := range domain.Stages {
		if d, ok := stageDayLimits[st]; ok {
			out = append(out, stageLimit{string(st), d})
		}
	}
	return out
}

// leadForm is what the lead template shows: values, field errors and choices.
type leadForm struct {
	Lead     httpapi.LeadJSON
	IdemKey  string
	Errors   map[string]string
	Error    string
	Contacts []httpapi.ContactJSON
	History  []httpapi.ChangeJSON
	// Decisions are the commission decisions that name this lead (the other side of a link).
	Decisions []analytics.LinkedDecision
	Next      []string
	Ref       formChoices
	IsNew     bool
	Saved     bool
	// Move is what was typed in the stage form, shown again after a refused move.
	Move httpapi.MoveRequest
	// Today is the Astana day, the latest a stage may take effect (the date inputs' max).
	Today string
	// Days in the current stage, its limit and whether it is past it (see stageDayLimits).
	Days    int
	Limit   int
	Stalled bool
	// Competitor names the country a lost lead went to.
	Competitor string
	// Work is the lead's tasks and notes (nil on a new lead).
	Work *workSection
	// Docs is the lead's documents (nil on a new lead).
	Docs *docSection
	// Company is the choice the investor's name asks for: likely duplicates in the register.
	Company *companyChoice
}

type formChoices struct {
	Countries       []reference.Country
	Currencies      []string
	Sectors         []reference.Sector
	Clauses         []reference.Clause
	Regions         []reference.Region
	InvestmentTypes []string
	Sources         []string
}

func (s *Server) choices() formChoices {
	var clauses []reference.Clause
	for _, cl := range s.cfg.Ref.Clauses() {
		if cl.Area == "economic_diplomacy" {
			clauses = append(clauses, cl)
		}
	}
	return formChoices{
		Countries: s.cfg.Ref.Countries(), Currencies: s.cfg.Ref.RatedCurrencies(), Sectors: s.cfg.Ref.Sectors(),
		Clauses: clauses, Regions: s.cfg.Ref.Regions(), InvestmentTypes: domain.InvestmentTypes, Sources: domain.Sources,
	}
}

func (s *Server) newForm(l httpapi.LeadJSON) *leadForm {
	f := &leadForm{Lead: l, Errors: map[string]string{}, Ref: s.choices(), Today: kernel.Today(time.Now()).String()}
	f.Contacts = append(f.Contacts, l.Contacts...)
	for len(f.Contacts) < maxContacts {
		f.Contacts = append(f.Contacts, httpapi.ContactJSON{})
	}
	return f
}

func (s *Server) newLeadPage(c *fiber.Ctx) error {
	f := s.newForm(httpapi.LeadJSON{Capex: httpx.MoneyJSON{Currency: "USD"}, Clauses: []string{"2.2"}, InvestmentType: "greenfield", Source: "own_research"})
	f.IsNew = true
	f.IdemKey = uuid.NewString() // a double submit or a retry on a poor line creates one lead
	return s.render(c, 200, "lead", "ui.attache.new_lead", f)
}

// formRequest reads the lead form into an API create request; fields the
// API cannot receive as typed (a number that is not one) are form errors.
func formRequest(c *fiber.Ctx) (httpapi.CreateRequest, apperr.Fields) {
	var bad apperr.Fields
	jobsText := strings.TrimSpace(c.FormValue("expected_jobs"))
	jobs, err := strconv.Atoi(jobsText)
	if jobsText == "" {
		jobs, err = 0, nil
	}
	if err != nil {
		bad.Add("expected_jobs", "error.not_a_whole_number", jobsText)
	}
	req := httpapi.CreateRequest{
		InvestorID: c.FormValue("investor_id"), InvestorName: c.FormValue("investor_name"), InvestorCountry: c.FormValue("investor_country"),
		Title: c.FormValue("title"), Sector: c.FormValue("sector"), TargetRegion: c.FormValue("target_region"),
		InvestmentType: c.FormValue("investment_type"),
		Capex:          httpx.MoneyJSON{Amount: httpx.NumberText(strings.TrimSpace(c.FormValue("capex_amount"))), Currency: c.FormValue("capex_currency")},
		ExpectedJobs:   jobs, TechTransfer: c.FormValue("tech_transfer") == "on", Green: c.FormValue("green") == "on",
		ExpectedDecisionDate: c.FormValue("expected_decision_date"), Source: c.FormValue("source"), SourceRef: c.FormValue("source_ref"),
		Clauses: []string{}, Contacts: []httpapi.ContactJSON{}, IdentifiedOn: strings.TrimSpace(c.FormValue("identified_on")),
	}
	for _, v := range c.Request().PostArgs().PeekMulti("clauses") {
		req.Clauses = append(req.Clauses, string(v))
	}
	for i := range maxContacts {
		n := strconv.Itoa(i)
		ct := httpapi.ContactJSON{Name: strings.TrimSpace(c.FormValue("contact_name_" + n)), Email: strings.TrimSpace(c.FormValue("contact_email_" + n)),
			Phone: strings.TrimSpace(c.FormValue("contact_phone_" + n)), Role: strings.TrimSpace(c.FormValue("contact_role_" + n))}
		if ct != (httpapi.ContactJSON{}) {
			req.Contacts = append(req.Contacts, ct)
		}
	}
	return req, bad
}

// asLead shows submitted values back in the form after an error; the new-lead
// form shows the stage day as its "identified on".
func asLead(req httpapi.CreateRequest) httpapi.LeadJSON {
	return httpapi.LeadJSON{StageEffectiveOn: req.IdentifiedOn, InvestorID: req.InvestorID, InvestorName: req.InvestorName, InvestorCountry: req.InvestorCountry, Title: req.Title, Sector: req.Sector,
		Clauses: req.Clauses, TargetRegion: req.TargetRegion, InvestmentType: req.InvestmentType, Capex: req.Capex,
		ExpectedJobs: req.ExpectedJobs, TechTransfer: req.TechTransfer, Green: req.Green, ExpectedDecisionDate: req.ExpectedDecisionDate,
		Source: req.Source, SourceRef: req.SourceRef, Contacts: req.Contacts}
}

// formErrors turns an API error into messages per form field; other errors
// propagate. Most API fields are form fields of the same name (identified_on,
// and effective_on of the stage form); capex and contacts are renamed.
func formErrors(lang i18n.Lang, f *leadForm, err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return err
	}
	f.Error = ae.Localized(lang)
	for _, fe := range ae.Fields {
		name := strings.NewReplacer("capex.amount", "capex_amount", "capex.currency", "capex_currency").Replace(fe.Field)
		if rest, ok := strings.CutPrefix(name, "contacts["); ok {
			// contacts[1].email -> contact_email_1
			if idx, field, ok := strings.Cut(rest, "]."); ok {
				name = "contact_" + field + "_" + idx
			}
		}
		f.Errors[name] = fieldMessage(lang, fe)
	}
	return nil
}

// fieldMessage is a field error in lang: one made here (it has its
// arguments) is translated; one from an API comes in the language the
// dashboard asked for (apiContext) and is shown as it is.
func fieldMessage(lang i18n.Lang, fe apperr.FieldError) string {
	if len(fe.Args) > 0 || fe.Message == "" {
		return fe.Localized(lang)
	}
	return fe.Message
}

func (s *Server) createLead(c *fiber.Ctx) error {
	req, bad := formRequest(c)
	var lead httpapi.LeadJSON
	err := bad.Err()
	if err == nil {
		err = s.pickCompany(c, "investor", &req.InvestorID, req.InvestorName, req.InvestorCountry)
	}
	if err == nil {
		lead, err = s.leads.create(apiContext(c), token(c), c.FormValue("idempotency_key"), req)
	}
	if err != nil {
		f := s.newForm(asLead(req))
		f.IsNew, f.IdemKey, f.Company = true, c.FormValue("idempotency_key"), companyChoiceOf(err)
		if err := formErrors(httpx.Lang(c), f, err); err != nil {
			return err
		}
		return s.render(c, fiber.StatusBadRequest, "lead", "ui.attache.new_lead", f)
	}
	return c.Redirect("/attache/leads/"+lead.ID+"?saved=1", fiber.StatusSeeOther)
}

func (s *Server) leadForm(c *fiber.Ctx, l httpapi.LeadJSON) (*leadForm, error) {
	f := s.newForm(l)
	hist, err := s.leads.history(apiContext(c), token(c), l.ID)
	if err != nil {
		return nil, err
	}
	f.History = hist
	if f.Work, err = s.recordWork(c, events.WorkOnLead, "", l.ID, "/attache/leads/"+l.ID); err != nil {
		return nil, err
	}
	if f.Docs, err = s.recordDocuments(c, events.WorkOnLead, "", l.ID, "/attache/leads/"+l.ID); err != nil {
		return nil, err
	}
	if f.Decisions, err = analytics.DecisionsForLead(c.UserContext(), s.cfg.CH, l.ID); err != nil {
		s.cfg.Log.Warn("lead page: linked decisions unavailable", "lead", l.ID, "err", err)
	}
	card := s.boardCard(l, kernel.Today(time.Now()), httpx.Lang(c))
	f.Days, f.Limit, f.Stalled, f.Competitor = card.Days, card.Limit, card.Stalled, card.Competitor
	for _, st := range domain.NextStages(domain.Stage(l.Stage)) {
		f.Next = append(f.Next, string(st))
	}
	return f, nil
}

func (s *Server) leadPage(c *fiber.Ctx) error {
	l, err := s.leads.get(apiContext(c), token(c), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := s.leadForm(c, l)
	if err != nil {
		return err
	}
	f.Saved = c.Query("saved") == "1"
	return s.render(c, 200, "lead", l.Title, f)
}

func (s *Server) updateLead(c *fiber.Ctx) error {
	id := c.Params("id")
	version, _ := strconv.Atoi(c.FormValue("version"))
	req, bad := formRequest(c)
	if err := bad.Err(); err != nil {
		return s.formFailure(c, id, asLead(req), httpapi.MoveRequest{}, version, err)
	}
	if err := s.pickCompany(c, "investor", &req.InvestorID, req.InvestorName, req.InvestorCountry); err != nil {
		return s.formFailure(c, id, asLead(req), httpapi.MoveRequest{}, version, err)
	}
	patch := httpapi.PatchRequest{Version: &version, InvestorID: &req.InvestorID, InvestorName: &req.InvestorName, InvestorCountry: &req.InvestorCountry,
		Title: &req.Title, Sector: &req.Sector, Clauses: &req.Clauses, TargetRegion: &req.TargetRegion,
		InvestmentType: &req.InvestmentType, Capex: &req.Capex, ExpectedJobs: &req.ExpectedJobs, TechTransfer: &req.TechTransfer,
		Green: &req.Green, ExpectedDecisionDate: &req.ExpectedDecisionDate, Source: &req.Source, SourceRef: &req.SourceRef,
		Contacts: &req.Contacts}
	if _, err := s.leads.update(apiContext(c), token(c), id, patch); err != nil {
		return s.formFailure(c, id, asLead(req), httpapi.MoveRequest{}, version, err)
	}
	return c.Redirect("/attache/leads/"+id+"?saved=1", fiber.StatusSeeOther)
}

func (s *Server) moveLead(c *fiber.Ctx) error {
	id := c.Params("id")
	version, _ := strconv.Atoi(c.FormValue("version"))
	req := httpapi.MoveRequest{Version: &version, Stage: c.FormValue("stage"), EffectiveOn: strings.TrimSpace(c.FormValue("effective_on")),
		LostReason: c.FormValue("lost_reason"), CompetingCountry: c.FormValue("competing_country"), Comment: c.FormValue("comment")}
	if _, err := s.leads.move(apiContext(c), token(c), id, req); err != nil {
		if apperr.CodeOf(err) != apperr.Conflict || !s.repeatedLeadMove(c, id, req, version) {
			return s.formFailure(c, id, httpapi.LeadJSON{}, req, version, err)
		}
	}
	return c.Redirect("/attache/leads/"+id+"?saved=1", fiber.StatusSeeOther)
}

// move is a recorded stage or status change, as repeatedMove compares it.
type move struct {
	Version int // the record's version the change made
	Actor   string
	To      string
	Day     string // the day it took effect ("" when the record keeps none)
}

// repeatedMove reports whether a move refused for a version conflict only
// repeats the user's own move that has just been made: the latest change is
// the one right after the version the form showed, by the same user, to the
// same stage on the same day. A double click then answers as done, not as
// "someone else changed this record". day "" compares no day.
func repeatedMove(last move, formVersion int, user, to, day string) bool {
	return last.Version == formVersion+1 && last.Actor == user && last.To == to && last.Day == day
}

// latestMove is the change with the highest version in a history.
func latestMove[C any](changes []C, as func(C) move) move {
	var last move
	for _, ch := range changes {
		if m := as(ch); m.Version > last.Version {
			last = m
		}
	}
	return last
}

// moveDay is the day a move takes effect: the one typed, else today.
func moveDay(typed string) string {
	if typed = strings.TrimSpace(typed); typed != "" {
		return typed
	}
	return kernel.Today(time.Now()).String()
}

func (s *Server) repeatedLeadMove(c *fiber.Ctx, id string, req httpapi.MoveRequest, version int) bool {
	hist, err := s.leads.history(apiContext(c), token(c), id)
	if err != nil {
		return false
	}
	last := latestMove(hist, func(ch httpapi.ChangeJSON) move { return move{ch.Version, ch.Actor, ch.To, ch.EffectiveOn} })
	return repeatedMove(last, version, currentUser(c).ID, req.Stage, moveDay(req.EffectiveOn))
}

// formFailure re-renders a lead page with the API's field errors. submitted,
// when it has an investor name, replaces the stored values, and move fills the
// stage form, so nothing typed is lost.
func (s *Server) formFailure(c *fiber.Ctx, id string, submitted httpapi.LeadJSON, move httpapi.MoveRequest, version int, apiErr error) error {
	stored, err := s.leads.get(apiContext(c), token(c), id)
	if err != nil {
		return err
	}
	shown := stored
	if submitted.InvestorName != "" || submitted.Title != "" {
		shown = submitted
		shown.ID, shown.Post, shown.Stage, shown.Version, shown.Attache = stored.ID, stored.Post, stored.Stage, version, stored.Attache
	}
	conflict := apperr.CodeOf(apiErr) == apperr.Conflict
	if conflict {
		// Keep what the user typed, on top of the current version: saving
		// again is a deliberate choice after seeing the message.
		shown.Version = stored.Version
	}
	f, err := s.leadForm(c, shown)
	if err != nil {
		return err
	}
	f.Move, f.Company = move, companyChoiceOf(apiErr)
	if err := formErrors(httpx.Lang(c), f, apiErr); err != nil {
		return err
	}
	status := fiber.StatusBadRequest
	if conflict {
		status = fiber.StatusConflict
		f.Error = i18n.T(httpx.Lang(c), "ui.conflict_kept", stored.Version)
	}
	return s.render(c, status, "lead", stored.Title, f)
}
