package app

import (
	"econdip/events"
	"econdip/services/platform/eventstore"
)

// The commissions service's read models. A commission's sessions and
// decisions are few; their lists narrow by commission in the file and sort
// in the service.
var (
	commissionsView = eventstore.Shape[events.CommissionV1]{
		Name:    "commissions",
		Order:   func(c events.CommissionV1) string { return c.Name + "\x00" + c.ID },
		Version: 1,
	}
	sessionsView = eventstore.Shape[events.SessionV1]{
		Name:    "sessions",
		Columns: []eventstore.Column[events.SessionV1]{{Name: "commission_id", Of: func(x events.SessionV1) string { return x.CommissionID }}},
		Indexes: [][]string{{"commission_id"}},
		Version: 1,
	}
	decisionsView = eventstore.Shape[events.DecisionV1]{
		Name:  "decisions",
		Order: func(d events.DecisionV1) string { return d.Deadline + "\x00" + d.Item + "\x00" + d.ID },
		Columns: []eventstore.Column[events.DecisionV1]{
			{Name: "commission_id", Of: func(d events.DecisionV1) string { return d.CommissionID }},
			{Name: "session_id", Of: func(d events.DecisionV1) string { return d.SessionID }},
			{Name: "status", Of: func(d events.DecisionV1) string { return d.Status }},
		},
		Indexes: [][]string{{"commission_id"}, {"commission_id", "status"}, {"session_id"}},
		Version: 1,
	}
)
