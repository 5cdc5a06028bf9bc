package app

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
)

// Decisions finds the IGC decision a deal says it followed from.
type Decisions interface {
	// Decision returns the decision's current state; ok is false when there is none.
	Decision(ctx context.Context, commissionID, decisionID string) (d events.DecisionV1, ok bool, err error)
}

// StreamDecisions reads decisions from the event log: a decision exists when
// its subject in the COMMISSIONS stream has an event, and that last event is
// its current state. An id that cannot be part of a subject (a wildcard) is
// no decision.
type StreamDecisions struct{ JS jetstream.JetStream }

// Decision implements Decisions.
func (t StreamDecisions) Decision(ctx context.Context, commissionID, decisionID string) (events.DecisionV1, bool, error) {
	subject, err := events.DecisionSubject(commissionID, decisionID)
	if err != nil {
		return events.DecisionV1{}, false, nil
	}
	st, err := t.JS.Stream(ctx, events.StreamCommissions)
	if err != nil {
		return events.DecisionV1{}, false, err
	}
	msg, err := st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return events.DecisionV1{}, false, nil
	}
	if err != nil {
		return events.DecisionV1{}, false, err
	}
	_, ev, err := events.Decode(msg.Data)
	if err != nil {
		return events.DecisionV1{}, false, err
	}
	s, ok := ev.(events.DecisionSnapshot)
	if !ok {
		return events.DecisionV1{}, false, nil
	}
	return s.State(), true, nil
}
