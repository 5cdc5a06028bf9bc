package eventstore

import (
	"context"
	"errors"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/obs"
)

// NewRecord is the first event of a record that CreateAll stores.
type NewRecord struct {
	ID       string
	Envelope events.Envelope // built by events.New from Event
	Event    events.Event
}

// CreateAll stores the first event of every record, all or none, as one
// JetStream atomic batch (events.PublishBatch: the stream must allow
// atomic publish): each event expects its subject to be empty, so one
// record that exists already refuses the whole batch. Returns Conflict
// (error.records_exist) when any record exists or the batch's event ids
// were stored before (a replayed batch), TooManyRequests when the stream
// has too many batches open, Unavailable when JetStream did not answer; in
// every case nothing is stored. The records come back in the order given.
func (s *Store[T]) CreateAll(ctx context.Context, recs []NewRecord) ([]Record[T], error) {
	items := make([]events.BatchItem, len(recs))
	none := uint64(0)
	for i, r := range recs {
		subject, err := s.subject(r.ID)
		if err != nil {
			return nil, apperr.Wrap(apperr.Invalid, err, "error.id_invalid", r.ID)
		}
		if err := checkEvent(r.Envelope, r.Event); err != nil {
			return nil, err
		}
		items[i] = events.BatchItem{Subject: subject, Envelope: r.Envelope, ExpectLastSubjectSeq: &none}
	}
	ack, err := events.PublishBatch(ctx, s.js, items)
	switch {
	case errors.Is(err, events.ErrWrongLastSequence), errors.Is(err, events.ErrBatchReplayed):
		return nil, apperr.Wrap(apperr.Conflict, err, "error.records_exist")
	case errors.Is(err, events.ErrBatchesBusy):
		return nil, apperr.Wrap(apperr.TooManyRequests, err, "error.store_busy")
	case err != nil:
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	// The batch's messages sit at the sequences just before the commit's.
	first := ack.Sequence - uint64(len(items)) + 1
	out := make([]Record[T], len(recs))
	for i, r := range recs {
		obs.EventsPublished.WithLabelValues(r.Envelope.Type).Inc()
		if out[i], err = s.FromEvent(r.Envelope, r.Event, first+uint64(i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
