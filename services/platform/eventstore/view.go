package eventstore

import (
	"context"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/apperr"
)

// View is an in-memory read model of every record of a store, for lists and
// filters. It is derived from the log (rebuilt at start, then followed), so it
// can lag but never disagree; writes put their own result in at once so that
// a user sees their change in the next list.
type View[T any] struct {
	mu   sync.RWMutex
	recs map[string]Record[T]
}

// Follow builds a view of every record on the store's stream and keeps it up to date until ctx ends.
func (s *Store[T]) Follow(ctx context.Context, filter string, log *slog.Logger) (*View[T], error) {
	v := &View[T]{recs: map[string]Record[T]{}}
	var last uint64
	if err := s.replay(ctx, filter, func(r Record[T]) { v.Put(r); last = r.Seq }); err != nil {
		return nil, err
	}
	cons, err := s.js.OrderedConsumer(ctx, s.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    last + 1,
	})
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		meta, err := msg.Metadata()
		if err != nil {
			return
		}
		rec, err := s.decode(msg.Data(), meta.Sequence.Stream)
		if err != nil {
			log.Error("view: undecodable event in the log", "stream", s.stream, "seq", meta.Sequence.Stream, "err", err)
			return
		}
		v.Put(rec)
	})
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	go func() { <-ctx.Done(); cc.Stop() }()
	return v, nil
}

// Put stores rec unless the view already has a later event of the same record.
func (v *View[T]) Put(rec Record[T]) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if cur, ok := v.recs[rec.ID]; ok && cur.Seq >= rec.Seq {
		return
	}
	v.recs[rec.ID] = rec
}

// Get returns the record with id.
func (v *View[T]) Get(id string) (Record[T], bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	r, ok := v.recs[id]
	return r, ok
}

// Select returns the records whose state passes keep, in no particular order.
func (v *View[T]) Select(keep func(T) bool) []Record[T] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []Record[T]
	for _, r := range v.recs {
		if keep(r.State) {
			out = append(out, r)
		}
	}
	return out
}

// Len is the number of records in the view.
func (v *View[T]) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.recs)
}
