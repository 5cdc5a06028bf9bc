package ingest

// The aggregates that ingest keeps (analytics/aggregates.go,
// AGGREGATES.md): for every event of a record in a family (a lead for the
// pipeline, a deal for the exports) ingest writes to the family's ledger
// the retraction of the record's previous keys and its new keys, and the
// ledger's view adds them up.
//
// The previous keys are those of the event the append expected to follow:
// the event store publishes a record's event with
// Nats-Expected-Last-Subject-Sequence (0 for the event that creates it),
// and JetStream keeps that header with the message. So the previous state
// comes from the log alone, whatever the batches and their order: from the
// same load, from the keys of recent events kept here, or read from the
// stream by sequence. ClickHouse is not asked what it holds of the record.
//
// The ledger deduplicates on its own (Family.Held), not through the events
// table: a crash between the events' insert and the ledger's would
// otherwise leave the redelivered events stored and their changes missing.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
)

// recorded is a message that ingest projected into one state of a
// family's record: where its rows are in the load, and the sequence its
// append expected to follow.
type recorded struct {
	seq    uint64
	header string // Nats-Expected-Last-Subject-Sequence; "" when published without it
	state  int    // its state row among the family's (Family.At)
	event  int    // its events row
}

// recordedOf returns what the aggregates need of m, projected into the
// state row state and the events row event.
func recordedOf(m jetstream.Msg, seq uint64, state, event int) recorded {
	return recorded{seq: seq, header: m.Headers().Get(jetstream.ExpectedLastSubjSeqHeader), state: state, event: event}
}

// keeper keeps one family's ledger, whatever its keys.
type keeper interface {
	// stream is the stream whose events the family follows.
	stream() string
	// states is how many of the family's state rows rows holds.
	states(rows *analytics.Rows) int
	// write adds the changes of msgs, projected into rows, to the ledger.
	write(ctx context.Context, rows *analytics.Rows, msgs []recorded) error
	// refresh makes the ledger complete and the aggregates current for the
	// loaded rates; prepare does the same as a user who may run DDL, and
	// says why not when it cannot.
	refresh(ctx context.Context) error
	prepare(ctx context.Context) error
	// settle returns once the ledger's lock, given back in the background
	// after a write, is given back: before the inserter stops.
	settle()
}

// keepers returns a keeper of each family ingest keeps, by stream.
func keepers(js jetstream.JetStream, conn driver.Conn, log *slog.Logger) map[string][]keeper {
	out := map[string][]keeper{}
	for _, k := range []keeper{
		newAggregates(analytics.LeadKPI, js, conn, log),
		newAggregates(analytics.DealExports, js, conn, log),
		newAggregates(analytics.BarrierFigures, js, conn, log),
	} {
		out[k.stream()] = append(out[k.stream()], k)
	}
	return out
}

// familyEvent is what the aggregates need of one event of a record.
type familyEvent[K analytics.FamilyKeys[K]] struct {
	seq     uint64
	prev    uint64 // the sequence of the record's previous event; 0: it created the record
	placed  bool   // prev is known (the header, or a first version)
	version uint32
	eventID uuid.UUID
	record  any
	keys    K
	// copyOf is the events row of an event published without the header
	// (by a tool, not the service): it may be a copy of a message stored
	// before, which must not count twice. Nil for the others.
	copyOf *analytics.EventRow
}

func (a *aggregates[K]) eventOf(rows *analytics.Rows, r recorded) familyEvent[K] {
	st := a.fam.At(rows, r.state, r.event)
	e := familyEvent[K]{seq: r.seq, version: st.Version, eventID: st.EventID, record: st.Record, keys: st.Keys}
	if r.header != "" {
		if prev, err := strconv.ParseUint(r.header, 10, 64); err == nil {
			e.prev, e.placed = prev, true
		}
	} else {
		ev := rows.Events[r.event]
		e.placed, e.copyOf = st.Version == 1, &ev
	}
	return e
}

// dropCopies takes out of evs the events published again without the
// header (a copy of a stored message: the events table holds the same
// event at a lower sequence, or the load does).
func (a *aggregates[K]) dropCopies(ctx context.Context, evs []familyEvent[K]) ([]familyEvent[K], error) {
	var suspects []analytics.EventRow
	for _, e := range evs {
		if e.copyOf != nil {
			suspects = append(suspects, *e.copyOf)
		}
	}
	if len(suspects) == 0 {
		return evs, nil
	}
	stored, err := analytics.StoredEventSeqs(ctx, a.conn, suspects)
	if err != nil {
		return nil, err
	}
	for _, e := range evs { // the load's own first sequence of each event
		if first, ok := stored[e.eventID]; !ok || e.seq < first {
			stored[e.eventID] = e.seq
		}
	}
	kept := make([]familyEvent[K], 0, len(evs))
	for _, e := range evs {
		if first := stored[e.eventID]; e.copyOf != nil && first < e.seq {
			a.log.Info("event published again without the header: a copy of the message at an earlier sequence, counted once", "seq", e.seq, "first_seq", first, "event", e.eventID)
			continue
		}
		kept = append(kept, e)
	}
	return kept, nil
}

// recentKeys is how many events' keys ingest keeps per family, so that a
// record's next event rarely reads its predecessor from the stream.
const recentKeys = 50_000

// aggregates keeps one family's ledger. Only its stream's inserter uses it.
type aggregates[K analytics.FamilyKeys[K]] struct {
	fam  *analytics.Family[K]
	js   jetstream.JetStream
	conn driver.Conn
	log  *slog.Logger
	base *slog.Logger // log without the family's name, for Prepare, which names it

	off    bool         // the ClickHouse user may not make the aggregates: ingest goes on without them
	lease  *natsx.Lease // the ledger's lock
	ready  bool         // the ledger exists and holds every event before the live ones
	keep   int          // how many recent events' keys to keep: recentKeys
	recent map[uint64]K
	order  []uint64 // recent's sequences, oldest first, as a ring
	next   int      // where the next sequence goes in order

	unplaced int64 // events whose previous state could not be found: logged, counted
	lookups  int64 // previous events read from the stream
}

func newAggregates[K analytics.FamilyKeys[K]](fam *analytics.Family[K], js jetstream.JetStream, conn driver.Conn, log *slog.Logger) *aggregates[K] {
	return &aggregates[K]{fam: fam, js: js, conn: conn, log: log.With("aggregates", fam.Name), base: log, keep: recentKeys, recent: map[uint64]K{}}
}

func (a *aggregates[K]) stream() string                  { return a.fam.Stream }
func (a *aggregates[K]) states(rows *analytics.Rows) int { return a.fam.States(rows) }

// remember keeps the keys of seq, forgetting the oldest beyond keep.
func (a *aggregates[K]) remember(seq uint64, keys K) {
	if _, ok := a.recent[seq]; ok {
		return
	}
	if len(a.order) < a.keep {
		a.order = append(a.order, seq)
	} else {
		delete(a.recent, a.order[a.next])
		a.order[a.next] = seq
		a.next = (a.next + 1) % a.keep
	}
	a.recent[seq] = keys
}

// write adds the changes of msgs (a load's events of the family) to the
// ledger, leaving out those it holds.
// The aggregates are not made current here: rows the view converts at
// other rates than those the aggregates were projected at only make them
// not current (the figures read the states) until the next refresh
// re-projects them from the ledger, which holds the rows as stated.
func (a *aggregates[K]) write(ctx context.Context, rows *analytics.Rows, msgs []recorded) error {
	if a.off || len(msgs) == 0 {
		return nil
	}
	evs := make([]familyEvent[K], len(msgs))
	for i, m := range msgs {
		evs[i] = a.eventOf(rows, m)
	}
	return a.locked(ctx, func(ctx context.Context) error {
		if err := a.prepareLedger(ctx); err != nil || a.off {
			return err
		}
		return a.add(ctx, evs)
	})
}

func (a *aggregates[K]) settle() {
	if a.lease != nil {
		a.lease.WaitReleased()
	}
}

// refresh makes the ledger complete and the aggregates current for the
// loaded rates (none loaded yet: the ledger only).
func (a *aggregates[K]) refresh(ctx context.Context) error {
	if a.off {
		return nil
	}
	// A user without DDL: econdip migrate or the reload of the rates
	// re-projects (PrepareAggregates).
	return a.project(ctx, true)
}

// prepare is refresh as a user who may create the tables: an error says
// why they are not made.
func (a *aggregates[K]) prepare(ctx context.Context) error { return a.project(ctx, false) }

// project makes the ledger complete and the aggregates current under the
// lock; no rates yet is no error, nor with withoutDDL a user who may not
// re-project.
func (a *aggregates[K]) project(ctx context.Context, withoutDDL bool) error {
	defer a.settle() // the lock given back before econdip migrate or rebuild goes on (or stops)
	return a.locked(ctx, func(ctx context.Context) error {
		if err := a.prepareLedger(ctx); err != nil || withoutDDL && a.off {
			return err
		}
		_, err := a.fam.Prepare(ctx, a.conn, a.base)
		if errors.Is(err, analytics.ErrNoRates) || withoutDDL && analytics.IsNotAllowed(err) {
			return nil
		}
		return err
	})
}

// locked runs work holding the family's lock (natsx.BucketIngestLock),
// waiting while another ingest instance holds it, and renewing it while
// work runs; work's context ends if the lock is lost.
func (a *aggregates[K]) locked(ctx context.Context, work func(context.Context) error) error {
	if a.lease == nil {
		kv, err := a.js.KeyValue(ctx, natsx.BucketIngestLock)
		if err != nil {
			return fmt.Errorf("%s aggregates: the lock bucket %s (econdip migrate creates it): %w", a.fam.Name, natsx.BucketIngestLock, err)
		}
		// One lock per family and database: a rebuild into another does not wait for the live ingest.
		var db string
		if err := a.conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
			return fmt.Errorf("%s aggregates: %w", a.fam.Name, err)
		}
		// Taken and given back at every write: its own log would say so each time.
		a.lease = natsx.NewLease(kv, a.fam.Name+"."+db, uuid.NewString(), natsx.IngestLockTTL, obs.Discard(), "the "+a.fam.Ledger+" ledger's writes", nil)
	}
	start, told := time.Now(), false
	for !a.lease.Try(ctx) {
		if !told && time.Since(start) > 5*time.Second {
			a.log.Info("waiting for the ledger's lock: another ingest instance holds it (re-projecting, or it died: the lock expires after its TTL)", "ttl", natsx.IngestLockTTL.String())
			told = true
		}
		sleep(ctx, 20*time.Millisecond)
		if ctx.Err() != nil {
			return fmt.Errorf("%s aggregates: waiting for the ledger's lock: %w", a.fam.Name, ctx.Err())
		}
	}
	defer a.lease.ReleaseInBackground() // the rows' insert need not wait for it; the next write's Try does
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop, renewed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(renewed)
		tick := time.NewTicker(natsx.IngestLockTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if !a.lease.Try(ctx) {
					cancel()
					return
				}
			}
		}
	}()
	err := work(wctx)
	close(stop)
	<-renewed
	if err == nil && !a.lease.Held() {
		return fmt.Errorf("%s aggregates: the ledger's lock was lost while writing; the batch is written again", a.fam.Name)
	}
	return err
}

// PrepareAggregates makes every family's ledger complete (created, and
// filled from its stream the first time) and its aggregates current for
// the rates loaded, under each family's lock. econdip migrate and econdip
// up call it as a user with DDL, after loading the rates (and again after
// a reload of them), so that ingest, which may not create tables, finds
// them.
func PrepareAggregates(ctx context.Context, js jetstream.JetStream, conn driver.Conn, log *slog.Logger) error {
	for _, ks := range keepers(js, conn, log) {
		for _, k := range ks {
			if err := k.prepare(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// errUnplaced: an event, or one before it in its record's history, was
// published without the sequence it followed.
var errUnplaced = errors.New("published without Nats-Expected-Last-Subject-Sequence")

// add writes the ledger rows of evs it does not hold yet.
func (a *aggregates[K]) add(ctx context.Context, evs []familyEvent[K]) error {
	evs, err := a.dropCopies(ctx, evs)
	if err != nil || len(evs) == 0 {
		return err
	}
	// In stream order, so that an event's keys are complete (Derive)
	// before the next event of its record reads them.
	slices.SortStableFunc(evs, func(x, y familyEvent[K]) int { return cmp.Compare(x.seq, y.seq) })
	lo, hi := evs[0].seq, evs[len(evs)-1].seq
	inLoad := make(map[uint64]K, len(evs))
	if a.fam.Derive == nil {
		for _, e := range evs {
			inLoad[e.seq] = e.keys
		}
	}
	held, err := a.fam.Held(ctx, a.conn, lo, hi)
	if err != nil {
		return err
	}
	var rows []analytics.Change[K]
	for _, e := range evs {
		if held[e.seq] && a.fam.Derive == nil {
			a.remember(e.seq, e.keys)
			continue // its keys are its own: nothing to complete for the next events
		}
		var prev K
		if e.placed && e.prev != 0 {
			prev, err = a.keysOf(ctx, e.prev, inLoad)
			if errors.Is(err, errUnplaced) {
				e.placed = false
			} else if err != nil {
				return fmt.Errorf("%v, event %d: its previous event %d: %w", e.record, e.seq, e.prev, err)
			}
		}
		if !e.placed {
			if !held[e.seq] {
				held[e.seq] = true
				a.unplaced++
				obs.IngestUnplacedEvents.WithLabelValues(a.fam.Name).Inc()
				a.log.Warn("event without the sequence it followed, or after one (published without Nats-Expected-Last-Subject-Sequence); left out of the aggregates, which then differ from the states: re-publish it through its service",
					"seq", e.seq, "record", e.record, "version", e.version)
			}
			continue
		}
		if a.fam.Derive != nil && e.prev != 0 {
			e.keys = a.fam.Derive(prev, e.keys)
		}
		inLoad[e.seq] = e.keys
		a.remember(e.seq, e.keys)
		if held[e.seq] {
			continue
		}
		held[e.seq] = true // the same event twice in one load
		rows = append(rows, analytics.Changes(e.seq, e.eventID, e.record, e.prev == 0, prev, e.keys)...)
	}
	return a.fam.Write(ctx, a.conn, rows)
}

// keysOf returns the keys of the event at seq: from the load, the recent
// events, or the stream.
func (a *aggregates[K]) keysOf(ctx context.Context, seq uint64, inLoad map[uint64]K) (K, error) {
	if k, ok := inLoad[seq]; ok {
		return k, nil
	}
	if k, ok := a.recent[seq]; ok {
		return k, nil
	}
	return a.keysAt(ctx, seq)
}

// projectOne projects one message of the family's stream, published with
// the header (Nats-Expected-Last-Subject-Sequence); ok is false when it is
// not one state of the family's records.
func (a *aggregates[K]) projectOne(header string, seq uint64, data []byte) (familyEvent[K], bool) {
	env, ev, err := events.Decode(data)
	if err != nil {
		return familyEvent[K]{}, false // dead-lettered by the live ingest: not in the states either
	}
	var rows analytics.Rows
	if project(&rows, a.fam.Stream, seq, env, ev) != nil || a.fam.States(&rows) != 1 || len(rows.Events) != 1 {
		return familyEvent[K]{}, false
	}
	return a.eventOf(&rows, recorded{seq: seq, header: header}), true
}

// keysAt reads the event at seq from the stream, and those before it of
// its record as far as its keys need them (Derive).
func (a *aggregates[K]) keysAt(ctx context.Context, seq uint64) (K, error) {
	var none K
	st, err := a.js.Stream(ctx, a.fam.Stream)
	if err != nil {
		return none, err
	}
	a.lookups++
	msg, err := st.GetMsg(ctx, seq)
	if err != nil {
		return none, err
	}
	e, ok := a.projectOne(msg.Header.Get(jetstream.ExpectedLastSubjSeqHeader), seq, msg.Data)
	if !ok {
		return none, fmt.Errorf("message %d of %s is not a state of the %s records", seq, a.fam.Stream, a.fam.Name)
	}
	if a.fam.Derive != nil && !e.placed {
		return none, errUnplaced
	}
	if a.fam.Derive != nil && e.prev != 0 {
		prev, err := a.keysOf(ctx, e.prev, nil)
		if err != nil {
			return none, err
		}
		e.keys = a.fam.Derive(prev, e.keys)
	}
	a.remember(seq, e.keys)
	return e.keys, nil
}

// prepareLedger creates the ledger and, the first time, fills it with the
// events ingest wrote before the ledger existed (a database from before
// the aggregates), read from the stream up to the last one the events
// table holds, with progress.
func (a *aggregates[K]) prepareLedger(ctx context.Context) error {
	if a.ready || a.off {
		return nil
	}
	through, done, err := a.fam.LedgerBackfill(ctx, a.conn)
	if analytics.IsNotAllowed(err) {
		// A user without DDL (the production ingest_writer, econdip up's
		// writer): the ledger is prepared by econdip migrate or econdip up
		// (PrepareAggregates), before ingest writes to it.
		ready, rerr := a.fam.LedgerReady(ctx, a.conn)
		switch {
		case rerr == nil && ready:
			a.ready = true
			return nil
		case analytics.IsNotAllowed(rerr):
			a.off = true // nothing is half made: without the ledger there are no aggregates
			a.log.Error("ingest's ClickHouse user may not read the aggregates' tables: ingest runs without them, and the figures read the states (slower); grant what deploy/README.md lists for ingest_writer and restart ingest", "err", rerr)
			return nil
		case rerr != nil:
			return rerr
		}
		return fmt.Errorf("the ledger %s is not prepared and ingest's ClickHouse user may not create it: run econdip migrate, which prepares it (%s events wait meanwhile): %w", a.fam.Ledger, a.fam.Stream, err)
	}
	if err != nil {
		return err
	}
	if !done && through > 0 {
		if err := a.backfill(ctx, through); err != nil {
			return err
		}
	}
	if !done {
		if err := a.fam.LedgerBackfilled(ctx, a.conn, through); err != nil {
			return err
		}
	}
	a.ready = true
	return nil
}

// backfillBatch is how many events the backfill writes at a time.
const backfillBatch = 5000

// backfill writes the ledger rows of the stream's events 1..through.
func (a *aggregates[K]) backfill(ctx context.Context, through uint64) error {
	start := time.Now()
	a.log.Info("filling the ledger with the events written before it existed", "ledger", a.fam.Ledger, "through_seq", through)
	cons, err := a.js.OrderedConsumer(ctx, a.fam.Stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("ledger %s backfill: %w", a.fam.Ledger, err)
	}
	var batch []familyEvent[K]
	var last uint64 // the last sequence read
	lastReport := time.Now()
	for {
		fb, err := cons.Fetch(backfillBatch, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("ledger %s backfill: fetch: %w", a.fam.Ledger, err)
		}
		n := 0
		for m := range fb.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("ledger %s backfill: %w", a.fam.Ledger, err)
			}
			last = meta.Sequence.Stream
			if last > through {
				break
			}
			if e, ok := a.projectOne(m.Headers().Get(jetstream.ExpectedLastSubjSeqHeader), last, m.Data()); ok {
				batch = append(batch, e)
			}
		}
		if err := fb.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			if n == 0 {
				return fmt.Errorf("ledger %s backfill: fetch: %w", a.fam.Ledger, err)
			}
		}
		if err := a.add(ctx, batch); err != nil {
			return fmt.Errorf("ledger %s backfill: %w", a.fam.Ledger, err)
		}
		batch = batch[:0]
		if last >= through {
			break
		}
		if n == 0 {
			return fmt.Errorf("ledger %s backfill: %s ends at %d, the events table holds %d; try again, or rebuild (econdip rebuild)", a.fam.Ledger, a.fam.Stream, last, through)
		}
		if time.Since(lastReport) > 2*time.Second {
			a.log.Info("filling the ledger", "ledger", a.fam.Ledger, "through_seq", last, "of", through)
			lastReport = time.Now()
		}
	}
	a.log.Info("ledger filled", "ledger", a.fam.Ledger, "through_seq", through, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}
