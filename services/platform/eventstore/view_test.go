package eventstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
)

// leadsShape lists test leads by title, filters by post and stage, searches
// the investor and title, and finds a lead by its clauses.
var leadsShape = eventstore.Shape[events.LeadV1]{
	Name:  "leads",
	Order: func(l events.LeadV1) string { return l.Title + "\x00" + l.ID },
	Columns: []eventstore.Column[events.LeadV1]{
		{Name: "post", Of: func(l events.LeadV1) string { return l.Post }},
		{Name: "stage", Of: func(l events.LeadV1) string { return l.Stage }},
	},
	Text:    func(l events.LeadV1) string { return strings.ToLower(l.InvestorName + " " + l.Title) },
	Keys:    func(l events.LeadV1) []string { return l.Clauses },
	Indexes: [][]string{{"post"}, {"post", "stage"}},
	Version: 1,
}

func viewLen(t *testing.T, v *eventstore.View[events.LeadV1]) int {
	t.Helper()
	n, err := v.Len()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// countingStore is a leads store whose decodings are counted.
func countingStore(js jetstream.JetStream, decoded *atomic.Int64) *eventstore.Store[events.LeadV1] {
	return eventstore.New(js, events.StreamLeads, events.LeadSubject, func(ev events.Event) (events.LeadV1, bool) {
		decoded.Add(1)
		return leadState(ev)
	}, func(l events.LeadV1) string { return l.ID })
}

func leadID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

// leadN is test lead i: post, stage and title as given.
func leadN(i int, post, stage, title string, clauses ...string) events.LeadV1 {
	l := lead(1, title)
	l.ID, l.Post, l.Stage, l.Clauses = leadID(i), post, stage, clauses
	return l
}

// writer is a store to write with: its decodings (VerifyInHand) are not counted.
func writer(js jetstream.JetStream) *eventstore.Store[events.LeadV1] {
	return eventstore.New(js, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })
}

func createLead(t *testing.T, store *eventstore.Store[events.LeadV1], l events.LeadV1) eventstore.Record[events.LeadV1] {
	t.Helper()
	env, err := events.New(events.Meta{Source: "test", Subject: "lead/" + l.ID, Actor: "a", Scope: "post:" + l.Post}, events.LeadCreatedV1{Lead: l})
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := store.Create(t.Context(), l.ID, env, events.LeadCreatedV1{Lead: l})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func updateLead(t *testing.T, store *eventstore.Store[events.LeadV1], after uint64, l events.LeadV1) eventstore.Record[events.LeadV1] {
	t.Helper()
	ev := events.LeadUpdatedV1{Lead: l, Changed: []string{"title"}}
	env, err := events.New(events.Meta{Source: "test", Subject: "lead/" + l.ID, Actor: "a", Scope: "post:" + l.Post}, ev)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.Append(t.Context(), l.ID, after, env, ev)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// follow opens the view and waits until it has caught up.
func follow(t *testing.T, ctx context.Context, store *eventstore.Store[events.LeadV1], dir string, shape eventstore.Shape[events.LeadV1]) *eventstore.View[events.LeadV1] {
	t.Helper()
	v, err := store.Follow(ctx, dir, events.AllLeads, shape, obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for v.Ready(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the view did not catch up: %v", v.Ready(ctx))
		}
		time.Sleep(10 * time.Millisecond)
	}
	return v
}

// TestViewResumesFromItsFile: a view opened again on its file decodes only
// the events written since it closed, not the history; a view of another
// shape (its Version changed) rebuilds from the log.
func TestViewResumesFromItsFile(t *testing.T) {
	ns := natstest.Start(t)
	dir := t.TempDir()
	var decoded atomic.Int64
	store, w := countingStore(ns.JS, &decoded), writer(ns.JS)
	var recs []eventstore.Record[events.LeadV1]
	for i := range 50 {
		recs = append(recs, createLead(t, w, leadN(i, "de-berlin", "identified", fmt.Sprintf("lead %02d", i))))
	}
	ctx, stop := context.WithCancel(t.Context())
	v := follow(t, ctx, store, dir, leadsShape)
	if n := viewLen(t, v); n != 50 || decoded.Load() != 50 {
		t.Fatalf("first start: %d records, %d decoded; want 50 and 50", n, decoded.Load())
	}
	stop()
	<-v.Closed()

	for i := 50; i < 57; i++ {
		createLead(t, w, leadN(i, "cn-beijing", "contacted", fmt.Sprintf("lead %02d", i)))
	}
	renamed := recs[3].State
	renamed.Version, renamed.Title = 2, "lead 03 renamed"
	updateLead(t, w, recs[3].Seq, renamed)
	decoded.Store(0)
	ctx, stop = context.WithCancel(t.Context())
	v = follow(t, ctx, store, dir, leadsShape)
	if n := viewLen(t, v); n != 57 {
		t.Fatalf("after the restart: %d records; want 57", n)
	}
	if got, ok, err := v.Get(renamed.ID); err != nil || !ok || got.State.Title != "lead 03 renamed" {
		t.Fatalf("the renamed lead: %+v %v %v", got.State.Title, ok, err)
	}
	if n := decoded.Load(); n != 8+1 { // the 8 new events, then the record read above
		t.Fatalf("the restart decoded %d events; want the 8 written since it closed (+1 read)", n)
	}
	stop()
	<-v.Closed()

	decoded.Store(0)
	other := leadsShape
	other.Version++
	v = follow(t, t.Context(), store, dir, other)
	if n := viewLen(t, v); n != 57 || decoded.Load() != 58 {
		t.Fatalf("another shape: %d records, %d decoded; want 57 records rebuilt from the 58 events", n, decoded.Load())
	}
}

// TestViewListsFromItsColumns: filters, search, the order, pages by offset
// and by cursor, with and without a filter in Go, and lookups by key that
// follow a record's changes.
func TestViewListsFromItsColumns(t *testing.T) {
	ns := natstest.Start(t)
	var decoded atomic.Int64
	store, w := countingStore(ns.JS, &decoded), writer(ns.JS)
	var berlinContacted []string
	var recs []eventstore.Record[events.LeadV1]
	for i := range 30 {
		post, stage := []string{"de-berlin", "cn-beijing"}[i%2], []string{"identified", "contacted", "qualified"}[i%3]
		title := fmt.Sprintf("plant %02d", 29-i) // listed in reverse creation order
		if i == 7 {
			title = "Қазақ ALUMINIUM plant"
		}
		recs = append(recs, createLead(t, w, leadN(i, post, stage, title, fmt.Sprintf("2.%d", i%4))))
		if post == "de-berlin" && stage == "contacted" {
			berlinContacted = append(berlinContacted, leadID(i))
		}
	}
	slices.Reverse(berlinContacted)
	v := follow(t, t.Context(), store, "", leadsShape)
	ids := func(recs []eventstore.Record[events.LeadV1]) []string {
		var out []string
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out
	}
	res, err := v.List(eventstore.Query[events.LeadV1]{Match: map[string]string{"post": "de-berlin", "stage": "contacted", "sector": "metallurgy"}})
	if err == nil {
		t.Fatalf("a column the view does not have is an error, got %d records", res.Total)
	}
	q := eventstore.Query[events.LeadV1]{Match: map[string]string{"post": "de-berlin", "stage": "contacted"}}
	res, err = v.List(q)
	if err != nil || res.Total != len(berlinContacted) || !slices.Equal(ids(res.Records), berlinContacted) || res.Next != "" {
		t.Fatalf("Berlin, contacted: %v of %d next %q (%v); want %v", ids(res.Records), res.Total, res.Next, err, berlinContacted)
	}
	for _, keep := range []func(events.LeadV1) bool{nil, func(l events.LeadV1) bool { return l.Stage != "qualified" }} {
		q := eventstore.Query[events.LeadV1]{Match: map[string]string{"post": "de-berlin"}, Keep: keep}
		all, err := v.Select(q)
		if err != nil {
			t.Fatal(err)
		}
		var walked []string
		q.Limit = 4
		for page := 0; ; page++ {
			res, err := v.List(q)
			if err != nil || res.Total != len(all) {
				t.Fatalf("page %d: total %d (%v); want %d", page, res.Total, err, len(all))
			}
			walked = append(walked, ids(res.Records)...)
			// The offset page equals the cursor's.
			byOffset, _ := v.List(eventstore.Query[events.LeadV1]{Match: q.Match, Keep: keep, Limit: 4, Offset: 4 * page})
			if !slices.Equal(ids(byOffset.Records), ids(res.Records)) {
				t.Fatalf("page %d by offset %v, by cursor %v", page, ids(byOffset.Records), ids(res.Records))
			}
			if q.After = res.Next; q.After == "" {
				break
			}
		}
		if !slices.Equal(walked, ids(all)) {
			t.Fatalf("keep %v: the cursor walked %v; want %v", keep != nil, walked, ids(all))
		}
	}
	if res, err := v.List(eventstore.Query[events.LeadV1]{Text: "қазақ alu"}); err != nil || res.Total != 1 || res.Records[0].ID != leadID(7) {
		t.Fatalf("search: %v %v", ids(res.Records), err)
	}
	if _, err := v.List(eventstore.Query[events.LeadV1]{After: "%%"}); err != eventstore.ErrCursor {
		t.Fatalf("a cursor no page gave: %v", err)
	}
	// Lookups follow the record: a changed clause no longer finds it.
	found, err := v.Lookup("2.3")
	if err != nil || len(found) != 7 {
		t.Fatalf("clause 2.3: %d records (%v); want 7", len(found), err)
	}
	moved := recs[3].State
	moved.Version, moved.Clauses = 2, []string{"3.1"}
	v.Put(updateLead(t, w, recs[3].Seq, moved))
	if found, _ := v.Lookup("2.3"); len(found) != 6 || slices.Contains(ids(found), moved.ID) {
		t.Fatalf("clause 2.3 after the change: %v", ids(found))
	}
	if found, _ := v.Lookup("3.1"); len(found) != 1 || found[0].ID != moved.ID {
		t.Fatalf("clause 3.1: %v", ids(found))
	}
}

// TestViewDoesNotDecodeWhatWritersPut: a writer's records reach the file
// without the follower decoding their events; an event another process
// wrote is decoded once.
func TestViewDoesNotDecodeWhatWritersPut(t *testing.T) {
	// Stored on reads only: a timed flush between the follower receiving an
	// event and its writer putting it would decode it (rarely, and harmlessly).
	defer eventstore.SetFlushAfter(time.Hour)()
	ns := natstest.Start(t)
	var decoded atomic.Int64
	store, w := countingStore(ns.JS, &decoded), writer(ns.JS)
	v := follow(t, t.Context(), store, "", leadsShape)
	var last uint64
	for i := range 20 {
		rec := createLead(t, w, leadN(i, "de-berlin", "identified", fmt.Sprintf("lead %02d", i)))
		v.Put(rec)
		if i%2 == 0 {
			viewLen(t, v) // a read at once, often before the follower received it: the put is stored re-encoded
		}
		last = rec.Seq
	}
	deadline := time.Now().Add(10 * time.Second)
	for v.Followed() < last {
		if time.Now().After(deadline) {
			t.Fatalf("the follower received up to %d of %d", v.Followed(), last)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := viewLen(t, v); n != 20 || decoded.Load() != 0 {
		t.Fatalf("%d records, %d decoded; want 20 and none", n, decoded.Load())
	}
	// Written elsewhere: decoded when stored, once.
	other := leadN(99, "de-berlin", "identified", "elsewhere")
	env, err := events.New(events.Meta{Source: "test", Subject: "lead/" + other.ID, Actor: "a", Scope: "post:de-berlin"}, events.LeadCreatedV1{Lead: other})
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(events.MustSubject(events.LeadSubject(other.ID)))
	msg.Data = mustJSON(t, env)
	if _, err := ns.JS.PublishMsg(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	for viewLen(t, v) != 21 {
		if time.Now().After(deadline) {
			t.Fatal("the view did not take the event written elsewhere")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if decoded.Load() != 1 {
		t.Fatalf("%d decoded; want the one written elsewhere", decoded.Load())
	}
}

// TestViewFileInUse: two holders of one view file are refused with what to do.
func TestViewFileInUse(t *testing.T) {
	defer eventstore.SetLockWait(200 * time.Millisecond)()
	ns := natstest.Start(t)
	var decoded atomic.Int64
	store := countingStore(ns.JS, &decoded)
	dir := t.TempDir()
	follow(t, t.Context(), store, dir, leadsShape)
	_, err := store.Follow(t.Context(), dir, events.AllLeads, leadsShape, obs.Discard())
	if err == nil || !strings.Contains(err.Error(), "ECONDIP_VIEWS_DIR") {
		t.Fatalf("a second holder: %v; want a refusal naming ECONDIP_VIEWS_DIR", err)
	}
}

// errorCount is a slog handler that counts the records at level Error.
type errorCount struct{ n atomic.Int64 }

func (h *errorCount) Enabled(context.Context, slog.Level) bool { return true }
func (h *errorCount) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.n.Add(1)
	}
	return nil
}
func (h *errorCount) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *errorCount) WithGroup(string) slog.Handler      { return h }

// TestViewClosedWritesNothing: a writer's record put after the view closed
// (its file closed) is not written, and no flush retries against the
// closed file (as `econdip up`'s importer's view did, logging "database
// is closed" many times a second).
func TestViewClosedWritesNothing(t *testing.T) {
	ns := natstest.Start(t)
	w := writer(ns.JS)
	rec := createLead(t, w, leadN(1, "de-berlin", "identified", "lead"))
	errs := &errorCount{}
	ctx, stop := context.WithCancel(t.Context())
	v, err := w.Follow(ctx, t.TempDir(), events.AllLeads, leadsShape, slog.New(errs))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for v.Ready(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the view did not catch up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-v.Closed()
	later := rec
	later.Seq, later.State.Version = rec.Seq+1, 2
	v.Put(later)
	time.Sleep(2500 * time.Millisecond) // the put's flush, and a retry a second later if it failed
	if n := errs.n.Load(); n != 0 {
		t.Fatalf("%d errors logged after the view closed; want none", n)
	}
}
