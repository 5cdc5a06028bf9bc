package app

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
)

// StreamTargets checks link targets in the event log: a lead exists when its
// subject in the LEADS stream has an event. Export deals come with their own
// stream; until then no deal exists.
type StreamTargets struct{ JS jetstream.JetStream }

// Exists reports whether the lead or deal with id exists.
func (t StreamTargets) Exists(ctx context.Context, kind, id string) (bool, error) {
	if kind != "lead" {
		return false, nil
	}
	st, err := t.JS.Stream(ctx, events.StreamLeads)
	if err != nil {
		return false, err
	}
	_, err = st.GetLastMsgForSubject(ctx, events.LeadSubject(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	return err == nil, err
}
