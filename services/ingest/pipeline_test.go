package ingest

import (
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
	return fetched{msgs: msgs, stopProgress: func() {}}
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
	if l := <-out; len(l.fetches) != 1 || l.msgs != 3 || len(l.poison) != 3 {
		t.Fatalf("a lone fetch: load of %d fetches, %d messages, %d set aside", len(l.fetches), l.msgs, len(l.poison))
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
		if len(l.fetches) > maxMerge || l.msgs != 2*len(l.fetches) {
			t.Errorf("load of %d fetches and %d messages", len(l.fetches), l.msgs)
		}
	}
	if total != more || sizes[0] != maxMerge {
		t.Errorf("loads of %v fetches, want %d in all, the first of %d", sizes, more, maxMerge)
	}
}

func TestInFlightStaysBelowMaxAckPending(t *testing.T) {
	if inFlight > maxAckPending {
		t.Fatalf("%d batches in flight, but JetStream delivers only %d unacknowledged", inFlight, maxAckPending)
	}
}
