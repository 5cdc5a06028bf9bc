// Package ingest is the service that projects the JetStream log into
// ClickHouse: one durable pull consumer per stream, size- and time-bounded
// batches whose wait adapts to the load (an event alone is inserted at once,
// under load a batch holds what came in Config.Linger), each acknowledged
// only after ClickHouse accepted its insert. Per
// stream, fetching, decoding and inserting overlap in a bounded pipeline.
// Delivery is at least once; the events of a batch the events table holds
// already are not inserted again (stored.go), and every table collapses
// duplicates, so a redelivered event still counts once. A message that
// cannot be decoded goes to the dead-letter stream with the reason and is
// then acknowledged; an insert that fails is retried, never dropped.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/platform/deadletter"
	"econdip/services/platform/obs"
)

// Config tunes batching.
type Config struct {
	BatchSize int // most messages per fetch; default 2000
	// MaxWait is, with FixedWait, the longest a fetch waits for its batch
	// to fill; otherwise how long a fetch waits for a first message before
	// it asks again (the idle poll). Default 500 ms.
	MaxWait time.Duration
	// Linger is the adaptive wait's cap (see linger): under load a stream's
	// batches close at most every Linger, so each holds what came in that
	// time; an event that comes later than Linger after the last batch
	// closed is fetched and inserted at once. Default DefaultLinger.
	Linger time.Duration
	// FixedWait restores the wait of before issue 19: every fetch waits
	// for a full batch or MaxWait, so an event alone waits up to MaxWait
	// for its insert. It stays for the freshness benchmark's baseline
	// (ECONDIP_INGEST_WAIT=fixed).
	FixedWait bool
	Consumer  string // durable consumer name; default events.ConsumerIngest
	// InactiveThreshold, when set, lets JetStream remove the consumers once
	// unused that long: a rebuild's consumers must not outlive it.
	InactiveThreshold time.Duration
	// NoDeadLetter logs and counts a message that cannot be projected
	// instead of storing it on the dead-letter stream. A rebuild sets it:
	// the live ingest has dead-lettered those messages already, and an
	// operator may have redriven or removed them since.
	NoDeadLetter bool
	// NoAggregates leaves the aggregates out (aggregates.go):
	// cluster mode, where the figure reads the states.
	NoAggregates bool
}

// AckWait is how long JetStream waits for the ack of a delivered message
// before it delivers the message again. It bounds how long the batch of an
// ingest that died (SIGKILL, a lost node) waits for the next ingest: with
// the two minutes it once was, a restarted ingest left its predecessor's
// batch unwritten for two minutes, and a few crashes in a row filled
// MaxAckPending with such batches and stalled the stream as long. A batch
// in ingest's hands is never redelivered under it: ingest reports progress
// on it every AckWait/3 from its fetch until it is acknowledged.
const AckWait = 10 * time.Second

// maxAckPending is how many messages per stream may be delivered and not yet
// acknowledged, in batches: the batches in hand (at most inFlight), batches
// naked while ClickHouse is away, and the batches of ingests that died,
// until AckWait gives them to the next.
const maxAckPending = 12

// Service consumes the ingest streams into ClickHouse.
type Service struct {
	js   jetstream.JetStream
	conn driver.Conn
	log  *slog.Logger
	cfg  Config

	skipped atomic.Int64 // messages not projected, with NoDeadLetter

	keepers map[string][]keeper // the families' ledgers by stream (aggregates.go); none with NoAggregates

	noStoredCheck bool // insert events without asking which are stored already: the benchmark's baseline

	batched func(msgs int, wait time.Duration) // the tests' view of the adaptive wait's decisions, per fetched batch
}

// New returns an ingest service.
func New(js jetstream.JetStream, conn driver.Conn, log *slog.Logger, cfg Config) *Service {
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 2000
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 500 * time.Millisecond
	}
	if cfg.Linger == 0 {
		cfg.Linger = DefaultLinger
	}
	if cfg.Consumer == "" {
		cfg.Consumer = events.ConsumerIngest
	}
	s := &Service{js: js, conn: conn, log: log.With("service", "ingest"), cfg: cfg}
	if !cfg.NoAggregates {
		s.keepers = keepers(js, conn, s.log)
	}
	return s
}

// Run consumes until ctx ends, then finishes the batches in hand and returns.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(events.IngestStreams()))
	for _, st := range events.IngestStreams() {
		cons, err := s.js.CreateOrUpdateConsumer(ctx, st.Name, jetstream.ConsumerConfig{
			Durable:           s.cfg.Consumer,
			Description:       "projects " + st.Name + " into ClickHouse",
			AckPolicy:         jetstream.AckExplicitPolicy,
			AckWait:           AckWait,
			MaxAckPending:     maxAckPending * s.cfg.BatchSize,
			DeliverPolicy:     jetstream.DeliverAllPolicy,
			InactiveThreshold: s.cfg.InactiveThreshold,
		})
		if err != nil {
			return fmt.Errorf("consumer %s on %s: %w", s.cfg.Consumer, st.Name, err)
		}
		wg.Add(1)
		go func(stream string) {
			defer wg.Done()
			if err := s.consume(ctx, stream, cons); err != nil {
				errs <- err
			}
		}(st.Name)
	}
	s.log.Info("ingest running", "streams", len(events.IngestStreams()), "batch", s.cfg.BatchSize, "max_wait", s.cfg.MaxWait.String(), "wait", s.waitName(), "budget_mib_per_stream", budget>>20)
	wg.Wait()
	close(errs)
	return <-errs
}

// fetched is one fetch of a stream, reported in progress from then on.
type fetched struct {
	msgs         []jetstream.Msg
	bytes        int64  // what msgs and their rows hold, against the stream's budget
	stopProgress func() // ends the progress reports on msgs
}

// load is what one insert writes: the rows of one or more fetches, decoded
// and projected, then acknowledged together.
type load struct {
	fetches []fetched
	msgs    int
	bytes   int64 // the sum of the fetches' bytes
	rows    analytics.Rows
	poison  []jetstream.Msg // messages that cannot be projected, and why
	reasons []string
	stamps  []time.Time  // envelope times, for the events' age once inserted
	family  [][]recorded // per family of the stream (Service.keepers), the events of its records, for its aggregates
}

// maxMerge is the most fetches one insert takes. ClickHouse 18.16 spends
// about as much on each insert as on a few thousand rows, so merging the
// fetches decoded while an insert runs makes ingest about twice as fast on
// a backlog. What bounds memory is budget, not this: it keeps the messages
// in flight below maxAckPending however small they are.
const maxMerge = 4

// budget is how many bytes (see msgBytes) a stream may hold between fetch
// and ack; the fetcher waits while more are in flight, so a stream holds at
// most budget plus one batch. Merging up to 4 batches without it held 628
// MB at its peak against the 200 MB goal (BENCHMARKS.md, Memory); three
// streams at this budget stay under it with MemoryLimit.
const budget = 16 << 20

// msgBytes is what a message costs in flight: its data, the rows' strings
// decoded from it (about as long), and the message and row structs.
func msgBytes(m jetstream.Msg) int64 { return int64(2*len(m.Data()) + 1024) }

// MemoryLimit is the soft memory limit `econdip ingest` runs with when
// GOMEMLIMIT does not set one: the garbage collector works harder near it,
// so a backlog drains without the heap's usual doubling.
const MemoryLimit = 160 << 20

// inFlight bounds the fetches of a stream between fetch and ack: one being
// fetched, maxMerge being decoded into the next load and maxMerge being
// inserted. It stays below maxAckPending, so a new ingest takes its batches
// while those of one that died still wait for AckWait.
const inFlight = 1 + 2*maxMerge

// held counts the bytes a stream holds between fetch and ack.
type held struct {
	n     atomic.Int64
	freed chan struct{} // a token after each release, for a waiting fetcher
}

func newHeld() *held { return &held{freed: make(chan struct{}, 1)} }

func (h *held) add(n int64) { h.n.Add(n) }

func (h *held) release(n int64) {
	h.n.Add(-n)
	select {
	case h.freed <- struct{}{}:
	default:
	}
}

// waitBelow returns true once fewer than max bytes are held, false if ctx
// ends first.
func (h *held) waitBelow(ctx context.Context, max int64) bool {
	for h.n.Load() >= max {
		select {
		case <-ctx.Done():
			return false
		case <-h.freed:
		}
	}
	return true
}

// consume runs a stream's pipeline: a goroutine fetches batches, a second
// decodes and projects them into the next load, and this one inserts each
// load into ClickHouse and then acknowledges its messages. So the next
// batches are fetched and decoded while the previous ones are inserted, and
// a message is still acknowledged only after the insert of its rows. When
// ctx ends, fetching stops and the batches in hand go through to the end:
// that is the graceful flush.
func (s *Service) consume(ctx context.Context, stream string, cons jetstream.Consumer) error {
	log := s.log.With("stream", stream)
	fetches := make(chan fetched) // the fetcher holds the next fetch until the decoder takes it
	loads := make(chan *load)     // the decoder hands a load over when the inserter is free
	h := newHeld()
	go func() {
		defer close(fetches)
		s.fetch(ctx, log, cons, h, fetches)
	}()
	go func() {
		defer close(loads)
		s.decodeInto(stream, fetches, loads)
	}()
	var out outage
	release := false // ctx ended and an insert failed: hand the rest back at once
	var refresh <-chan time.Time
	families := s.keepers[stream]
	defer func() {
		for _, family := range families {
			family.settle()
		}
	}()
	if len(families) > 0 {
		// Rates reloaded while no event comes: the aggregates are
		// re-projected all the same (the figures read the states meanwhile).
		tick := time.NewTicker(aggregatesCheck)
		defer tick.Stop()
		refresh = tick.C
		for _, family := range families {
			if err := family.refresh(ctx); err != nil {
				log.Warn("aggregates not prepared; their figures read the states until they are", "err", err)
			}
		}
	}
	for {
		var l *load
		select {
		case <-refresh:
			for _, family := range families {
				if err := family.refresh(ctx); err != nil {
					log.Warn("aggregates not re-projected; their figures read the states until they are", "err", err)
				}
			}
			continue
		case next, ok := <-loads:
			if !ok {
				return nil
			}
			l = next
		}
		if release {
			l.release(0)
			h.release(l.bytes)
			continue
		}
		// Finished even when ctx ends, within a minute.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		err := s.write(flushCtx, stream, l)
		cancel()
		if err != nil {
			obs.IngestFailures.WithLabelValues(stream).Inc()
			delay := out.failed(log, l.msgs, err)
			l.release(delay)
			h.release(l.bytes)
			release = ctx.Err() != nil
			sleep(ctx, delay)
			continue
		}
		h.release(l.bytes) // acknowledged
		out.ended(log)
	}
}

// aggregatesCheck is how often the inserter of a family's stream checks,
// between loads, that the aggregates are current for the loaded rates, and
// re-projects them when not: after a rates reload the family's figures read
// the states for up to this long, and the re-projection's time.
const aggregatesCheck = 5 * time.Second

// The delay after a failed insert before the next, and before JetStream
// delivers the failed batch again: it doubles from minRetryDelay and stays
// at maxRetryDelay, short enough that ingest catches up within seconds of
// ClickHouse answering again.
const (
	minRetryDelay = 250 * time.Millisecond
	maxRetryDelay = 2 * time.Second
)

// outage tracks a stream's run of failed inserts, so that it is logged once
// when it begins and once when it ends, not at every retry.
type outage struct {
	since    time.Time // zero: inserts work
	failures int
	delay    time.Duration
}

// failed records a failed insert and returns the delay before the next.
func (o *outage) failed(log *slog.Logger, msgs int, err error) time.Duration {
	o.failures++
	if o.since.IsZero() {
		o.since, o.delay = time.Now(), minRetryDelay
		log.Error("insert into clickhouse failed; retrying until it answers, the batches are delivered again meanwhile and nothing is acknowledged before its insert",
			"messages", msgs, "err", err, "retry_every_at_most", maxRetryDelay.String())
	} else {
		o.delay = min(o.delay*2, maxRetryDelay)
		log.Debug("insert into clickhouse failed again", "messages", msgs, "err", err, "failures", o.failures, "retry_in", o.delay.String())
	}
	return o.delay
}

// ended records a successful insert; the first after failures logs the outage's end.
func (o *outage) ended(log *slog.Logger) {
	if o.since.IsZero() {
		return
	}
	log.Info("inserts into clickhouse work again; catching up", "outage", time.Since(o.since).Round(time.Millisecond).String(), "failed_inserts", o.failures)
	*o = outage{}
}

// decodeInto decodes and projects each fetch into a load, and hands the load
// to the inserter as soon as it is free, or once it holds maxMerge fetches.
func (s *Service) decodeInto(stream string, in <-chan fetched, out chan<- *load) {
	var next *load
	for {
		if next == nil {
			f, ok := <-in
			if !ok {
				return
			}
			next = &load{}
			s.decode(stream, f, next)
			continue
		}
		if len(next.fetches) == maxMerge {
			out <- next
			next = nil
			continue
		}
		select {
		case out <- next:
			next = nil
		case f, ok := <-in:
			if !ok {
				out <- next
				return
			}
			s.decode(stream, f, next)
		}
	}
}

// release ends the progress reports on the load's messages and hands them
// back to JetStream for redelivery after delay.
func (l *load) release(delay time.Duration) {
	for _, f := range l.fetches {
		f.stopProgress()
		for _, m := range f.msgs {
			if delay > 0 {
				_ = m.NakWithDelay(delay)
			} else {
				_ = m.Nak()
			}
		}
	}
}

// DefaultLinger is Config.Linger's default: under load, a stream's batches
// close at most every 400 ms, so an event waits at most that long for its
// insert to start. Fewer, larger loads are what ClickHouse 18.16 on 2 cores
// keeps up with: each load writes a part per table (its views included),
// whatever its size. 100 ms gave freshness p99 1.6 s at 750 events/s
// against 0.55 s with 250 ms (before the aggregates); with the aggregates'
// ledgers in the load, 250 ms gave p99 1.0-1.1 s at the top steady rate
// against 0.70 s with 400 ms (BENCHMARKS.md, "Freshness with ingest's
// adaptive wait" and "The linger with the aggregates").
const DefaultLinger = 400 * time.Millisecond

func (s *Service) waitName() string {
	if s.cfg.FixedWait {
		return "fixed"
	}
	return "adaptive, linger up to " + s.cfg.Linger.String()
}

// linger is the adaptive wait: how long a batch whose first message came at
// now waits for more, when the stream's previous batch closed at lastClose.
// Events that trickle in come later than interval after the last batch
// closed, and each is inserted at once; under load the first message comes
// soon after the close, and the batch waits the rest of interval, so the
// batches close every interval and grow with the rate (a fetch returns as
// soon as it is full, so a backlog goes in full batches). The wait is never
// more than interval, nor less than zero.
func linger(now, lastClose time.Time, interval time.Duration) time.Duration {
	if lastClose.IsZero() {
		return 0
	}
	return min(max(lastClose.Add(interval).Sub(now), 0), interval)
}

// fetch sends batches of cons to out until ctx ends, while the stream holds
// less than budget. From the moment it is fetched, a batch is reported in
// progress until it is acknowledged.
func (s *Service) fetch(ctx context.Context, log *slog.Logger, cons jetstream.Consumer, h *held, out chan<- fetched) {
	backoff := time.Second
	var lastClose time.Time // when the previous batch closed
	for ctx.Err() == nil && h.waitBelow(ctx, budget) {
		var msgs []jetstream.Msg
		var n int64
		var err error
		if s.cfg.FixedWait {
			msgs, n, err = s.receive(log, cons, s.cfg.BatchSize, s.cfg.MaxWait)
		} else {
			// The batch starts with its first message, however long that takes.
			msgs, n, err = s.receive(log, cons, 1, s.cfg.MaxWait)
			if err == nil && len(msgs) > 0 && s.cfg.BatchSize > 1 {
				wait := linger(time.Now(), lastClose, s.cfg.Linger)
				more, m, errMore := s.receive(log, cons, s.cfg.BatchSize-1, wait)
				if errMore != nil {
					// The first message is in hand: it goes on alone.
					log.Warn("fetch failed; the batch goes on with its first message", "err", errMore)
				}
				msgs, n = append(msgs, more...), n+m
				lastClose = time.Now()
				if s.batched != nil {
					s.batched(len(msgs), wait)
				}
			}
		}
		if err != nil {
			log.Warn("fetch failed; retrying", "err", err)
			sleep(ctx, backoff)
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		h.add(n)
		out <- fetched{msgs: msgs, bytes: n, stopProgress: inProgress(msgs, AckWait/3)}
	}
}

// receive fetches up to batch messages of cons, waiting at most wait for
// the batch to fill; a wait of 0 takes only the messages there already.
// It returns the messages and what they cost against the budget.
func (s *Service) receive(log *slog.Logger, cons jetstream.Consumer, batch int, wait time.Duration) ([]jetstream.Msg, int64, error) {
	var fb jetstream.MessageBatch
	var err error
	if wait > 0 {
		fb, err = cons.Fetch(batch, jetstream.FetchMaxWait(wait))
	} else {
		fb, err = cons.FetchNoWait(batch)
	}
	if err != nil {
		return nil, 0, err
	}
	var msgs []jetstream.Msg
	var n int64
	for m := range fb.Messages() {
		msgs = append(msgs, m)
		n += msgBytes(m)
	}
	if err := fb.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("fetch ended with an error", "err", err, "received", len(msgs))
	}
	return msgs, n, nil
}

// inProgress tells JetStream every interval that msgs are still being
// worked on, so their ack wait starts again; the returned func stops it and
// returns once no report is under way.
func inProgress(msgs []jetstream.Msg, interval time.Duration) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				for _, m := range msgs {
					_ = m.InProgress()
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// Projectable reports whether this version of ingest can project a message
// of stream with data: nil, or the reason it would be dead-lettered. The
// dead-letter redrive checks a message with it before sending it back.
func Projectable(stream string, data []byte) error {
	env, ev, err := events.Decode(data)
	if err != nil {
		return err
	}
	var rows analytics.Rows
	return project(&rows, stream, 0, env, ev)
}

// Skipped counts the messages left out with Config.NoDeadLetter.
func (s *Service) Skipped() int64 { return s.skipped.Load() }

// decode decodes and projects the messages of f into l's rows, and sets
// aside those that cannot be projected.
func (s *Service) decode(stream string, f fetched, l *load) {
	obs.IngestBatchMessages.WithLabelValues(stream).Observe(float64(len(f.msgs)))
	l.fetches = append(l.fetches, f)
	l.msgs += len(f.msgs)
	l.bytes += f.bytes
	l.stamps = slices.Grow(l.stamps, len(f.msgs))
	l.rows.Events = slices.Grow(l.rows.Events, len(f.msgs)) // a row each
	var pending uint64                                      // JetStream's count of messages after the last one in hand
	havePending := false
	families := s.keepers[stream]
	states := make([]int, len(families)) // each family's state rows before a message
	if l.family == nil {
		l.family = make([][]recorded, len(families))
	}
	for _, m := range f.msgs {
		meta, err := m.Metadata()
		if err != nil {
			l.poison, l.reasons = append(l.poison, m), append(l.reasons, "no JetStream metadata: "+err.Error())
			continue
		}
		pending, havePending = meta.NumPending, true
		// The message's bytes stay as they are until it is acknowledged:
		// the events row keeps the data from them, not a copy.
		env, ev, err := events.DecodeInPlace(m.Data())
		evRows := len(l.rows.Events)
		for i, family := range families {
			states[i] = family.states(&l.rows)
		}
		if err == nil {
			err = project(&l.rows, stream, meta.Sequence.Stream, env, ev)
		}
		if err != nil {
			l.poison, l.reasons = append(l.poison, m), append(l.reasons, err.Error())
			continue
		}
		for i, family := range families {
			if family.states(&l.rows) == states[i]+1 {
				l.family[i] = append(l.family[i], recordedOf(m, meta.Sequence.Stream, states[i], evRows))
			}
		}
		l.stamps = append(l.stamps, env.Time)
	}
	if havePending {
		obs.IngestConsumerLag.WithLabelValues(stream).Set(float64(pending))
	}
}

// write inserts the rows of l, dead-letters its poison and acknowledges
// every message. It returns an error only when the insert or a dead letter
// failed; nothing is acknowledged then.
func (s *Service) write(ctx context.Context, stream string, l *load) error {
	start := time.Now()
	stored := s.askStored(ctx, l)
	// The families' ledgers first, then the rows: so a record visible in its
	// state is in the aggregates too. The ledgers deduplicate on their own,
	// whatever the events table holds (aggregates.go). (Writing them at
	// once, each insert on its own, made ingest slower on two cores: the
	// freshness benchmark's top rate fell from 1,250 to 750 events/s.)
	for i, family := range s.keepers[stream] {
		if err := family.write(ctx, &l.rows, l.family[i]); err != nil {
			<-stored // done with the load's rows before it goes back
			return err
		}
	}
	if err := s.dropStored(stream, l, stored); err != nil {
		return err
	}
	if l.rows.Len() > 0 {
		if err := analytics.Write(ctx, s.conn, &l.rows); err != nil {
			return err
		}
	}
	inserted := time.Now()
	obs.IngestBatchSeconds.Observe(inserted.Sub(start).Seconds())
	age := obs.IngestEventAge.WithLabelValues(stream)
	for _, t := range l.stamps {
		age.Observe(inserted.Sub(t).Seconds())
	}
	for i, m := range l.poison {
		if s.cfg.NoDeadLetter {
			s.skipped.Add(1)
			s.log.Warn("message cannot be projected; left out (not dead-lettered again)", "stream", stream, "subject", m.Subject(), "reason", truncate(l.reasons[i], 200))
			continue
		}
		if err := s.deadLetter(ctx, stream, m, l.reasons[i]); err != nil {
			return err
		}
	}
	for _, f := range l.fetches {
		f.stopProgress()
		for _, m := range f.msgs {
			if err := m.Ack(); err != nil {
				// The insert is done; a lost ack only means a harmless redelivery.
				s.log.Warn("ack failed; the message will be redelivered and collapse in ClickHouse", "err", err)
			}
		}
	}
	obs.EventsIngested.WithLabelValues(stream).Add(float64(l.msgs - len(l.poison)))
	return nil
}

// deadLetter stores a message that cannot be projected on the dead-letter
// stream with the reason; a repeat of the same message is a no-op.
func (s *Service) deadLetter(ctx context.Context, stream string, m jetstream.Msg, reason string) error {
	seq, err := deadletter.Publish(ctx, s.js, stream, m, reason)
	if err != nil {
		return err
	}
	s.log.Warn("message moved to the dead-letter stream", "stream", stream, "seq", seq, "reason", truncate(reason, 200))
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
