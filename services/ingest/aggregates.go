package ingest

// The pipeline's aggregates (analytics/pipeline_agg.go, AGGREGATES.md):
// for every lead event ingest writes to the ledger lead_pipeline_changes
// the retraction of the lead's previous keys and its new keys, and the
// ledger's view adds them up.
//
// The previous keys are those of the event the append expected to follow:
// the event store publishes a lead's event with
// Nats-Expected-Last-Subject-Sequence (0 for the event that creates it),
// and JetStream keeps that header with the message. So the previous state
// comes from the log alone, whatever the batches and their order: from the
// same load, from the keys of recent events kept here, or read from the
// stream by sequence. ClickHouse is not asked what it holds of the lead.
//
// The ledger deduplicates on its own (HeldPipelineChanges), not through the
// events table: a crash between the events' insert and the ledger's would
// otherwise leave the redelivered events stored and their changes missing.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// leadEvent is what the aggregates need of one lead event.
type leadEvent struct {
	seq     uint64
	prev    uint64 // the sequence of the lead's previous event; 0: it created the lead
	placed  bool   // prev is known (the header, or a first version)
	version uint32
	eventID uuid.UUID
	leadID  uuid.UUID
	keys    analytics.PipelineKeys
	// copyOf is the events row of an event published without the header
	// (by a tool, not the leads service): it may be a copy of a message
	// stored before, which must not count twice. Nil for the others.
	copyOf *analytics.EventRow
}

// leadEventOf returns the lead event of a LEADS message that project turned
// into the lead state row and the events row ev.
func leadEventOf(m jetstream.Msg, seq uint64, row analytics.LeadStateRow, ev analytics.EventRow) leadEvent {
	e := leadEvent{seq: seq, version: row.Version, eventID: row.EventID, leadID: row.LeadID, keys: analytics.PipelineKeysOf(row)}
	if h := m.Headers().Get(jetstream.ExpectedLastSubjSeqHeader); h != "" {
		if prev, err := strconv.ParseUint(h, 10, 64); err == nil {
			e.prev, e.placed = prev, true
		}
	} else {
		e.placed, e.copyOf = row.Version == 1, &ev
	}
	return e
}

// dropCopies takes out of evs the events published again without the
// header (a copy of a stored message: the events table holds the same
// event at a lower sequence, or the load does).
func (p *pipelineAggregates) dropCopies(ctx context.Context, evs []leadEvent) ([]leadEvent, error) {
	var suspects []analytics.EventRow
	for _, e := range evs {
		if e.copyOf != nil {
			suspects = append(suspects, *e.copyOf)
		}
	}
	if len(suspects) == 0 {
		return evs, nil
	}
	stored, err := analytics.StoredEventSeqs(ctx, p.conn, suspects)
	if err != nil {
		return nil, err
	}
	for _, e := range evs { // the load's own first sequence of each event
		if first, ok := stored[e.eventID]; !ok || e.seq < first {
			stored[e.eventID] = e.seq
		}
	}
	kept := make([]leadEvent, 0, len(evs))
	for _, e := range evs {
		if first := stored[e.eventID]; e.copyOf != nil && first < e.seq {
			p.log.Info("lead event published again without the header: a copy of the message at an earlier sequence, counted once", "seq", e.seq, "first_seq", first, "event", e.eventID)
			continue
		}
		kept = append(kept, e)
	}
	return kept, nil
}

// recentLeadKeys is how many lead events' keys ingest keeps, so that a
// lead's next event rarely reads its predecessor from the stream.
const recentLeadKeys = 50_000

// pipelineAggregates keeps the ledger. Only the LEADS inserter uses it.
type pipelineAggregates struct {
	js   jetstream.JetStream
	conn driver.Conn
	log  *slog.Logger

	off    bool         // the ClickHouse user may not make the aggregates: ingest goes on without them
	lease  *natsx.Lease // the ledger's lock
	ready  bool         // the ledger exists and holds every event before the live ones
	keep   int          // how many recent events' keys to keep: recentLeadKeys
	recent map[uint64]analytics.PipelineKeys
	order  []uint64 // recent's sequences, oldest first, as a ring
	next   int      // where the next sequence goes in order

	unplaced int64 // events whose previous state could not be found: logged, counted
	lookups  int64 // previous events read from the stream
}

func newPipelineAggregates(js jetstream.JetStream, conn driver.Conn, log *slog.Logger) *pipelineAggregates {
	return &pipelineAggregates{js: js, conn: conn, log: log.With("aggregates", "lead_pipeline"), keep: recentLeadKeys,
		recent: map[uint64]analytics.PipelineKeys{}}
}

// remember keeps the keys of seq, forgetting the oldest beyond keep.
func (p *pipelineAggregates) remember(seq uint64, keys analytics.PipelineKeys) {
	if _, ok := p.recent[seq]; ok {
		return
	}
	if len(p.order) < p.keep {
		p.order = append(p.order, seq)
	} else {
		delete(p.recent, p.order[p.next])
		p.order[p.next] = seq
		p.next = (p.next + 1) % p.keep
	}
	p.recent[seq] = keys
}

// write adds the changes of evs (a load's lead events) to the ledger,
// leaving out those it holds.
// The aggregates are not made current here: rows the view converts at
// other rates than those the aggregates were projected at only make them
// not current (the figure reads the states) until the next refresh
// re-projects them from the ledger, which holds the rows as stated.
func (p *pipelineAggregates) write(ctx context.Context, evs []leadEvent) error {
	if p.off {
		return nil
	}
	return p.locked(ctx, func(ctx context.Context) error {
		if err := p.prepareLedger(ctx); err != nil || p.off {
			return err
		}
		return p.add(ctx, evs)
	})
}

// refresh makes the ledger complete and the aggregates current for the
// loaded rates (none loaded yet: the ledger only).
func (p *pipelineAggregates) refresh(ctx context.Context) error {
	if p.off {
		return nil
	}
	return p.locked(ctx, p.prepare)
}

// locked runs work holding the ledger's lock (natsx.BucketIngestLock),
// waiting while another ingest instance holds it, and renewing it while
// work runs; work's context ends if the lock is lost.
func (p *pipelineAggregates) locked(ctx context.Context, work func(context.Context) error) error {
	if p.lease == nil {
		kv, err := p.js.KeyValue(ctx, natsx.BucketIngestLock)
		if err != nil {
			return fmt.Errorf("pipeline aggregates: the lock bucket %s (econdip migrate creates it): %w", natsx.BucketIngestLock, err)
		}
		// One lock per database: a rebuild into another does not wait for the live ingest.
		var db string
		if err := p.conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
			return fmt.Errorf("pipeline aggregates: %w", err)
		}
		// Taken and given back at every write: its own log would say so each time.
		p.lease = natsx.NewLease(kv, "lead_pipeline."+db, uuid.NewString(), natsx.IngestLockTTL, obs.Discard(), "the pipeline ledger's writes", nil)
	}
	start, told := time.Now(), false
	for !p.lease.Try(ctx) {
		if !told && time.Since(start) > 5*time.Second {
			p.log.Info("waiting for the pipeline ledger's lock: another ingest instance holds it (re-projecting, or it died: the lock expires after its TTL)", "ttl", natsx.IngestLockTTL.String())
			told = true
		}
		sleep(ctx, 20*time.Millisecond)
		if ctx.Err() != nil {
			return fmt.Errorf("pipeline aggregates: waiting for the ledger's lock: %w", ctx.Err())
		}
	}
	defer p.lease.Release()
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
				if !p.lease.Try(ctx) {
					cancel()
					return
				}
			}
		}
	}()
	err := work(wctx)
	close(stop)
	<-renewed
	if err == nil && !p.lease.Held() {
		return errors.New("pipeline aggregates: the ledger's lock was lost while writing; the batch is written again")
	}
	return err
}

// prepare is refresh under the lock.
func (p *pipelineAggregates) prepare(ctx context.Context) error {
	if err := p.prepareLedger(ctx); err != nil || p.off {
		return err
	}
	_, err := analytics.PreparePipelineAggregates(ctx, p.conn, p.log)
	if errors.Is(err, analytics.ErrNoRates) || analytics.IsNotAllowed(err) {
		// No rates yet, or a user without DDL: econdip migrate or the
		// reload of the rates re-projects (PrepareAggregates).
		return nil
	}
	return err
}

// PrepareAggregates makes the pipeline's ledger complete (created, and
// filled from LEADS the first time) and the aggregates current for the
// rates loaded, under the ledger's lock. econdip migrate and econdip up
// call it as a user with DDL, after loading the rates (and again after a
// reload of them), so that ingest, which may not create tables, finds them.
func PrepareAggregates(ctx context.Context, js jetstream.JetStream, conn driver.Conn, log *slog.Logger) error {
	p := newPipelineAggregates(js, conn, log)
	return p.locked(ctx, func(ctx context.Context) error {
		if err := p.prepareLedger(ctx); err != nil {
			return err
		}
		_, err := analytics.PreparePipelineAggregates(ctx, p.conn, p.log)
		if errors.Is(err, analytics.ErrNoRates) {
			return nil
		}
		return err
	})
}

// add writes the ledger rows of evs it does not hold yet.
func (p *pipelineAggregates) add(ctx context.Context, evs []leadEvent) error {
	evs, err := p.dropCopies(ctx, evs)
	if err != nil || len(evs) == 0 {
		return err
	}
	lo, hi := evs[0].seq, evs[0].seq
	inLoad := make(map[uint64]analytics.PipelineKeys, len(evs))
	for _, e := range evs {
		lo, hi = min(lo, e.seq), max(hi, e.seq)
		inLoad[e.seq] = e.keys
	}
	held, err := analytics.HeldPipelineChanges(ctx, p.conn, lo, hi)
	if err != nil {
		return err
	}
	var rows []analytics.PipelineChangeRow
	for _, e := range evs {
		if held[e.seq] {
			continue
		}
		held[e.seq] = true // the same event twice in one load
		plus := analytics.PipelineChangeRow{StreamSeq: e.seq, EventID: e.eventID, Sign: 1, LeadID: e.leadID, PipelineKeys: e.keys}
		if !e.placed {
			p.unplaced++
			obs.IngestUnplacedLeadEvents.Inc()
			p.log.Warn("lead event without the sequence it followed (published without Nats-Expected-Last-Subject-Sequence); left out of the pipeline aggregates, which then differ from the states: re-publish it through the leads service",
				"seq", e.seq, "lead", e.leadID, "version", e.version)
			continue
		}
		if e.prev == 0 {
			rows = append(rows, plus)
			continue
		}
		prev, ok := inLoad[e.prev]
		if !ok {
			prev, ok = p.recent[e.prev]
		}
		if !ok {
			if prev, err = p.keysAt(ctx, e.prev); err != nil {
				return fmt.Errorf("lead %s, event %d: its previous event %d: %w", e.leadID, e.seq, e.prev, err)
			}
		}
		if prev.Equal(e.keys) {
			continue // a change the figures do not see (a title, a contact)
		}
		minus := plus
		minus.Sign, minus.PipelineKeys = -1, prev
		rows = append(rows, minus, plus)
	}
	if err := analytics.WritePipelineChanges(ctx, p.conn, rows); err != nil {
		return err
	}
	for _, e := range evs {
		p.remember(e.seq, e.keys)
	}
	return nil
}

// keysAt reads the lead event at seq from the stream.
func (p *pipelineAggregates) keysAt(ctx context.Context, seq uint64) (analytics.PipelineKeys, error) {
	st, err := p.js.Stream(ctx, events.StreamLeads)
	if err != nil {
		return analytics.PipelineKeys{}, err
	}
	p.lookups++
	msg, err := st.GetMsg(ctx, seq)
	if err != nil {
		return analytics.PipelineKeys{}, err
	}
	env, ev, err := events.Decode(msg.Data)
	if err != nil {
		return analytics.PipelineKeys{}, err
	}
	var rows analytics.Rows
	if err := project(&rows, events.StreamLeads, seq, env, ev); err != nil {
		return analytics.PipelineKeys{}, err
	}
	if len(rows.LeadStates) != 1 {
		return analytics.PipelineKeys{}, fmt.Errorf("message %d of %s is not a lead's state", seq, events.StreamLeads)
	}
	keys := analytics.PipelineKeysOf(rows.LeadStates[0])
	p.remember(seq, keys)
	return keys, nil
}

// prepareLedger creates the ledger and, the first time, fills it with the
// lead events ingest wrote before the ledger existed (a database from
// before the aggregates), read from the stream up to the last one the
// events table holds, with progress.
func (p *pipelineAggregates) prepareLedger(ctx context.Context) error {
	if p.ready || p.off {
		return nil
	}
	through, done, err := analytics.PipelineLedgerBackfill(ctx, p.conn)
	if analytics.IsNotAllowed(err) {
		// A user without DDL (the production ingest_writer, econdip up's
		// writer): the ledger is prepared by econdip migrate or econdip up
		// (PrepareAggregates), before ingest writes to it.
		ready, rerr := analytics.PipelineLedgerReady(ctx, p.conn)
		switch {
		case rerr == nil && ready:
			p.ready = true
			return nil
		case analytics.IsNotAllowed(rerr):
			p.off = true // nothing is half made: without the ledger there are no aggregates
			p.log.Error("ingest's ClickHouse user may not read the pipeline aggregates' tables: ingest runs without them, and the pipeline figure reads the lead states (slower); grant what deploy/README.md lists for ingest_writer and restart ingest", "err", rerr)
			return nil
		case rerr != nil:
			return rerr
		}
		return fmt.Errorf("the pipeline ledger is not prepared and ingest's ClickHouse user may not create it: run econdip migrate, which prepares it (lead events wait meanwhile): %w", err)
	}
	if err != nil {
		return err
	}
	if !done && through > 0 {
		if err := p.backfill(ctx, through); err != nil {
			return err
		}
	}
	if !done {
		if err := analytics.PipelineLedgerBackfilled(ctx, p.conn, through); err != nil {
			return err
		}
	}
	p.ready = true
	return nil
}

// backfillBatch is how many lead events the backfill writes at a time.
const backfillBatch = 5000

// backfill writes the ledger rows of LEADS events 1..through.
func (p *pipelineAggregates) backfill(ctx context.Context, through uint64) error {
	start := time.Now()
	p.log.Info("filling the pipeline ledger with the lead events written before it existed", "through_seq", through)
	cons, err := p.js.OrderedConsumer(ctx, events.StreamLeads, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("pipeline ledger backfill: %w", err)
	}
	var batch []leadEvent
	var last uint64 // the last sequence read
	lastReport := time.Now()
	for {
		fb, err := cons.Fetch(backfillBatch, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("pipeline ledger backfill: fetch: %w", err)
		}
		n := 0
		for m := range fb.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return fmt.Errorf("pipeline ledger backfill: %w", err)
			}
			last = meta.Sequence.Stream
			if last > through {
				break
			}
			env, ev, err := events.Decode(m.Data())
			if err != nil {
				continue // dead-lettered by the live ingest: not in the states either
			}
			var rows analytics.Rows
			if project(&rows, events.StreamLeads, last, env, ev) != nil || len(rows.LeadStates) != 1 {
				continue
			}
			batch = append(batch, leadEventOf(m, last, rows.LeadStates[0], rows.Events[0]))
		}
		if err := fb.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			if n == 0 {
				return fmt.Errorf("pipeline ledger backfill: fetch: %w", err)
			}
		}
		if err := p.add(ctx, batch); err != nil {
			return fmt.Errorf("pipeline ledger backfill: %w", err)
		}
		batch = batch[:0]
		if last >= through {
			break
		}
		if n == 0 {
			return fmt.Errorf("pipeline ledger backfill: %s ends at %d, the events table holds %d; try again, or rebuild (econdip rebuild)", events.StreamLeads, last, through)
		}
		if time.Since(lastReport) > 2*time.Second {
			p.log.Info("filling the pipeline ledger", "through_seq", last, "of", through)
			lastReport = time.Now()
		}
	}
	p.log.Info("pipeline ledger filled", "through_seq", through, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}
