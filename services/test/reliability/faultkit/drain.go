package faultkit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
)

// ConsumerTotals sums the state of a durable consumer over the ingest
// streams.
type ConsumerTotals struct {
	Pending    uint64 // not delivered yet
	AckPending uint64 // delivered, not acknowledged
	// Deliveries counts every delivery, redeliveries included (the consumer
	// sequence); StreamSeq the messages delivered at least once (the stream
	// sequence reached: every stream starts at 1 and loses nothing). Their
	// difference is the number of redeliveries.
	Deliveries, StreamSeq uint64
}

// Backlog is what the consumer still has to do: messages not delivered
// yet plus those delivered but not acknowledged.
func (c ConsumerTotals) Backlog() uint64 { return c.Pending + c.AckPending }

// IngestConsumers reads the durable consumer named consumer on every
// ingest stream and sums its state.
func IngestConsumers(ctx context.Context, js jetstream.JetStream, consumer string) (ConsumerTotals, error) {
	var t ConsumerTotals
	for _, st := range events.IngestStreams() {
		c, err := js.Consumer(ctx, st.Name, consumer)
		if err != nil {
			return ConsumerTotals{}, fmt.Errorf("consumer %s on %s: %w", consumer, st.Name, err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			return ConsumerTotals{}, fmt.Errorf("consumer %s on %s: %w", consumer, st.Name, err)
		}
		t.Pending += info.NumPending
		t.AckPending += uint64(info.NumAckPending)
		t.Deliveries += info.Delivered.Consumer
		t.StreamSeq += info.Delivered.Stream
	}
	return t, nil
}

// WaitDrained waits until the durable consumer has acknowledged everything
// on the ingest streams and returns its final totals. It gives up with an
// error once until has passed, or as soon as alive (if not nil) returns
// one: the process that consumes has exited, say.
func WaitDrained(js jetstream.JetStream, consumer string, until time.Time, alive func() error) (ConsumerTotals, error) {
	var last ConsumerTotals
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := IngestConsumers(ctx, js, consumer)
		cancel()
		if err == nil && c.Backlog() == 0 {
			return c, nil
		}
		if err == nil {
			last = c
		}
		lastErr = err
		if alive != nil {
			if err := alive(); err != nil {
				return last, err
			}
		}
		if time.Now().After(until) {
			return last, fmt.Errorf("ingest did not drain in time: %d messages not delivered, %d not acknowledged (last error: %v)", last.Pending, last.AckPending, lastErr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// MustWaitDrained is WaitDrained failing the test on its error; it returns
// how long the wait took.
func MustWaitDrained(tb testing.TB, js jetstream.JetStream, consumer string, until time.Time, alive func() error) time.Duration {
	tb.Helper()
	start := time.Now()
	if _, err := WaitDrained(js, consumer, until, alive); err != nil {
		tb.Fatal(err)
	}
	return time.Since(start)
}
