// Package domain holds the rules of investor leads: what a valid lead is,
// the stages of the pipeline and which moves between them are allowed, and
// each stage's default probability. Each stage is dated by the day it took
// effect, a calendar day in Astana that may be earlier than the day it is
// recorded. It imports no transport or storage.
package domain

import (
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/money"
	"econdip/services/platform/reference"
)

// Stage is where a lead stands in the investment pipeline.
type Stage string

// The stages of DESIGN.md, in pipeline order, then the two side stages.
const (
	Identified   Stage = "identified"
	Contacted    Stage = "contacted"
	Qualified    Stage = "qualified"
	Negotiating  Stage = "negotiating"
	Committed    Stage = "committed"
	Implementing Stage = "implementing"
	Operational  Stage = "operational"
	OnHold       Stage = "on_hold"
	Lost         Stage = "lost"
)

// Stages lists every stage, pipeline order first.
var Stages = []Stage{Identified, Contacted, Qualified, Negotiating, Committed, Implementing, Operational, OnHold, Lost}

// Probability is each stage's default likelihood that the investment is
// realised; the weighted pipeline multiplies capex by it. Editable policy,
// not a fact: change it here and in the README table together.
var Probability = map[Stage]decimal.Decimal{
	Identified:   decimal.RequireFromString("0.05"),
	Contacted:    decimal.RequireFromString("0.10"),
	Qualified:    decimal.RequireFromString("0.25"),
	Negotiating:  decimal.RequireFromString("0.50"),
	Committed:    decimal.RequireFromString("0.90"),
	Implementing: decimal.RequireFromString("1"),
	Operational:  decimal.RequireFromString("1"),
	OnHold:       decimal.RequireFromString("0"),
	Lost:         decimal.RequireFromString("0"),
}

func pipelineIndex(s Stage) int {
	for i, p := range Stages[:7] {
		if p == s {
			return i
		}
	}
	return -1
}

// CanMove reports whether a lead may go from one stage to another. The rule:
// forward one stage at a time; back one stage to correct a mistake before
// commitment; on hold or lost from any stage before operational; from on hold
// back to any stage up to committed; a lost lead may only be reopened as identified.
func CanMove(from, to Stage) bool {
	if from == to {
		return false
	}
	fi, ti := pipelineIndex(from), pipelineIndex(to)
	switch {
	case from == Operational:
		return false
	case to == OnHold || to == Lost:
		return from != Lost
	case from == OnHold:
		return ti >= 0 && ti <= pipelineIndex(Committed)
	case from == Lost:
		return to == Identified
	case ti == fi+1:
		return true
	case ti == fi-1:
		return fi <= pipelineIndex(Committed)
	}
	return false
}

// NextStages lists the stages a lead in from may move to, for forms and messages.
func NextStages(from Stage) []Stage {
	var out []Stage
	for _, s := range Stages {
		if CanMove(from, s) {
			out = append(out, s)
		}
	}
	return out
}

// InvestmentTypes are the kinds of investment a lead can be.
var InvestmentTypes = []string{"greenfield", "expansion", "joint_venture", "m_and_a"}

// Sources say where a lead came from.
var Sources = []string{"own_research", "event", "igc_decision"}

// Contact is a person at the investor (personal data).
type Contact struct {
	Name, Email, Phone, Role string
}

// Lead is an investor lead as the attaché sees it.
type Lead struct {
	ID                   string
	Version              int
	Post                 string
	Attache              string
	InvestorID           string // the investor's company in the register; "" on older leads
	InvestorName         string
	InvestorCountry      string
	Title                string
	Sector               string
	Clauses              []string
	TargetRegion         string
	InvestmentType       string
	Capex                kernel.Money
	ExpectedJobs         int
	TechTransfer         bool
	Green                bool
	ExpectedDecisionDate kernel.Day
	Source               string
	SourceRef            string
	Stage                Stage
	Probability          decimal.Decimal
	LostReason           string
	CompetingCountry     string
	Contacts             []Contact
	CreatedAt            time.Time
	UpdatedAt            time.Time
	StageChangedAt       time.Time  // when the current stage was recorded
	StageEffectiveOn     kernel.Day // Astana day the current stage took effect
}

// Details are the fields an attaché types in; create takes all, update those it names.
type Details struct {
	// InvestorID picks the investor's company in the register; the service
	// then fills InvestorName and InvestorCountry from it.
	InvestorID           string
	InvestorName         string
	InvestorCountry      string
	Title                string
	Sector               string
	Clauses              []string
	TargetRegion         string
	InvestmentType       string
	CapexAmount          string // as typed: parsed here so a bad number is a field error
	CapexCurrency        string
	ExpectedJobs         int
	TechTransfer         bool
	Green                bool
	ExpectedDecisionDate string // YYYY-MM-DD as typed; empty: none
	Source               string
	SourceRef            string
	Contacts             []Contact
	IdentifiedOn         string // YYYY-MM-DD, creation only (see New); empty: today
}

const maxText = 300

// checkDay adds an error on field unless text is a day a user may write
// (kernel range) that is not after today and not before notBefore (skipped
// when zero); notBeforeKey is the catalogue key that explains the lower bound.
func checkDay(f *apperr.Fields, field, text string, today, notBefore kernel.Day, notBeforeKey string) kernel.Day {
	day, ok := f.Day(field, text)
	switch {
	case !ok:
	case day.After(today):
		f.Add(field, "error.future_date", text)
	case !notBefore.IsZero() && day.Before(notBefore):
		f.Add(field, notBeforeKey, text, notBefore.String())
	}
	return day
}

var (
	phonePattern = regexp.MustCompile(`^\+?[0-9 ()-]{5,25}$`)
)

// Validate checks every field and returns all errors at once, as field errors.
// It also returns the parsed capex. IdentifiedOn is New's to check.
func (d Details) Validate(ref *reference.Data) (kernel.Money, error) {
	var f apperr.Fields
	capex := d.check(&f, ref)
	return capex, f.Err()
}

// New is a lead as an attaché records it, before it has an id, post and
// attaché: version 1, identified with that stage's default probability,
// recorded at now and effective on d.IdentifiedOn, a day not in the future
// and not before 2000 (empty: today, the Astana day of now, given).
func New(d Details, ref *reference.Data, now time.Time, today kernel.Day) (Lead, error) {
	var f apperr.Fields
	capex := d.check(&f, ref)
	on := today
	if d.IdentifiedOn != "" {
		on = checkDay(&f, "identified_on", d.IdentifiedOn, today, kernel.Day{}, "")
	}
	if err := f.Err(); err != nil {
		return Lead{}, err
	}
	l := Lead{Version: 1, Stage: Identified, Probability: Probability[Identified],
		CreatedAt: now, UpdatedAt: now, StageChangedAt: now, StageEffectiveOn: on}
	l.Apply(d, capex)
	return l, nil
}

func (d Details) check(f *apperr.Fields, ref *reference.Data) kernel.Money {
	text := func(field, v string, required bool) { f.Text(field, v, required, maxText) }
	text("investor_name", d.InvestorName, true)
	text("title", d.Title, true)
	text("source_ref", d.SourceRef, false)
	switch c, ok := ref.Country(d.InvestorCountry); {
	case d.InvestorCountry == "":
		f.Add("investor_country", "error.required")
	case !ok:
		f.Add("investor_country", "error.unknown_country", d.InvestorCountry)
	case c.Alpha2 == "KZ":
		f.Add("investor_country", "error.investor_domestic")
	}
	if d.Sector != "" {
		if _, ok := ref.Sector(d.Sector); !ok {
			f.Add("sector", "error.unknown_sector", d.Sector)
		}
	}
	if len(d.Clauses) == 0 {
		f.Add("clauses", "error.clauses_required")
	}
	for _, c := range d.Clauses {
		if _, ok := ref.Clause(c); !ok {
			f.Add("clauses", "error.unknown_clause", c)
			break
		}
	}
	if d.TargetRegion != "" {
		if _, ok := ref.Region(d.TargetRegion); !ok {
			f.Add("target_region", "error.unknown_region", d.TargetRegion)
		}
	}
	if !slices.Contains(InvestmentTypes, d.InvestmentType) {
		f.Add("investment_type", "error.one_of", strings.Join(InvestmentTypes, ", "))
	}
	if !slices.Contains(Sources, d.Source) {
		f.Add("source", "error.one_of", strings.Join(Sources, ", "))
	}
	capex := kernel.Money{Currency: d.CapexCurrency}
	ref.MoneyCurrency(f, "capex.currency", d.CapexCurrency)
	if amount, ok := money.Parse(f, "capex.amount", d.CapexAmount); ok {
		capex.Amount = amount
	}
	if d.ExpectedJobs < 0 || d.ExpectedJobs > 1_000_000 {
		f.Add("expected_jobs", "error.range", 0, 1_000_000)
	}
	if d.ExpectedDecisionDate != "" {
		f.Day("expected_decision_date", d.ExpectedDecisionDate)
	}
	for i, c := range d.Contacts {
		field := func(name string) string { return "contacts[" + strconv.Itoa(i) + "]." + name }
		text(field("name"), c.Name, true)
		text(field("role"), c.Role, false)
		if c.Email != "" {
			if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
				f.Add(field("email"), "error.email", c.Email)
			}
		}
		if c.Phone != "" && !phonePattern.MatchString(c.Phone) {
			f.Add(field("phone"), "error.phone", c.Phone)
		}
	}
	return capex
}

// Apply copies validated details onto the lead.
func (l *Lead) Apply(d Details, capex kernel.Money) {
	l.InvestorID = d.InvestorID
	l.InvestorName = strings.TrimSpace(d.InvestorName)
	l.InvestorCountry = d.InvestorCountry
	l.Title = strings.TrimSpace(d.Title)
	l.Sector = d.Sector
	l.Clauses = d.Clauses
	l.TargetRegion = d.TargetRegion
	l.InvestmentType = d.InvestmentType
	l.Capex = capex
	l.ExpectedJobs = d.ExpectedJobs
	l.TechTransfer = d.TechTransfer
	l.Green = d.Green
	l.ExpectedDecisionDate = kernel.DayOrZero(d.ExpectedDecisionDate) // validated: empty is none
	l.Source = d.Source
	l.SourceRef = d.SourceRef
	l.Contacts = d.Contacts
}

// Details returns the lead's editable fields, the starting point of an update.
func (l Lead) Details() Details {
	return Details{
		InvestorID: l.InvestorID, InvestorName: l.InvestorName, InvestorCountry: l.InvestorCountry, Title: l.Title, Sector: l.Sector,
		Clauses: l.Clauses, TargetRegion: l.TargetRegion, InvestmentType: l.InvestmentType,
		CapexAmount: l.Capex.Amount.String(), CapexCurrency: l.Capex.Currency, ExpectedJobs: l.ExpectedJobs,
		TechTransfer: l.TechTransfer, Green: l.Green, ExpectedDecisionDate: l.ExpectedDecisionDate.String(),
		Source: l.Source, SourceRef: l.SourceRef, Contacts: l.Contacts,
	}
}

// Move is a request to change a lead's stage.
type Move struct {
	To               Stage
	EffectiveOn      string // YYYY-MM-DD, Astana day the move took effect; empty: today
	LostReason       string
	CompetingCountry string
	Comment          string
}

// MoveTo changes the stage if the state machine allows it. now is when the
// move is recorded and today its Astana day; the move may have
// taken effect earlier (a signing recorded a week later), but not in the
// future nor before the current stage took effect.
func (l *Lead) MoveTo(m Move, ref *reference.Data, now time.Time, today kernel.Day) error {
	var f apperr.Fields
	if _, ok := Probability[m.To]; !ok {
		f.Add("stage", "error.unknown_stage", string(m.To), joinStages(Stages))
		return f.Err()
	}
	if !CanMove(l.Stage, m.To) {
		next := make([]string, 0, 3)
		for _, s := range NextStages(l.Stage) {
			next = append(next, string(s))
		}
		f.Add("stage", "error.stage_move", i18n.Label{Kind: "lead_stage", Value: string(l.Stage)},
			i18n.Label{Kind: "lead_stage", Value: string(m.To)}, i18n.Labels{Kind: "lead_stage", Values: next})
		return f.Err()
	}
	if m.To == Lost && strings.TrimSpace(m.LostReason) == "" {
		f.Add("lost_reason", "error.required")
	}
	if m.CompetingCountry != "" {
		if _, ok := ref.Country(m.CompetingCountry); !ok {
			f.Add("competing_country", "error.unknown_country", m.CompetingCountry)
		}
	}
	if utf8.RuneCountInString(m.Comment) > 2000 {
		f.Add("comment", "error.too_long", 2000)
	}
	on := today
	if m.EffectiveOn != "" {
		on = checkDay(&f, "effective_on", m.EffectiveOn, today, l.StageEffectiveOn, "error.before_stage_day")
	}
	if err := f.Err(); err != nil {
		return err
	}
	l.Stage = m.To
	l.Probability = Probability[m.To]
	l.StageChangedAt, l.StageEffectiveOn = now, on
	l.LostReason, l.CompetingCountry = "", ""
	if m.To == Lost {
		l.LostReason = strings.TrimSpace(m.LostReason)
		l.CompetingCountry = m.CompetingCountry
	}
	return nil
}

func joinStages(s []Stage) string {
	parts := make([]string, len(s))
	for i, st := range s {
		parts[i] = string(st)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
