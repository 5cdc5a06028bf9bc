package domain

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"econdip/services/platform/apperr"
	"econdip/services/platform/i18n"
	"econdip/services/platform/kernel"
	"econdip/services/platform/money"
	"econdip/services/platform/reference"
)

// Status is where a trade barrier stands.
type Status string

// Barrier statuses.
const (
	Reported       Status = "reported"
	Verified       Status = "verified"
	InNegotiation  Status = "in_negotiation"
	ResolvedPartly Status = "resolved_partly"
	Resolved       Status = "resolved"
	Dormant        Status = "dormant"
)

// Statuses lists every barrier status.
var Statuses = []Status{Reported, Verified, InNegotiation, ResolvedPartly, Resolved, Dormant}

// CanChange reports whether a barrier may go from one status to another:
// reported → verified → in negotiation → resolved partly → resolved, with
// in negotiation → resolved allowed directly; any open barrier may go dormant,
// and a dormant one comes back to verified or in negotiation. Resolved is final.
func CanChange(from, to Status) bool {
	switch from {
	case Reported:
		return to == Verified || to == Dormant
	case Verified:
		return to == InNegotiation || to == Dormant
	case InNegotiation:
		return to == ResolvedPartly || to == Resolved || to == Dormant
	case ResolvedPartly:
		return to == Resolved || to == InNegotiation || to == Dormant
	case Dormant:
		return to == Verified || to == InNegotiation
	}
	return false
}

// NextStatuses lists the statuses a barrier in from may move to.
func NextStatuses(from Status) []Status {
	var out []Status
	for _, s := range Statuses {
		if CanChange(from, s) {
			out = append(out, s)
		}
	}
	return out
}

// BarrierTypes are the kinds of barrier (clause 2.6 names discrimination of Kazakh producers).
var BarrierTypes = []string{"tariff", "sps", "technical", "procedural", "discrimination"}

// BarrierInput is what an attaché types for a barrier.
type BarrierInput struct {
	Country       string
	HSCodes       []string // chapters, headings or subheadings of HS 2022
	Type          string
	Title         string
	Description   string
	ValueAmount   string // optional: trade at stake per year
	ValueCurrency string
	LeadAgency    string
	Clauses       []string
	ReportedOn    string // YYYY-MM-DD as typed; empty: today
}

var hsAny = regexp.MustCompile(`^[0-9]{2}([0-9]{2}){0,2}$`)

// Validate checks a barrier; hostCountry is the post's country, which must be the barrier's.
func (in BarrierInput) Validate(ref *reference.Data, hostCountry string, today kernel.Day) (*kernel.Money, error) {
	var f apperr.Fields
	switch {
	case in.Country == "":
		f.Add("country", "error.required")
	case !known(ref.Country, in.Country):
		f.Add("country", "error.unknown_country", in.Country)
	case in.Country != hostCountry:
		f.Add("country", "error.barrier_not_host", in.Country, hostCountry)
	}
	if len(in.HSCodes) == 0 {
		f.Add("hs_codes", "error.required")
	}
	for _, code := range in.HSCodes {
		if h, ok := ref.HS(code); !hsAny.MatchString(code) || !ok || h.Code != code || !IsHS2022(h) {
			f.Add("hs_codes", "error.hs_unknown", code)
			break
		}
	}
	if !slices.Contains(BarrierTypes, in.Type) {
		f.Add("type", "error.one_of", strings.Join(BarrierTypes, ", "))
	}
	f.Text("title", in.Title, true, 300)
	f.Text("description", in.Description, false, 4000)
	if !known(ref.Agency, in.LeadAgency) {
		f.Add("lead_agency", "error.unknown_agency", in.LeadAgency)
	}
	for _, c := range in.Clauses {
		if _, ok := ref.Clause(c); !ok {
			f.Add("clauses", "error.unknown_clause", c)
			break
		}
	}
	if in.ReportedOn != "" {
		if on, ok := f.Day("reported_on", in.ReportedOn); ok && on.After(today) {
			f.Add("reported_on", "error.future_date", in.ReportedOn)
		}
	}
	var value *kernel.Money
	if strings.TrimSpace(in.ValueAmount) != "" || in.ValueCurrency != "" {
		v, _ := money.Parse(&f, "value_at_stake.amount", in.ValueAmount)
		ref.MoneyCurrency(&f, "value_at_stake.currency", in.ValueCurrency)
		value = &kernel.Money{Amount: v, Currency: in.ValueCurrency}
	}
	return value, f.Err()
}

// Note is a dated progress note on a barrier.
type Note struct {
	On           kernel.Day
	Text, Author string
}

// NoteInput is a progress note to add to a barrier.
type NoteInput struct {
	On   string // YYYY-MM-DD; empty: today
	Text string
}

// Barrier is a trade barrier as the attaché follows it: reported in the
// post's host country, with its details, its progress notes and its status.
type Barrier struct {
	ID, Post, Attache    string
	Version              int
	Country              string
	HSCodes              []string
	Type                 string
	Title                string
	Description          string
	ValueAtStake         *kernel.Money
	Status               Status
	LeadAgency           string
	Clauses              []string
	ReportedOn           kernel.Day
	ResolvedOn           kernel.Day
	Progress             []Note
	CreatedAt, UpdatedAt time.Time
}

// NewBarrier is a barrier reported by an attaché of post in hostCountry, at
// time now (today is the Astana day): the details pass Validate, and it
// starts reported, on the day given or today.
func NewBarrier(in BarrierInput, ref *reference.Data, post, attache, hostCountry string, today kernel.Day, now time.Time) (Barrier, error) {
	value, err := in.Validate(ref, hostCountry, today)
	if err != nil {
		return Barrier{}, err
	}
	b := Barrier{Version: 1, Post: post, Attache: attache, Country: in.Country, Status: Reported,
		ReportedOn: kernel.DayOrZero(in.ReportedOn), Progress: []Note{}, CreatedAt: now, UpdatedAt: now}
	if b.ReportedOn.IsZero() {
		b.ReportedOn = today
	}
	b.apply(in, value)
	return b, nil
}

// Input is the input that would produce the barrier's current details.
func (b Barrier) Input() BarrierInput {
	in := BarrierInput{Country: b.Country, HSCodes: slices.Clone(b.HSCodes), Type: b.Type, Title: b.Title,
		Description: b.Description, LeadAgency: b.LeadAgency, Clauses: slices.Clone(b.Clauses), ReportedOn: b.ReportedOn.String()}
	if b.ValueAtStake != nil {
		in.ValueAmount, in.ValueCurrency = b.ValueAtStake.Amount.String(), b.ValueAtStake.Currency
	}
	return in
}

func (b *Barrier) apply(in BarrierInput, value *kernel.Money) {
	b.HSCodes, b.Type = kernel.Distinct(in.HSCodes), in.Type
	b.Title, b.Description = strings.TrimSpace(in.Title), strings.TrimSpace(in.Description)
	b.ValueAtStake, b.LeadAgency, b.Clauses = value, in.LeadAgency, kernel.Distinct(in.Clauses)
}

// Edit changes a barrier's details to in and adds note (if not nil) by
// author: the country and the day it was reported stay. A note is dated
// today unless given a day, which may be neither in the future nor before
// the barrier was reported. Every wrong field is reported at once, and
// then nothing changes.
func (b *Barrier) Edit(in BarrierInput, note *NoteInput, author string, ref *reference.Data, today kernel.Day) error {
	in.Country, in.ReportedOn = b.Country, b.ReportedOn.String()
	value, err := in.Validate(ref, b.Country, today)
	f, err := apperr.FieldsOf(err)
	if err != nil {
		return err
	}
	var added *Note
	if note != nil {
		added = &Note{On: today, Text: strings.TrimSpace(note.Text), Author: author}
		if note.On != "" {
			var ok bool
			switch added.On, ok = f.Day("progress.on", note.On); {
			case !ok:
			case added.On.After(today):
				f.Add("progress.on", "error.future_date", note.On)
			case added.On.Before(b.ReportedOn):
				f.Add("progress.on", "error.before_reported", note.On, b.ReportedOn.String())
			}
		}
		f.Text("progress.text", note.Text, true, 2000)
	}
	if err := f.Err(); err != nil {
		return err
	}
	b.apply(in, value)
	if added != nil {
		b.Progress = append(slices.Clone(b.Progress), *added)
	}
	return nil
}

// ChangeStatus moves the barrier to c.To if CanChange allows it, effective
// on c.EffectiveOn (empty: today), which may be neither in the future, nor
// before the barrier was reported, nor before its last status change
// (lastChange, empty when it had none); resolving it dates the resolution.
// It returns the day the change takes effect.
func (b *Barrier) ChangeStatus(c StatusChange, lastChange, today kernel.Day) (kernel.Day, error) {
	if lastChange.Before(b.ReportedOn) {
		lastChange = b.ReportedOn // also when the barrier had no status change (zero)
	}
	on, err := CheckStatusChange(b.Status, c, b.ReportedOn, lastChange, today)
	if err != nil {
		return kernel.Day{}, err
	}
	b.Status = c.To
	if c.To == Resolved {
		b.ResolvedOn = on
	}
	return on, nil
}

// StatusChange is a request to change a barrier's status.
type StatusChange struct {
	To          Status
	EffectiveOn string // YYYY-MM-DD; empty: today
	Comment     string
}

// CheckStatusChange validates a change from a barrier's current status and
// returns the day it takes effect (not in the future, not before reportedOn).
func CheckStatusChange(from Status, c StatusChange, reportedOn, lastChange, today kernel.Day) (kernel.Day, error) {
	var f apperr.Fields
	if !slices.Contains(Statuses, c.To) {
		f.Add("status", "error.unknown_status", string(c.To), "reported, verified, in_negotiation, resolved_partly, resolved, dormant")
		return kernel.Day{}, f.Err()
	}
	if !CanChange(from, c.To) {
		next := make([]string, 0, 3)
		for _, s := range NextStatuses(from) {
			next = append(next, string(s))
		}
		f.Add("status", "error.barrier_status_move", i18n.Label{Kind: "barrier_status", Value: string(from)},
			i18n.Label{Kind: "barrier_status", Value: string(c.To)}, i18n.Labels{Kind: "barrier_status", Values: next})
		return kernel.Day{}, f.Err()
	}
	on := today
	if c.EffectiveOn != "" {
		var ok bool
		switch on, ok = f.Day("effective_on", c.EffectiveOn); {
		case !ok:
		case on.After(today):
			f.Add("effective_on", "error.future_date", c.EffectiveOn)
		case on.Before(reportedOn):
			f.Add("effective_on", "error.before_reported", c.EffectiveOn, reportedOn.String())
		case on.Before(lastChange):
			f.Add("effective_on", "error.before_last_change", c.EffectiveOn, lastChange.String())
		}
	}
	f.Text("comment", c.Comment, true, 2000)
	return on, f.Err()
}
