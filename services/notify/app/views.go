package app

import (
	"context"

	"econdip/events"
	"econdip/services/platform/eventstore"
)

// The notifier's read models: only what the rules and recipients need is a
// column; the rules scan the records a column narrows to (open decisions,
// open tasks, contracted deals...), in the file, not in memory.
var (
	usersView = eventstore.Shape[events.UserV1]{
		Name: "notify-users",
		Columns: []eventstore.Column[events.UserV1]{
			{Name: "scope", Of: userScope},
		},
		Indexes: [][]string{{"scope"}},
		Version: 1,
	}
	leadsView = eventstore.Shape[events.LeadV1]{
		Name:    "notify-leads",
		Columns: []eventstore.Column[events.LeadV1]{{Name: "stage", Of: func(l events.LeadV1) string { return l.Stage }}},
		Indexes: [][]string{{"stage"}},
		Version: 1,
	}
	decisionsView = eventstore.Shape[events.DecisionV1]{
		Name:    "notify-decisions",
		Columns: []eventstore.Column[events.DecisionV1]{{Name: "status", Of: func(d events.DecisionV1) string { return d.Status }}},
		Indexes: [][]string{{"status"}},
		Version: 1,
	}
	dealsView = eventstore.Shape[events.DealV1]{
		Name:    "notify-deals",
		Columns: []eventstore.Column[events.DealV1]{{Name: "stage", Of: func(d events.DealV1) string { return d.Stage }}},
		Indexes: [][]string{{"stage"}},
		Version: 1,
	}
	barriersView = eventstore.Shape[events.BarrierV1]{
		Name:    "notify-barriers",
		Columns: []eventstore.Column[events.BarrierV1]{{Name: "status", Of: func(b events.BarrierV1) string { return b.Status }}},
		Indexes: [][]string{{"status"}},
		Version: 1,
	}
)

// tasksView is the shape of the tasks of one stream (name differs per stream).
func tasksView(name string) eventstore.Shape[events.TaskV1] {
	return eventstore.Shape[events.TaskV1]{
		Name:    name,
		Columns: []eventstore.Column[events.TaskV1]{{Name: "done", Of: func(t events.TaskV1) string { return boolString(t.Done) }}},
		Indexes: [][]string{{"done"}},
		Version: 1,
	}
}

// The tasks on records, per stream: deals and barriers share EXPORTS.
const allExportTasks = events.SubjectPrefix + ".exports.*.*.task.*"

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// userScope is whom a user receives reminders for: "post:<post>" for an
// attaché, "commission:<id>" for a secretariat; "" otherwise (tasks only).
func userScope(u events.UserV1) string {
	if u.Disabled {
		return ""
	}
	switch {
	case u.Role == "attache" && u.Post != "":
		return "post:" + u.Post
	case u.Role == "secretariat" && u.Commission != "":
		return "commission:" + u.Commission
	}
	return ""
}

// stateOf is the state an event carries, for the record kinds whose events
// are snapshots (State()).
func stateOf[T any](ev events.Event) (T, bool) {
	s, ok := ev.(interface{ State() T })
	if !ok {
		var zero T
		return zero, false
	}
	return s.State(), true
}

func userState(ev events.Event) (events.UserV1, bool) {
	switch e := ev.(type) {
	case *events.UserCreatedV1:
		return e.User, true
	case *events.UserChangedV1:
		return e.User, true
	}
	return events.UserV1{}, false
}

// noSubject: the notifier only follows, it never loads or appends.
func noSubject(string) (string, error) { return "", events.ErrBadID }

func (s *Service) follow(ctx context.Context, dir string) error {
	var err error
	users := eventstore.New(s.js, events.StreamUsers, noSubject, userState, func(u events.UserV1) string { return u.ID })
	if s.users, err = users.Follow(ctx, dir, events.AllUsers, usersView, s.log); err != nil {
		return err
	}
	leads := eventstore.New(s.js, events.StreamLeads, noSubject, stateOf[events.LeadV1], func(l events.LeadV1) string { return l.ID })
	if s.leads, err = leads.Follow(ctx, dir, events.AllLeads, leadsView, s.log); err != nil {
		return err
	}
	decisions := eventstore.New(s.js, events.StreamCommissions, noSubject, stateOf[events.DecisionV1], func(d events.DecisionV1) string { return d.CommissionID + "/" + d.ID })
	if s.decisions, err = decisions.Follow(ctx, dir, events.AllDecisions, decisionsView, s.log); err != nil {
		return err
	}
	deals := eventstore.New(s.js, events.StreamExports, noSubject, stateOf[events.DealV1], func(d events.DealV1) string { return d.ID })
	if s.deals, err = deals.Follow(ctx, dir, events.AllDeals, dealsView, s.log); err != nil {
		return err
	}
	barriers := eventstore.New(s.js, events.StreamExports, noSubject, stateOf[events.BarrierV1], func(b events.BarrierV1) string { return b.ID })
	if s.barriers, err = barriers.Follow(ctx, dir, events.AllBarriers, barriersView, s.log); err != nil {
		return err
	}
	for _, t := range []struct{ stream, filter, name string }{
		{events.StreamLeads, events.AllLeadTasks, "notify-lead-tasks"},
		{events.StreamExports, allExportTasks, "notify-export-tasks"},
		{events.StreamCommissions, events.AllDecisionTasks, "notify-decision-tasks"},
	} {
		tasks := eventstore.New(s.js, t.stream, noSubject, stateOf[events.TaskV1], func(x events.TaskV1) string { return x.ID })
		v, err := tasks.Follow(ctx, dir, t.filter, tasksView(t.name), s.log)
		if err != nil {
			return err
		}
		s.tasks = append(s.tasks, v)
	}
	return nil
}
