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
// its current state. The caller has checked both ids, so neither can carry a
// subject wildcard.
type StreamDecisions struct{ JS jetstream.JetStream }

// Decision implements Decisions.
func (t StreamDecisions) Decision(ctx context.Context, commissionID, decisionID string) (events.DecisionV1, bool, error) {
	st, err := t.JS.Stream(ctx, events.StreamCommissions)
	if err != nil {
		return events.DecisionV1{}, false, err
	}
	msg, err := st.GetLastMsgForSubject(ctx, events.DecisionSubject(commissionID, decisionID))
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
