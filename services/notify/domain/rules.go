// Package domain holds the reminder rules of the notifier: each rule once,
// with its id, default parameters and description, and the time logic that
// says on which Astana days a record is due a reminder. It imports no
// transport or storage package.
package domain

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"econdip/services/platform/kernel"
)

// The rule ids: part of the contract (dedup keys, user preferences, the
// administrator's parameters). Renaming one fires its reminders again.
const (
	LeadStale        = "lead.stale"
	DecisionDueSoon  = "decision.due_soon"
	DecisionOverdue  = "decision.overdue"
	BarrierStale     = "barrier.stale"
	TaskDueTomorrow  = "task.due_tomorrow"
	TaskOverdue      = "task.overdue"
	DealNotShipped   = "deal.not_shipped"
	ParamDays        = "days"
	paramStagePrefix = "stage."
)

// Delivery is what a user chose for one rule's reminders. Every reminder
// lands in the inbox; the choice says whether it is also e-mailed.
type Delivery string

// The deliveries a user picks from, per rule.
const (
	InboxOnly   Delivery = "inbox"  // the inbox only
	EmailNow    Delivery = "email"  // the inbox and an e-mail at once
	EmailDigest Delivery = "digest" // the inbox and the weekly digest e-mail
)

// Valid reports whether d is one of the deliveries.
func (d Delivery) Valid() bool { return d == InboxOnly || d == EmailNow || d == EmailDigest }

// Params are a rule's parameters: whole days, by name.
type Params map[string]int

// Rule is one reminder rule.
type Rule struct {
	ID          string
	Kind        string // the record it is about: lead, decision, barrier, task, deal
	Description string // English, for the README and the administrator's API
	Defaults    Params
	Delivery    Delivery // the default delivery
}

// Rules is the table of reminder rules, each defined once.
var Rules = []Rule{
	{ID: LeadStale, Kind: "lead", Delivery: EmailNow,
		Description: "A lead has stayed in its stage for stage.<stage> days with no stage move (stages without a parameter are never stale).",
		Defaults: Params{"stage.identified": 30, "stage.contacted": 30, "stage.qualified": 45, "stage.negotiating": 60,
			"stage.committed": 90, "stage.implementing": 180, "stage.on_hold": 90}},
	{ID: DecisionDueSoon, Kind: "decision", Delivery: EmailNow,
		Description: "An open or in-progress decision falls due within days days (deadline included).",
		Defaults:    Params{ParamDays: 14}},
	{ID: DecisionOverdue, Kind: "decision", Delivery: EmailNow,
		Description: "An open or in-progress decision is past its deadline.",
		Defaults:    Params{}},
	{ID: BarrierStale, Kind: "barrier", Delivery: EmailNow,
		Description: "A barrier not resolved or dormant has had no progress note (or, with none, no report) for days days.",
		Defaults:    Params{ParamDays: 60}},
	{ID: TaskDueTomorrow, Kind: "task", Delivery: EmailNow,
		Description: "An open task is due tomorrow (sent on the day before, or on the day when the day before was missed).",
		Defaults:    Params{}},
	{ID: TaskOverdue, Kind: "task", Delivery: EmailNow,
		Description: "An open task is past its due day.",
		Defaults:    Params{}},
	{ID: DealNotShipped, Kind: "deal", Delivery: EmailNow,
		Description: "A deal is contracted but not shipped days days after its contract date (a deal has no expected shipping date: this is it).",
		Defaults:    Params{ParamDays: 90}},
}

// RuleByID returns the rule with id.
func RuleByID(id string) (Rule, bool) {
	i := slices.IndexFunc(Rules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return Rules[i], true
}

// Settings are the administrator's parameters, by rule; a missing one takes the default.
type Settings map[string]Params

// Of returns the parameters of rule id: the defaults overridden by s.
func (s Settings) Of(id string) Params {
	r, _ := RuleByID(id)
	p := maps.Clone(r.Defaults)
	if p == nil {
		p = Params{}
	}
	maps.Copy(p, s[id])
	return p
}

// Validate checks that s names known rules and parameters, each from 1 to 3650 days.
func (s Settings) Validate() error {
	for _, id := range sortedKeys(s) {
		r, ok := RuleByID(id)
		if !ok {
			return fmt.Errorf("unknown rule %q", id)
		}
		for _, name := range sortedKeys(s[id]) {
			if _, ok := r.Defaults[name]; !ok {
				return fmt.Errorf("rule %s has no parameter %q", id, name)
			}
			if v := s[id][name]; v < 1 || v > 3650 {
				return fmt.Errorf("rule %s: %s=%d must be from 1 to 3650 days", id, name, v)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := slices.Collect(maps.Keys(m))
	sort.Strings(out)
	return out
}

// Window is the Astana days on which a record is due a reminder: from From
// to To included; a zero To has no end.
type Window struct {
	From, To kernel.Day
}

// Contains reports whether day is in the window.
func (w Window) Contains(day kernel.Day) bool {
	return !w.From.IsZero() && !day.Before(w.From) && (w.To.IsZero() || !day.After(w.To))
}

// Due is one reminder a record is due: the rule, and the period that makes
// it fire once (the day or stage stay it is about).
type Due struct {
	Rule   string
	Period string
	Day    kernel.Day // the day the reminder is about (deadline, due day, since)
}

// LeadFacts are what the lead rule reads.
type LeadFacts struct {
	Stage string
	Since kernel.Day // the day it entered its stage
}

// LeadDue returns the reminder a lead is due today, if any: once per stay in a stage.
func LeadDue(s Settings, l LeadFacts, today kernel.Day) (Due, bool) {
	n, ok := s.Of(LeadStale)[paramStagePrefix+l.Stage]
	if !ok || l.Since.IsZero() {
		return Due{}, false
	}
	w := Window{From: l.Since.AddDays(n)}
	return Due{Rule: LeadStale, Period: l.Stage + "-" + l.Since.String(), Day: l.Since}, w.Contains(today)
}

// DecisionFacts are what the decision rules read.
type DecisionFacts struct {
	Status   string
	Deadline kernel.Day
}

// DecisionDue returns the reminders a decision is due today: falling due
// within the window, or overdue (Astana days: due on the deadline, overdue
// from the day after). Done and cancelled decisions are due nothing.
func DecisionDue(s Settings, d DecisionFacts, today kernel.Day) []Due {
	if (d.Status != "open" && d.Status != "in_progress") || d.Deadline.IsZero() {
		return nil
	}
	var out []Due
	soon := Window{From: d.Deadline.AddDays(-s.Of(DecisionDueSoon)[ParamDays]), To: d.Deadline}
	if soon.Contains(today) {
		out = append(out, Due{Rule: DecisionDueSoon, Period: d.Deadline.String(), Day: d.Deadline})
	}
	if (Window{From: d.Deadline.AddDays(1)}).Contains(today) {
		out = append(out, Due{Rule: DecisionOverdue, Period: d.Deadline.String(), Day: d.Deadline})
	}
	return out
}

// BarrierFacts are what the barrier rule reads.
type BarrierFacts struct {
	Status       string
	LastProgress kernel.Day // the last progress note's day, or the report's
}

// BarrierDue returns the reminder a barrier is due today: once per last progress day.
func BarrierDue(s Settings, b BarrierFacts, today kernel.Day) (Due, bool) {
	if b.Status == "resolved" || b.Status == "dormant" || b.LastProgress.IsZero() {
		return Due{}, false
	}
	w := Window{From: b.LastProgress.AddDays(s.Of(BarrierStale)[ParamDays])}
	return Due{Rule: BarrierStale, Period: b.LastProgress.String(), Day: b.LastProgress}, w.Contains(today)
}

// TaskFacts are what the task rules read.
type TaskFacts struct {
	Done bool
	Due  kernel.Day
}

// TaskDue returns the reminders a task is due today: due tomorrow (from the
// day before to the due day itself, so a missed day before still warns),
// overdue from the day after its due day.
func TaskDue(t TaskFacts, today kernel.Day) []Due {
	if t.Done || t.Due.IsZero() {
		return nil
	}
	var out []Due
	if (Window{From: t.Due.AddDays(-1), To: t.Due}).Contains(today) {
		out = append(out, Due{Rule: TaskDueTomorrow, Period: t.Due.String(), Day: t.Due})
	}
	if (Window{From: t.Due.AddDays(1)}).Contains(today) {
		out = append(out, Due{Rule: TaskOverdue, Period: t.Due.String(), Day: t.Due})
	}
	return out
}

// DealFacts are what the deal rule reads.
type DealFacts struct {
	Stage    string
	Contract kernel.Day
}

// DealDue returns the reminder a contracted deal is due when not shipped days after its contract.
func DealDue(s Settings, d DealFacts, today kernel.Day) (Due, bool) {
	if d.Stage != "contracted" || d.Contract.IsZero() {
		return Due{}, false
	}
	w := Window{From: d.Contract.AddDays(s.Of(DealNotShipped)[ParamDays])}
	return Due{Rule: DealNotShipped, Period: d.Contract.String(), Day: d.Contract}, w.Contains(today)
}
