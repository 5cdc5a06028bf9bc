package app

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
)

// StreamRecords checks the records a decision links to in the event log: a lead exists when its
// subject in the LEADS stream has an event, an export deal when its subject
// in the EXPORTS stream has one.
type StreamRecords struct{ JS jetstream.JetStream }

// Exists reports whether the lead or deal with id exists.
func (t StreamRecords) Exists(ctx context.Context, kind, id string) (bool, error) {
	// Ids are UUIDs; the subject builders also refuse wildcards ("*", ">").
	if _, err := uuid.Parse(id); err != nil {
		return false, nil
	}
	var stream, subject string
	var err error
	switch kind {
	case "lead":
		stream = events.StreamLeads
		subject, err = events.LeadSubject(id)
	case "deal":
		stream = events.StreamExports
		subject, err = events.DealSubject(id)
	default:
		return false, nil
	}
	if err != nil {
		return false, nil
	}
	st, err := t.JS.Stream(ctx, stream)
	if err != nil {
		return false, err
	}
	_, err = st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	return err == nil, err
}
