package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/apperr"
)

// View is a read model of every record of a store, for lists, filters and
// lookups: each record's latest event, kept in a SQLite file with the
// columns and indexes its Shape names, and with the stream sequence it
// covers. It is derived from the log, so it can lag but never disagree, and
// deleting the file only costs a rebuild. A service that starts opens the
// file and follows the stream from the sequence after the one it covers:
// the start costs the events written since the last run, not the history,
// and memory holds a batch of events, not every record.
//
// Writes put their own result in (Put), so that a user sees their change
// in the next list. Encode once, decode once: the follower meets the same
// event on the stream and does not decode it again, and the record a writer
// put is stored with the bytes the follower received (re-encoded only when
// a read comes before the follower). Events no writer of this process put
// (another instance's) are decoded when they are stored: a batch is stored
// flushAfter after its first event, when it reaches flushBatch events, or
// before any read, so a read sees everything the follower received.
type View[T any] struct {
	store *Store[T]
	shape Shape[T]
	db    *viewDB
	log   *slog.Logger
	name  string

	// wmu serializes the writes to the file, and guards shut; mu guards
	// what follows it.
	wmu  sync.Mutex
	shut bool // the file is closed (ctx ended): a flush timer that fires later has nowhere to write
	mu   sync.Mutex
	// followed is the stream sequence of the last event the follower
	// received; queue holds what is not in the file yet, by sequence: the
	// follower's bytes, a writer's record, or both. stored holds the
	// sequences writers put that reached the file before the follower
	// received them (so it skips them).
	followed uint64
	queue    map[uint64]*queued[T]
	stored   map[uint64]struct{}
	flushing bool // a timed flush is scheduled
	wait     time.Duration

	caughtUp  atomic.Bool
	caughtCh  chan struct{}
	catchWait time.Duration
	target    atomic.Uint64 // the stream's last sequence when the view opened
	closed    chan struct{}
}

// queued is one event of a view's stream on its way to the file.
type queued[T any] struct {
	data []byte     // as the follower received it; nil until it does
	rec  *Record[T] // as a writer put it; nil when none did
}

// Shape is what a view keeps of a record besides its event: the columns
// lists filter on, the order they are listed in, the words they search, the
// keys they are found by, and the indexes over the columns. Every function
// must depend on the state only. Change Version whenever one of them gives
// other values for the same state: the view is then rebuilt from the log.
type Shape[T any] struct {
	// Name names the view's file in the views directory ("leads").
	Name string
	// Order is the list order: records are listed by this string,
	// ascending (bytewise), so it ends with the record's id to make the
	// order total. Nil: by id.
	Order func(T) string
	// Columns are filtered on with equality (Query.Match).
	Columns []Column[T]
	// Text is what Query.Text looks in, already lower case. Nil: no search.
	Text func(T) string
	// Keys find a record by any of them (View.Lookup). Nil: no lookup.
	Keys func(T) []string
	// Indexes are the column combinations lists filter by together; each
	// index ends with the order, so a filtered page is a range of it.
	Indexes [][]string
	Version int
}

// Column is a field of the record kept as a column of the view.
type Column[T any] struct {
	Name string // a SQL identifier: lower case letters, digits, '_'
	Of   func(T) string
}

// flushBatch is how many queued events make the follower store them at
// once (and wait for the file), which bounds the memory of a catch-up.
const flushBatch = 2000

// flushAfter is how long an event waits for a read or a batch before it is
// stored anyway.
var flushAfter = 50 * time.Millisecond

// maxStored bounds the sequences a view remembers for its follower; past it
// the ones the follower has passed are dropped (a writer's put of an event
// the follower never sees, outside its filter, must not stay for ever).
const maxStored = 4096

// catchUpWait is how long a read waits for a view that is still catching
// up before it is refused as unavailable.
const catchUpWait = 3 * time.Second

// Follow opens the view named shape.Name in dir (a temporary directory
// when dir is empty: the view then lives as long as ctx), brings it up to
// the stream's events on filter and keeps it there until ctx ends. It
// returns at once: the view catches up in the background (reads wait for
// it, see Ready) from the last sequence its file covers. A file written for
// another stream (the stream was recreated) or another shape is rebuilt.
func (s *Store[T]) Follow(ctx context.Context, dir, filter string, shape Shape[T], log *slog.Logger) (*View[T], error) {
	info, err := s.streamInfo(ctx)
	if err != nil {
		return nil, err
	}
	db, err := openViewDB(ctx, dir, shape.viewShape(), viewOrigin{stream: s.stream, filter: filter, created: info.Created}, info.State.LastSeq, log)
	if err != nil {
		return nil, err
	}
	v := &View[T]{store: s, shape: shape, db: db, log: log.With("view", shape.Name), name: shape.Name,
		queue: map[uint64]*queued[T]{}, stored: map[uint64]struct{}{}, wait: flushAfter,
		caughtCh: make(chan struct{}), catchWait: catchUpWait, closed: make(chan struct{})}
	v.followed = db.covered
	v.target.Store(info.State.LastSeq)
	cons, err := s.js.OrderedConsumer(ctx, s.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    db.covered + 1,
	})
	if err != nil {
		db.close()
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	if cons.CachedInfo().NumPending == 0 {
		v.markCaughtUp(0)
	} else {
		v.log.Info("read model catching up", "from_seq", db.covered+1, "events", cons.CachedInfo().NumPending)
	}
	started := time.Now()
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		meta, err := msg.Metadata()
		if err != nil {
			return
		}
		v.received(meta.Sequence.Stream, msg.Data())
		if meta.NumPending == 0 && !v.caughtUp.Load() {
			v.flush()
			v.markCaughtUp(time.Since(started))
		}
	})
	if err != nil {
		db.close()
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	go v.reportProgress(ctx, started)
	go func() {
		<-ctx.Done()
		cc.Stop()
		v.flush()
		v.wmu.Lock()
		v.shut = true
		db.close()
		v.wmu.Unlock()
		close(v.closed)
	}()
	return v, nil
}

func (s *Store[T]) streamInfo(ctx context.Context) (*jetstream.StreamInfo, error) {
	st, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	return info, nil
}

func (v *View[T]) markCaughtUp(took time.Duration) {
	if v.caughtUp.CompareAndSwap(false, true) {
		close(v.caughtCh)
		if took > 0 {
			v.log.Info("read model caught up", "seq", v.covered(), "seconds", took.Round(time.Millisecond).Seconds())
		}
	}
}

// reportProgress logs a long catch-up every few seconds.
func (v *View[T]) reportProgress(ctx context.Context, started time.Time) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-v.caughtCh:
			return
		case <-tick.C:
			v.log.Info("read model catching up", "seq", v.covered(), "of", v.target.Load(),
				"seconds", time.Since(started).Round(time.Second).Seconds())
		}
	}
}

func (v *View[T]) covered() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.followed
}

// Closed is closed once the view has stopped following (ctx ended) and
// released its file, so that another view may open it.
func (v *View[T]) Closed() <-chan struct{} { return v.closed }

// Ready is nil once the view has caught up with the stream as it was when
// it opened; before, an error saying how far it is: for /readyz.
func (v *View[T]) Ready(context.Context) error {
	if v.caughtUp.Load() {
		return nil
	}
	return fmt.Errorf("read model %s catching up: at sequence %d of %d", v.name, v.covered(), v.target.Load())
}

// readable waits, for a while, until the view has caught up.
func (v *View[T]) readable() error {
	if v.caughtUp.Load() {
		return nil
	}
	t := time.NewTimer(v.catchWait)
	defer t.Stop()
	select {
	case <-v.caughtCh:
		return nil
	case <-t.C:
		target := max(v.target.Load(), 1)
		return apperr.E(apperr.Unavailable, "error.view_catching_up", int(100*min(v.covered(), target)/target))
	}
}

// received takes the event at seq from the follower.
func (v *View[T]) received(seq uint64, data []byte) {
	v.mu.Lock()
	if seq <= v.followed {
		// Delivered again (an ordered consumer that reset after missed
		// heartbeats starts after the last message it handed over, but a
		// message can be in flight): the follower delivers in order, so it
		// was taken already.
		v.mu.Unlock()
		return
	}
	v.followed = seq
	if _, ok := v.stored[seq]; ok {
		delete(v.stored, seq)
		v.mu.Unlock()
		return
	}
	if q, ok := v.queue[seq]; ok {
		q.data = data
	} else {
		v.queue[seq] = &queued[T]{data: data}
	}
	full := len(v.queue) >= flushBatch
	if !full && !v.flushing {
		v.flushing = true
		time.AfterFunc(v.wait, v.flush)
	}
	v.mu.Unlock()
	if full {
		v.flush() // the follower waits: a catch-up holds one batch in memory
	}
}

// Put stores rec, a writer's result, unless the view has a later event of
// the same record; the follower will not decode rec's event.
func (v *View[T]) Put(rec Record[T]) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if q, ok := v.queue[rec.Seq]; ok {
		q.rec = &rec
		return
	}
	if rec.Seq <= v.followed {
		return // received and stored already (a replayed create answering the stored record)
	}
	v.queue[rec.Seq] = &queued[T]{rec: &rec}
	if !v.flushing {
		v.flushing = true
		time.AfterFunc(v.wait, v.flush)
	}
}

// flush stores the queued events and the sequence the view now covers.
func (v *View[T]) flush() {
	v.wmu.Lock()
	defer v.wmu.Unlock()
	if v.shut {
		// What is queued is in the log, and the next start catches up from
		// the sequence the file covers: nothing is lost.
		return
	}
	v.mu.Lock()
	v.flushing = false
	batch, covered := v.queue, v.followed
	v.queue = map[uint64]*queued[T]{}
	v.mu.Unlock()
	if len(batch) == 0 && covered <= v.db.covered {
		return
	}
	rows := make([]viewRow, 0, len(batch))
	var putAhead []uint64 // writers' events stored before the follower received them
	for _, seq := range slices.Sorted(maps.Keys(batch)) {
		row, err := v.row(seq, batch[seq])
		if err != nil {
			v.log.Error("read model: undecodable event in the log", "stream", v.store.stream, "seq", seq, "err", err)
			continue
		}
		rows = append(rows, row)
		if batch[seq].data == nil {
			putAhead = append(putAhead, seq)
		}
	}
	if err := v.db.write(rows, covered); err != nil {
		// Keep the batch for the next flush: nothing is dropped.
		v.log.Error("read model: storing events failed; retrying with the next batch", "events", len(batch), "err", err)
		v.mu.Lock()
		for seq, q := range batch {
			if cur, ok := v.queue[seq]; ok {
				cur.data, cur.rec = cmpOr(cur.data, q.data), cmpOrPtr(cur.rec, q.rec)
			} else {
				v.queue[seq] = q
			}
		}
		if !v.flushing {
			v.flushing = true
			time.AfterFunc(time.Second, v.flush)
		}
		v.mu.Unlock()
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, seq := range putAhead {
		if seq > v.followed {
			v.stored[seq] = struct{}{}
		} else if q, ok := v.queue[seq]; ok && q.rec == nil {
			// The follower received it while this batch was being written:
			// the writer's record is stored already, the event needs no decoding.
			delete(v.queue, seq)
		}
	}
	if len(v.stored) > maxStored {
		for seq := range v.stored {
			if seq <= v.followed {
				delete(v.stored, seq)
			}
		}
	}
}

func cmpOr(a, b []byte) []byte {
	if a != nil {
		return a
	}
	return b
}

func cmpOrPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// row is the file's row of a queued event: from the writer's record when
// there is one (no decoding), else decoded from the follower's bytes.
func (v *View[T]) row(seq uint64, q *queued[T]) (viewRow, error) {
	var rec Record[T]
	data := q.data
	switch {
	case q.rec != nil:
		rec = *q.rec
		if data == nil {
			var err error
			if data, err = json.Marshal(rec.Envelope); err != nil {
				return viewRow{}, err
			}
		}
	default:
		var err error
		if rec, err = v.store.decode(data, seq); err != nil {
			return viewRow{}, err
		}
	}
	return v.rowOf(rec.ID, seq, data, rec.State), nil
}

// rowOf is the file's row of a record's event.
func (v *View[T]) rowOf(id string, seq uint64, data []byte, state T) viewRow {
	row := viewRow{id: id, seq: seq, data: data, cols: make([]string, len(v.shape.Columns))}
	if v.shape.Order != nil {
		row.order = v.shape.Order(state)
	} else {
		row.order = id
	}
	if v.shape.Text != nil {
		row.text = v.shape.Text(state)
	}
	for i, c := range v.shape.Columns {
		row.cols[i] = c.Of(state)
	}
	if v.shape.Keys != nil {
		row.keys = v.shape.Keys(state)
	}
	return row
}
