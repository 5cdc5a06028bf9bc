package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/events"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/test/reliability/faultkit"
)

// TestRedeliveredBatchAddsNoDuplicateRows: an ingest stores a batch of LEADS
// (all of it, or only part of its events rows, as a block spanning months
// is stored part by part) and dies before the ack; JetStream delivers the
// batch again to the next ingest. Then the streams are read once more from
// the start through another consumer, as a rebuild resumed over the live
// database does. The raw events table, read without FINAL, holds every
// event exactly once all along (merges are stopped, so none hides a
// duplicate), and every other table has the rows of every event.
func TestRedeliveredBatchAddsNoDuplicateRows(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stored func(*analytics.Rows) *analytics.Rows // what the first ingest got into ClickHouse
	}{
		{"whole batch stored", func(r *analytics.Rows) *analytics.Rows { return r }},
		{"part of the batch stored", func(r *analytics.Rows) *analytics.Rows {
			part := &analytics.Rows{}
			for i, e := range r.Events {
				if i%3 != 1 {
					part.Events = append(part.Events, e)
				}
			}
			return part
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ns := natstest.Start(t)
			_, conn := faultkit.NewDatabase(t, "redelivered")
			if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
				t.Fatal(err)
			}
			if err := conn.Exec(ctx, "SYSTEM STOP MERGES events"); err != nil {
				t.Fatal(err)
			}
			gen := faultkit.NewGenerator(20)
			pub := faultkit.NewPublisher(ns.JS, 64)
			faultkit.RunLoad(ctx, gen, pub, 600, 0)
			pub.Close()
			if err := pub.Err(); err != nil {
				t.Fatal(err)
			}
			acks := pub.Acked()

			// The first ingest: fetch, insert, and die before the ack.
			const consumer = "ingest-redelivered"
			cons, err := ns.JS.CreateOrUpdateConsumer(ctx, events.StreamLeads, jetstream.ConsumerConfig{
				Durable: consumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: AckWait, DeliverPolicy: jetstream.DeliverAllPolicy})
			if err != nil {
				t.Fatal(err)
			}
			fb, err := cons.Fetch(150, jetstream.FetchMaxWait(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			var msgs []jetstream.Msg
			for m := range fb.Messages() {
				msgs = append(msgs, m)
			}
			s := New(ns.JS, conn, obs.Discard(), Config{Consumer: consumer, MaxWait: 100 * time.Millisecond})
			first := &load{}
			s.decode(events.StreamLeads, fetched{msgs: msgs, stopProgress: func() {}}, first)
			if len(msgs) < 100 || len(first.poison) > 0 {
				t.Fatalf("fetched %d messages, %d of them not projectable", len(msgs), len(first.poison))
			}
			stored := tc.stored(&first.rows)
			if err := analytics.Write(ctx, conn, stored); err != nil {
				t.Fatal(err)
			}
			// Its death: JetStream delivers the batch again (at once here,
			// after AckWait when the process is gone).
			for _, m := range msgs {
				if err := m.Nak(); err != nil {
					t.Fatal(err)
				}
			}

			drain := func(consumer string) {
				t.Helper()
				s := New(ns.JS, conn, obs.Discard(), Config{Consumer: consumer, MaxWait: 100 * time.Millisecond})
				rctx, cancel := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- s.Run(rctx) }()
				faultkit.MustWaitDrained(t, ns.JS, consumer, time.Now().Add(time.Minute), nil)
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				at := faultkit.DB(conn)
				if c := faultkit.CountEvents(t, at); c.Rows != c.Unique {
					t.Errorf("after %s: events holds %d rows of %d events, without FINAL", consumer, c.Rows, c.Unique)
				}
				faultkit.CheckExactlyOnce(t, at, acks)
				faultkit.CheckStates(t, at, gen.Totals())
			}
			drain(consumer)
			drain("ingest-replay") // every message a second time, each delivered once to this consumer
		})
	}
}
