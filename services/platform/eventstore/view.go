package eventstore

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/apperr"
)

// View is an in-memory read model of every record of a store, for lists and
// filters. It is derived from the log (rebuilt at start, then followed), so it
// can lag but never disagree; writes put their own result in at once so that
// a user sees their change in the next list.
//
// Encode once, decode once: a write of this process puts its record, built
// from the event in hand, and the follower then meets the same event on the
// stream. It does not decode it again: the follower keeps each event it
// receives undecoded (pending) until a writer puts that sequence (then the
// event is dropped), a read needs the view (then every pending event is
// decoded first, so a read sees all the follower received, as before), or
// flushAfter has passed. A writer's put usually comes a moment after the
// follower received its event, sometimes a moment before: both orders skip
// the decoding.
type View[T any] struct {
	mu   sync.RWMutex
	recs map[string]Record[T]
	// followed is the stream sequence of the last event the follower
	// received; put holds the sequences writers put ahead of it, pending the
	// events it received that no writer has put yet.
	followed uint64
	put      map[uint64]struct{}
	pending  map[uint64][]byte
	flushing bool          // a flush is scheduled
	wait     time.Duration // flushAfter
	decode   func(data []byte, seq uint64) (Record[T], error)
	log      *slog.Logger
	stream   string
	// keys, when the store has an index (IndexBy), names each record in
	// index: key -> ids of the records with that key.
	keys  func(T) []string
	index map[string]map[string]struct{}
}

// maxPut bounds the sequences a view remembers for its follower; past it the
// ones the follower has passed are dropped (a writer's put of an event the
// follower never sees, outside its filter, must not stay for ever).
const maxPut = 4096

// flushAfter is how long an event no writer put waits for a read before it
// is decoded anyway (an event written by another process).
const flushAfter = 50 * time.Millisecond

// IndexBy makes the views the store follows index their records by
// keys(state), for View.Lookup; call it before Follow.
func (s *Store[T]) IndexBy(keys func(T) []string) { s.keys = keys }

// Follow builds a view of every record on the store's stream and keeps it up to date until ctx ends.
func (s *Store[T]) Follow(ctx context.Context, filter string, log *slog.Logger) (*View[T], error) {
	v := &View[T]{recs: map[string]Record[T]{}, put: map[uint64]struct{}{}, pending: map[uint64][]byte{},
		wait: flushAfter, decode: s.decode, log: log, stream: s.stream, keys: s.keys, index: map[string]map[string]struct{}{}}
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
		v.received(meta.Sequence.Stream, msg.Data())
	})
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	go func() { <-ctx.Done(); cc.Stop() }()
	return v, nil
}

// received takes the event at seq from the follower: skipped if a writer put
// it already, else pending until a writer puts it or someone reads.
func (v *View[T]) received(seq uint64, data []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.followed = max(v.followed, seq)
	if _, ok := v.put[seq]; ok {
		delete(v.put, seq)
		return
	}
	v.pending[seq] = data
	if !v.flushing {
		v.flushing = true
		time.AfterFunc(v.wait, v.flush)
	}
}

// flush decodes and applies the pending events.
func (v *View[T]) flush() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.flushing = false
	v.flushLocked()
}

func (v *View[T]) flushLocked() {
	for seq, data := range v.pending {
		delete(v.pending, seq)
		rec, err := v.decode(data, seq)
		if err != nil {
			v.log.Error("view: undecodable event in the log", "stream", v.stream, "seq", seq, "err", err)
			continue
		}
		v.store(rec) // in any order: store keeps each record's latest
	}
}

// read locks the view for reading, once the pending events are applied.
func (v *View[T]) read() {
	v.mu.RLock()
	if len(v.pending) == 0 {
		return
	}
	v.mu.RUnlock()
	v.mu.Lock()
	v.flushLocked()
	v.mu.Unlock()
	v.mu.RLock()
}

// Put stores rec, a writer's result, unless the view already has a later
// event of the same record. The follower does not decode rec's event.
func (v *View[T]) Put(rec Record[T]) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.pending[rec.Seq]; ok {
		delete(v.pending, rec.Seq)
	} else if rec.Seq > v.followed && v.put != nil {
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
	v.read()
	defer v.mu.RUnlock()
	var out []Record[T]
	for id := range v.index[key] {
		out = append(out, v.recs[id])
	}
	return out
}

// Get returns the record with id.
func (v *View[T]) Get(id string) (Record[T], bool) {
	v.read()
	defer v.mu.RUnlock()
	r, ok := v.recs[id]
	return r, ok
}

// Select returns the records whose state passes keep, in no particular order.
func (v *View[T]) Select(keep func(T) bool) []Record[T] {
	v.read()
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
	v.read()
	defer v.mu.RUnlock()
	return len(v.recs)
}
