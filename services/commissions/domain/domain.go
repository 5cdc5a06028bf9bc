// Package domain holds the rules of intergovernmental commissions: what a
// valid commission, session and decision are, the decision status machine,
// and the derived facts (overdue, done late, days late) that are computed
// from the deadline and the day of a status change, never typed in. Days are
// calendar days in Astana time (kernel.Day, kernel.Today).
package domain

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/money"
	"econdip/services/platform/reference"
)

// Status is where a decision stands.
type Status string

// Decision statuses.
const (
	Open       Status = "open"
	InProgress Status = "in_progress"
	Done       Status = "done"
	Cancelled  Status = "cancelled"
)

// Statuses lists every status.
var Statuses = []Status{Open, InProgress, Done, Cancelled}

// CanChange reports whether a decision may go from one status to another:
// open → in_progress → done, and cancelled from open or in progress. Done and
// cancelled are final.
func CanChange(from, to Status) bool {
	switch from {
	case Open:
		return to == InProgress || to == Cancelled
	case InProgress:
		return to == Done || to == Cancelled
	}
	return false
}

// NextStatuses lists the statuses a decision in from may move to.
func NextStatuses(from Status) []Status {
	var out []Status
	for _, s := range Statuses {
		if CanChange(from, s) {
			out = append(out, s)
		}
	}
	return out
}

// Commission is an intergovernmental commission with one partner country.
type Commission struct {
	ID                string
	Version           int
	Name              string
	PartnerCountry    string
	KazakhCoChair     string
	SecretariatAgency string
	PartnerCoChair    string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Session is one meeting of a commission.
type Session struct {
	ID           string
	CommissionID string
	Number       int
	Date         kernel.Day
	Place        string
	ProtocolRef  string
	DecisionIDs  []string
	CreatedAt    time.Time
}

// Decision is one item of a session's protocol.
type Decision struct {
	ID             string
	Version        int
	CommissionID   string
	PartnerCountry string
	SessionID      string
	SessionNumber  int
	SessionDate    kernel.Day
	Item           string
	Text           string
	Agencies       []string
	Deadline       kernel.Day
	Sector         string
	Clauses        []string
	Value          *kernel.Money
	LeadIDs        []string
	DealIDs        []string
	Status         Status
	StatusDate     kernel.Day
	DoneOn         kernel.Day
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// These are the definitions of the derived facts of a decision, as of a
// day: the register, the dashboards and the figures in ClickHouse
// (analytics/commissions.go) use them, and the SQL is tested against them
// on one fixture of decisions and days (analytics/derived_rules_test.go).

// Due reports whether the decision should be finished by today: it is not
// cancelled and its deadline day has ended (a deadline of today is not due yet).
func (d Decision) Due(today kernel.Day) bool { return d.Status != Cancelled && today.After(d.Deadline) }

// Overdue reports whether the decision is due and not finished (open or in progress).
func (d Decision) Overdue(today kernel.Day) bool {
	return d.Due(today) && (d.Status == Open || d.Status == InProgress)
}

// DoneLate reports whether the decision was done after its deadline day. A
// decision done late was due by the day it was done; as of an earlier day
// (figures as of the past, with today's statuses) it counts as late only
// once it is Due.
func (d Decision) DoneLate() bool { return d.Status == Done && d.DoneOn.After(d.Deadline) }

// DaysLate is how many days past the deadline the decision is (overdue, as of
// today) or was done (done late); 0 otherwise.
func (d Decision) DaysLate(today kernel.Day) int {
	switch {
	case d.Overdue(today):
		return today.DaysSince(d.Deadline)
	case d.DoneLate():
		return d.DoneOn.DaysSince(d.Deadline)
	}
	return 0
}

var commissionID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,31}$`)

// CommissionInput is what an administrator types for a commission.
type CommissionInput struct {
	ID, Name, PartnerCountry, KazakhCoChair, SecretariatAgency, PartnerCoChair string
}

const maxText = 300

// Validate checks a commission.
func (in CommissionInput) Validate(ref *reference.Data) error {
	var f apperr.Fields
	if !commissionID.MatchString(in.ID) {
		f.Add("id", "error.commission_id")
	}
	f.Text("name", in.Name, true, maxText)
	f.Text("kazakh_co_chair", in.KazakhCoChair, false, maxText)
	f.Text("partner_co_chair", in.PartnerCoChair, false, maxText)
	switch c, ok := ref.Country(in.PartnerCountry); {
	case in.PartnerCountry == "":
		f.Add("partner_country", "error.required")
	case !ok:
		f.Add("partner_country", "error.unknown_country", in.PartnerCountry)
	case c.Alpha2 == "KZ":
		f.Add("partner_country", "error.partner_domestic")
	}
	if _, ok := ref.Agency(in.SecretariatAgency); !ok {
		f.Add("secretariat_agency", "error.unknown_agency", in.SecretariatAgency)
	}
	return f.Err()
}

// DecisionInput is one decision as a secretariat types it or a CSV row holds it.
type DecisionInput struct {
	Item          string
	Text          string
	Agencies      []string
	Deadline      string
	Sector        string
	Clauses       []string
	ValueAmount   string // empty: no value
	ValueCurrency string
	LeadIDs       []string
}

// SessionInput is a whole protocol: the session and its decisions.
type SessionInput struct {
	Number      int
	Date        string
	Place       string
	ProtocolRef string
	Decisions   []DecisionInput
}

// MaxDecisions bounds one protocol (a JetStream atomic batch holds 1000 messages).
const MaxDecisions = 500

// RowNamer names the field of decision i in errors: "decisions[i].deadline"
// for JSON, "rows[<csv line>].deadline" for a CSV import.
type RowNamer func(i int, field string) string

// JSONRows names decision fields by their index in the request.
func JSONRows(i int, field string) string { return "decisions[" + strconv.Itoa(i) + "]." + field }

// Validate checks a protocol and returns every error at once, naming each
// wrong row and field; it returns the parsed session date and decision values.
func (in SessionInput) Validate(ref *reference.Data, today kernel.Day, name RowNamer) (kernel.Day, []kernel.Day, []*kernel.Money, error) {
	var f apperr.Fields
	if in.Number < 1 || in.Number > 10_000 {
		f.Add("number", "error.range", 1, 10_000)
	}
	date, ok := f.Day("date", in.Date)
	if ok && date.After(today) {
		f.Add("date", "error.future_date", in.Date)
	}
	f.Text("place", in.Place, true, maxText)
	f.Text("protocol_ref", in.ProtocolRef, false, maxText)
	switch {
	case len(in.Decisions) == 0:
		f.Add("decisions", "error.decisions_required")
	case len(in.Decisions) > MaxDecisions:
		f.Add("decisions", "error.too_many", MaxDecisions)
	}
	deadlines := make([]kernel.Day, len(in.Decisions))
	values := make([]*kernel.Money, len(in.Decisions))
	items := map[string]bool{}
	for i, d := range in.Decisions {
		f.Text(name(i, "item"), d.Item, false, 20)
		if d.Item != "" {
			if items[d.Item] {
				f.Add(name(i, "item"), "error.duplicate_item", d.Item)
			}
			items[d.Item] = true
		}
		f.Text(name(i, "text"), d.Text, true, 4000)
		if len(d.Agencies) == 0 {
			f.Add(name(i, "agencies"), "error.agencies_required")
		}
		for _, a := range d.Agencies {
			if _, ok := ref.Agency(a); !ok {
				f.Add(name(i, "agencies"), "error.unknown_agency", a)
				break
			}
		}
		dl, ok := f.Day(name(i, "deadline"), d.Deadline)
		if ok && !date.IsZero() && dl.Before(date) {
			f.Add(name(i, "deadline"), "error.deadline_before_session", d.Deadline, in.Date)
		}
		deadlines[i] = dl
		if d.Sector != "" {
			if _, ok := ref.Sector(d.Sector); !ok {
				f.Add(name(i, "sector"), "error.unknown_sector", d.Sector)
			}
		}
		if len(d.Clauses) == 0 {
			f.Add(name(i, "clauses"), "error.clauses_required")
		}
		for _, c := range d.Clauses {
			if _, ok := ref.Clause(c); !ok {
				f.Add(name(i, "clauses"), "error.unknown_clause", c)
				break
			}
		}
		values[i] = parseValue(&f, ref, name, i, d)
		for _, id := range d.LeadIDs {
			if !kernel.IsID(id) {
				f.Add(name(i, "lead_ids"), "error.not_an_id", id)
				break
			}
		}
	}
	return date, deadlines, values, f.Err()
}

func parseValue(f *apperr.Fields, ref *reference.Data, name RowNamer, i int, d DecisionInput) *kernel.Money {
	if strings.TrimSpace(d.ValueAmount) == "" && d.ValueCurrency == "" {
		return nil
	}
	v, _ := money.Parse(f, name(i, "value.amount"), d.ValueAmount)
	ref.MoneyCurrency(f, name(i, "value.currency"), d.ValueCurrency)
	return &kernel.Money{Amount: v, Currency: d.ValueCurrency}
}

// StatusChange is a request to change a decision's status.
type StatusChange struct {
	To          Status
	EffectiveOn string // YYYY-MM-DD; empty: today
	Comment     string
	EvidenceRef string
}

// ChangeStatus applies a status change if the machine allows it. The day it
// takes effect may be given (a completion recorded later), but not in the
// future nor before the session.
func (d *Decision) ChangeStatus(c StatusChange, today kernel.Day) (kernel.Day, error) {
	var f apperr.Fields
	if !slices.Contains(Statuses, c.To) {
		f.Add("status", "error.unknown_status", string(c.To), "open, in_progress, done, cancelled")
		return kernel.Day{}, f.Err()
	}
	if !CanChange(d.Status, c.To) {
		next := make([]string, 0, 2)
		for _, s := range NextStatuses(d.Status) {
			next = append(next, string(s))
		}
		f.Add("status", "error.status_move", i18n.Label{Kind: "decision_status", Value: string(d.Status)},
			i18n.Label{Kind: "decision_status", Value: string(c.To)}, i18n.Labels{Kind: "decision_status", Values: next})
		return kernel.Day{}, f.Err()
	}
	on := today
	if c.EffectiveOn != "" {
		var ok bool
		switch on, ok = f.Day("effective_on", c.EffectiveOn); {
		case !ok:
		case on.After(today):
			f.Add("effective_on", "error.future_date", c.EffectiveOn)
		case on.Before(d.SessionDate):
			f.Add("effective_on", "error.before_session", c.EffectiveOn, d.SessionDate.String())
		case on.Before(d.StatusDate):
			f.Add("effective_on", "error.before_last_change", c.EffectiveOn, d.StatusDate.String())
		}
	}
	f.Text("comment", c.Comment, true, 2000)
	f.Text("evidence_ref", c.EvidenceRef, false, maxText)
	if err := f.Err(); err != nil {
		return kernel.Day{}, err
	}
	d.Status, d.StatusDate = c.To, on
	if c.To == Done {
		d.DoneOn = on
	}
	return on, nil
}

// Link records that the decision led to a lead or a deal; linking twice is a no-op (false).
func (d *Decision) Link(kind, id string) (bool, error) {
	var f apperr.Fields
	if !kernel.IsID(id) {
		f.Add("target_id", "error.not_an_id", id)
	}
	list := &d.LeadIDs
	switch kind {
	case "lead":
	case "deal":
		list = &d.DealIDs
	default:
		f.Add("kind", "error.one_of", "lead, deal")
	}
	if err := f.Err(); err != nil {
		return false, err
	}
	if slices.Contains(*list, id) {
		return false, nil
	}
	*list = append(*list, id)
	return true, nil
}
