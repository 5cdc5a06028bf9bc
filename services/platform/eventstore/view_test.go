package eventstore

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// testView is a view whose follower's events are "id=state" and counted when decoded.
func testView(decoded *int) *View[string] {
	return &View[string]{recs: map[string]Record[string]{}, put: map[uint64]struct{}{}, pending: map[uint64][]byte{}, wait: time.Hour,
		index: map[string]map[string]struct{}{}, log: slog.New(slog.DiscardHandler),
		decode: func(data []byte, seq uint64) (Record[string], error) {
			*decoded++
			id, state, _ := strings.Cut(string(data), "=")
			return Record[string]{ID: id, State: state, Seq: seq}, nil
		}}
}

// TestViewDecodesOnlyWhatNoWriterPut: the follower's events that a writer
// of this process put, before or after the follower received them, are
// never decoded; the others are, before any read and after flushAfter.
func TestViewDecodesOnlyWhatNoWriterPut(t *testing.T) {
	decoded := 0
	v := testView(&decoded)
	count := func() int { v.mu.RLock(); defer v.mu.RUnlock(); return decoded }
	v.Put(Record[string]{ID: "a", State: "a1", Seq: 5}) // put, then received
	v.received(4, []byte("b=b1"))                       // received, never put
	v.received(5, []byte("a=a1"))
	v.received(6, []byte("a=a2")) // received, then put
	v.Put(Record[string]{ID: "a", State: "a2", Seq: 6})
	if n := count(); n != 0 {
		t.Fatalf("%d events decoded before any read", n)
	}
	if r, ok := v.Get("b"); !ok || r.State != "b1" || count() != 1 {
		t.Fatalf("a read sees every event received: %+v %v, %d decoded", r, ok, count())
	}
	if r, _ := v.Get("a"); r.State != "a2" || r.Seq != 6 {
		t.Fatalf("a: %+v", r)
	}
	// Without a read, an event no writer put is decoded after flushAfter.
	other := 0
	w := testView(&other)
	w.wait = 10 * time.Millisecond
	w.received(7, []byte("c=c1"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.mu.RLock()
		_, ok := w.recs["c"]
		w.mu.RUnlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pending event was not decoded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A put of what the follower has passed (a replayed create answering the
	// stored record) leaves nothing behind.
	v.Put(Record[string]{ID: "b", State: "b1", Seq: 4})
	if len(v.put) != 0 || len(v.pending) != 0 {
		t.Errorf("remembered: put %v, pending %v", v.put, v.pending)
	}
	// Puts the follower never meets (outside its filter) are dropped once it has passed them.
	for seq := uint64(10); seq < 10+maxPut; seq++ {
		v.Put(Record[string]{ID: "d", State: "d", Seq: seq})
	}
	v.received(10+maxPut, []byte("e=e1"))
	v.Put(Record[string]{ID: "d", State: "d", Seq: 20 + maxPut})
	if len(v.put) != 1 {
		t.Errorf("%d sequences remembered, want 1", len(v.put))
	}
}

// TestViewIndexFollowsTheRecords: a record is found by the keys of its
// current state only; an older event changes nothing.
func TestViewIndexFollowsTheRecords(t *testing.T) {
	v := &View[[]string]{recs: map[string]Record[[]string]{}, put: map[uint64]struct{}{}, pending: map[uint64][]byte{},
		keys: func(ks []string) []string { return ks }, index: map[string]map[string]struct{}{}}
	ids := func(key string) []string {
		var out []string
		for _, r := range v.Lookup(key) {
			out = append(out, r.ID)
		}
		return out
	}
	v.Put(Record[[]string]{ID: "a", State: []string{"k1", "k2"}, Seq: 1})
	v.apply(Record[[]string]{ID: "b", State: []string{"k2"}, Seq: 2})
	if got := ids("k1"); len(got) != 1 || got[0] != "a" {
		t.Errorf("k1: %v", got)
	}
	if got := ids("k2"); len(got) != 2 {
		t.Errorf("k2: %v", got)
	}
	v.Put(Record[[]string]{ID: "a", State: []string{"k3"}, Seq: 3}) // k1 and k2 revoked, k3 added
	v.Put(Record[[]string]{ID: "a", State: []string{"k1"}, Seq: 1}) // older: ignored
	if got := ids("k1"); len(got) != 0 {
		t.Errorf("k1 after its removal: %v", got)
	}
	if got := ids("k2"); len(got) != 1 || got[0] != "b" {
		t.Errorf("k2: %v", got)
	}
	if got := ids("k3"); len(got) != 1 || got[0] != "a" {
		t.Errorf("k3: %v", got)
	}
	if len(v.index) != 2 {
		t.Errorf("index keeps empty keys: %v", v.index)
	}
}
