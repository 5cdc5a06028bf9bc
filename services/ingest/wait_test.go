package ingest

import (
	"context"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/test/reliability/faultkit"
)

func TestLinger(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	const interval = 100 * time.Millisecond
	for _, tc := range []struct {
		name      string
		lastClose time.Time
		now       time.Time
		want      time.Duration
	}{
		{"first batch of the stream: at once", time.Time{}, t0, 0},
		{"trickle, long after the last batch", t0, t0.Add(time.Minute), 0},
		{"just past the interval", t0, t0.Add(interval + time.Nanosecond), 0},
		{"exactly the interval", t0, t0.Add(interval), 0},
		{"under load, right after the close: the whole interval", t0, t0, interval},
		{"under load, 30 ms after the close: the rest", t0, t0.Add(30 * time.Millisecond), 70 * time.Millisecond},
		{"clock stepped back: never more than the interval", t0, t0.Add(-time.Hour), interval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := linger(tc.now, tc.lastClose, interval); got != tc.want {
				t.Errorf("linger = %v, want %v", got, tc.want)
			}
		})
	}
}

// batch is one fetched batch as the adaptive wait decided it.
type batch struct {
	msgs int
	wait time.Duration
}

// runIngest runs s until the test ends and reports its batches on a channel.
func runIngest(t *testing.T, s *Service) <-chan batch {
	t.Helper()
	got := make(chan batch, 1000)
	s.batched = func(msgs int, wait time.Duration) { got <- batch{msgs, wait} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return got
}

func nextBatch(t *testing.T, got <-chan batch) batch {
	t.Helper()
	select {
	case b := <-got:
		return b
	case <-time.After(time.Minute):
		t.Fatal("no batch within a minute")
		return batch{}
	}
}

// TestEventAloneInsertedAtOnce: with a linger of ten minutes, an event that
// comes alone is fetched without waiting (its batch waits 0 for more, where
// the fixed wait holds every fetch MaxWait) and reaches ClickHouse once.
func TestEventAloneInsertedAtOnce(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	_, conn := faultkit.NewDatabase(t, "alone")
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	const consumer = "ingest-alone"
	s := New(ns.JS, conn, obs.Discard(), Config{Consumer: consumer, Linger: 10 * time.Minute})
	got := runIngest(t, s)

	gen := faultkit.NewGenerator(7)
	pub := faultkit.NewPublisher(ns.JS, 1)
	faultkit.RunLoad(ctx, gen, pub, 1, 0)
	pub.Close()
	if err := pub.Err(); err != nil {
		t.Fatal(err)
	}
	if b := nextBatch(t, got); b != (batch{1, 0}) {
		t.Fatalf("the event alone came in batch %+v, want 1 message and no wait", b)
	}
	faultkit.MustWaitDrained(t, ns.JS, consumer, time.Now().Add(time.Minute), nil)
	faultkit.CheckExactlyOnce(t, faultkit.DB(conn), pub.Acked())
}

// TestBacklogInFullBatches: events waiting when ingest starts go in full
// batches: the first without waiting, the next ones with the linger (a
// full fetch returns at once), the rest of the backlog last; every event
// reaches ClickHouse once.
func TestBacklogInFullBatches(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	_, conn := faultkit.NewDatabase(t, "backlog")
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		t.Fatal(err)
	}
	gen := faultkit.NewGenerator(8)
	pub := faultkit.NewPublisher(ns.JS, 8)
	faultkit.RunLoad(ctx, gen, pub, 25, 0)
	pub.Close()
	if err := pub.Err(); err != nil {
		t.Fatal(err)
	}
	const consumer = "ingest-backlog"
	s := New(ns.JS, conn, obs.Discard(), Config{Consumer: consumer, BatchSize: 10, Linger: 2 * time.Second})
	got := runIngest(t, s)
	faultkit.MustWaitDrained(t, ns.JS, consumer, time.Now().Add(time.Minute), nil)
	per := map[bool]int{} // messages by whether their batch waited
	total := 0
	for total < 25 {
		b := nextBatch(t, got)
		if b.msgs > 10 {
			t.Fatalf("batch of %d messages, more than BatchSize", b.msgs)
		}
		per[b.wait > 0] += b.msgs
		total += b.msgs
	}
	t.Logf("messages in batches that did not wait / waited: %d / %d", per[false], per[true])
	faultkit.CheckExactlyOnce(t, faultkit.DB(conn), pub.Acked())
	faultkit.CheckStates(t, faultkit.DB(conn), gen.Totals())
}
