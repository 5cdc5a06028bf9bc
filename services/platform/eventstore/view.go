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
	// followed is the stream sequence of the last event the follower took;
	// put holds the sequences writers put past it, so the follower skips
	// their events without decoding them again (each write puts its own
	// result, then meets it on the stream).
	followed uint64
	put      map[uint64]struct{}
	// keys, when the store has an index (IndexBy), names each record in
	// index: key -> ids of the records with that key.
	keys  func(T) []string
	index map[string]map[string]struct{}
}

// maxPut bounds the sequences a view remembers for its follower; past it the
// ones the follower has passed are dropped (a writer's put of an event the
// follower never sees, outside its filter, must not stay for ever).
const maxPut = 4096

// IndexBy makes the views the store follows index their records by
// keys(state), for View.Lookup; call it before Follow.
func (s *Store[T]) IndexBy(keys func(T) []string) { s.keys = keys }

// Follow builds a view of every record on the store's stream and keeps it up to date until ctx ends.
func (s *Store[T]) Follow(ctx context.Context, filter string, log *slog.Logger) (*View[T], error) {
	v := &View[T]{recs: map[string]Record[T]{}, put: map[uint64]struct{}{}, keys: s.keys, index: map[string]map[string]struct{}{}}
	var last uint64
	if err := s.replay(ctx, filter, func(r Record[T]) { v.apply(r); last = r.Seq }); err != nil {
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
		if v.seen(meta.Sequence.Stream) {
			return // a write of this process put it already
		}
		rec, err := s.decode(msg.Data(), meta.Sequence.Stream)
		if err != nil {
			log.Error("view: undecodable event in the log", "stream", s.stream, "seq", meta.Sequence.Stream, "err", err)
			return
		}
		v.apply(rec)
	})
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	go func() { <-ctx.Done(); cc.Stop() }()
	return v, nil
}

// Put stores rec, a writer's result, unless the view already has a later
// event of the same record. The follower then skips rec's event.
func (v *View[T]) Put(rec Record[T]) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if rec.Seq > v.followed && v.put != nil {
		if len(v.put) >= maxPut {
			for seq := range v.put {
				if seq <= v.followed {
					delete(v.put, seq)
				}
			}
		}
		v.put[rec.Seq] = struct{}{}
	}
	v.store(rec)
}

// apply stores a record the follower decoded.
func (v *View[T]) apply(rec Record[T]) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.store(rec)
}

func (v *View[T]) store(rec Record[T]) {
	cur, had := v.recs[rec.ID]
	if had && cur.Seq >= rec.Seq {
		return
	}
	v.recs[rec.ID] = rec
	if v.keys == nil {
		return
	}
	if had {
		for _, k := range v.keys(cur.State) {
			delete(v.index[k], rec.ID)
			if len(v.index[k]) == 0 {
				delete(v.index, k)
			}
		}
	}
	for _, k := range v.keys(rec.State) {
		if v.index[k] == nil {
			v.index[k] = map[string]struct{}{}
		}
		v.index[k][rec.ID] = struct{}{}
	}
}

// Lookup returns the records whose state has key among its index keys
// (IndexBy), in no particular order: a map lookup, not a scan.
func (v *View[T]) Lookup(key string) []Record[T] {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []Record[T]
	for id := range v.index[key] {
		out = append(out, v.recs[id])
	}
	return out
}

// seen tells the follower, about to take the event at seq, whether a writer
// put that record at seq already: the view holds it (or a later event of
// the same record), and decoding it again would change nothing.
func (v *View[T]) seen(seq uint64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.followed = max(v.followed, seq)
	if _, ok := v.put[seq]; ok {
		delete(v.put, seq)
		return true
	}
	return false
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
