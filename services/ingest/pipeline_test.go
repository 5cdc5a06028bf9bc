package ingest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/obs"
)

// noMetaMsg is a message without JetStream metadata: decode sets it aside.
type noMetaMsg struct{ jetstream.Msg }

func (noMetaMsg) Metadata() (*jetstream.MsgMetadata, error) { return nil, errors.New("no metadata") }

func fetchOf(n int) fetched {
	msgs := make([]jetstream.Msg, n)
	for i := range msgs {
		msgs[i] = noMetaMsg{}
	}
	return fetched{msgs: msgs, bytes: int64(n) * 1000, stopProgress: func() {}}
}

// TestDecodeIntoMergesWhileTheInserterIsBusy: a fetch goes to a free
// inserter alone; while the inserter is busy, up to maxMerge fetches wait
// for it in one load.
func TestDecodeIntoMergesWhileTheInserterIsBusy(t *testing.T) {
	s := New(nil, nil, obs.Discard(), Config{})
	in, out := make(chan fetched), make(chan *load)
	go func() {
		defer close(out)
		s.decodeInto("LEADS", in, out)
	}()
	in <- fetchOf(3)
	if l := <-out; len(l.fetches) != 1 || l.msgs != 3 || len(l.poison) != 3 || l.bytes != 3000 {
		t.Fatalf("a lone fetch: load of %d fetches, %d messages, %d set aside, %d bytes", len(l.fetches), l.msgs, len(l.poison), l.bytes)
	}
	const more = maxMerge + 2
	go func() {
		for range more {
			in <- fetchOf(2)
		}
		close(in)
	}()
	time.Sleep(200 * time.Millisecond) // the inserter is busy
	var sizes []int
	total := 0
	for l := range out {
		sizes = append(sizes, len(l.fetches))
		total += len(l.fetches)
		if len(l.fetches) > maxMerge || l.msgs != 2*len(l.fetches) || l.bytes != 2000*int64(len(l.fetches)) {
			t.Errorf("load of %d fetches, %d messages and %d bytes", len(l.fetches), l.msgs, l.bytes)
		}
	}
	if total != more || sizes[0] != maxMerge {
		t.Errorf("loads of %v fetches, want %d in all, the first of %d", sizes, more, maxMerge)
	}
}

// TestHeldWaitsForBytesBelowBudget: the fetcher waits while the stream
// holds the budget or more, and goes on once a load's bytes are released.
func TestHeldWaitsForBytesBelowBudget(t *testing.T) {
	h := newHeld()
	if !h.waitBelow(context.Background(), budget) {
		t.Fatal("an empty stream waits")
	}
	h.add(budget)
	done := make(chan bool)
	go func() { done <- h.waitBelow(context.Background(), budget) }()
	select {
	case <-done:
		t.Fatal("went on with the budget held")
	case <-time.After(100 * time.Millisecond):
	}
	h.release(1)
	if !<-done {
		t.Fatal("waitBelow false after a release")
	}
	h.add(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if h.waitBelow(ctx, budget) {
		t.Fatal("waitBelow true over budget with ctx ended")
	}
}

// TestBudgetFitsMemoryLimit: three streams, each at its budget plus one
// batch of 2000 messages of 1.4 KB (the events' average), hold under half
// of MemoryLimit; the rest is the column blocks of the inserts and the
// collector's headroom.
func TestBudgetFitsMemoryLimit(t *testing.T) {
	batch := int64(2000 * (2*1400 + 1024))
	if held := 3 * (budget + batch); held > MemoryLimit/2 {
		t.Fatalf("three streams hold up to %d MiB, over half the %d MiB limit", held>>20, MemoryLimit>>20)
	}
}

func TestInFlightStaysBelowMaxAckPending(t *testing.T) {
	if inFlight > maxAckPending {
		t.Fatalf("%d batches in flight, but JetStream delivers only %d unacknowledged", inFlight, maxAckPending)
	}
}
