package eventstore

import "testing"

// TestViewSkipsOnlyWhatWritersPut: the follower skips the event at a
// sequence a writer put (once), decodes every other, and a writer's put of
// an event the follower has passed leaves nothing behind.
func TestViewSkipsOnlyWhatWritersPut(t *testing.T) {
	v := &View[string]{recs: map[string]Record[string]{}, put: map[uint64]struct{}{}}
	v.Put(Record[string]{ID: "a", State: "a1", Seq: 5})
	if v.seen(4) {
		t.Error("seq 4: no writer put it, the follower must decode it")
	}
	if !v.seen(5) {
		t.Error("seq 5: a writer put it, the follower must skip it")
	}
	if v.seen(5) {
		t.Error("seq 5 again (a redelivery): decode it, putting it changes nothing")
	}
	// A put of what the follower has passed (a replayed create answering the
	// stored record, or a put after the follower took the event first).
	v.Put(Record[string]{ID: "b", State: "b1", Seq: 3})
	v.Put(Record[string]{ID: "a", State: "a1", Seq: 5})
	if len(v.put) != 0 {
		t.Errorf("sequences the follower passed are remembered: %v", v.put)
	}
	// Puts the follower never meets (outside its filter) are dropped once it has passed them.
	for seq := uint64(10); seq < 10+maxPut; seq++ {
		v.Put(Record[string]{ID: "c", State: "c", Seq: seq})
	}
	v.seen(10 + maxPut)
	v.Put(Record[string]{ID: "c", State: "c", Seq: 20 + maxPut})
	if len(v.put) != 1 {
		t.Errorf("%d sequences remembered, want 1", len(v.put))
	}
	if r, _ := v.Get("b"); r.State != "b1" {
		t.Errorf("view: %+v", r)
	}
}

// TestViewIndexFollowsTheRecords: a record is found by the keys of its
// current state only; an older event changes nothing.
func TestViewIndexFollowsTheRecords(t *testing.T) {
	v := &View[[]string]{recs: map[string]Record[[]string]{}, put: map[uint64]struct{}{},
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
