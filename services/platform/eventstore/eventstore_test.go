package eventstore_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
)

func leadState(ev events.Event) (events.LeadV1, bool) {
	s, ok := ev.(events.LeadSnapshot)
	if !ok {
		return events.LeadV1{}, false
	}
	return s.State(), true
}

const id = "4b3f1c2a-6d7e-4f80-9a1b-2c3d4e5f6a7b"

func lead(version int, title string) events.LeadV1 {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return events.LeadV1{ID: id, Version: version, Post: "de-berlin", Attache: "a", InvestorName: "I", InvestorCountry: "DE",
		Title: title, Clauses: []string{"2.2"}, InvestmentType: "greenfield", Capex: events.Money{Amount: decimal.NewFromInt(1), Currency: "USD"},
		Source: "event", Stage: "identified", Probability: decimal.RequireFromString("0.05"), CreatedAt: at, UpdatedAt: at, StageChangedAt: at}
}

func envelope(t *testing.T, ev events.Event) events.Envelope {
	t.Helper()
	env, err := events.New(events.Meta{Source: "test", Subject: "lead/" + id, Actor: "a", Scope: "post:de-berlin"}, ev)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// data is the typed event env carries, as the writer that built env holds it.
func data(t *testing.T, env events.Envelope) events.Event {
	t.Helper()
	ev, err := events.DecodeData(env)
	if err != nil {
		t.Fatal(err)
	}
	return reflect.ValueOf(ev).Elem().Interface().(events.Event) // a value, as writers pass it
}

func TestCreateAppendConflictAndHistory(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	store := eventstore.New(ns.JS, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })

	if _, err := store.Load(ctx, id); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("load before create: %v", err)
	}
	created := envelope(t, events.LeadCreatedV1{Lead: lead(1, "first")})
	rec, replayed, err := store.Create(ctx, id, created, data(t, created))
	if err != nil || replayed || rec.State.Title != "first" || rec.ID != id {
		t.Fatalf("create: %+v replayed=%v err=%v", rec, replayed, err)
	}
	// The same event again is recognised as a replay, even though JetStream refuses it.
	again, replayed, err := store.Create(ctx, id, created, data(t, created))
	if err != nil || !replayed || again.Seq != rec.Seq {
		t.Fatalf("replayed create: %+v replayed=%v err=%v", again, replayed, err)
	}
	// Another creation on the same id is a conflict.
	other := envelope(t, events.LeadCreatedV1{Lead: lead(1, "other")})
	if _, _, err := store.Create(ctx, id, other, data(t, other)); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("second create: %v", err)
	}
	upd := envelope(t, events.LeadUpdatedV1{Lead: lead(2, "second"), Changed: []string{"title"}})
	next, err := store.Append(ctx, id, rec.Seq, upd, data(t, upd))
	if err != nil || next.State.Version != 2 {
		t.Fatalf("append: %+v %v", next, err)
	}
	// A retry of the same append succeeds; a stale one conflicts.
	if r, err := store.Append(ctx, id, rec.Seq, upd, data(t, upd)); err != nil || r.Seq != next.Seq {
		t.Fatalf("retried append: %+v %v", r, err)
	}
	stale := envelope(t, events.LeadUpdatedV1{Lead: lead(2, "stale"), Changed: []string{"title"}})
	if _, err := store.Append(ctx, id, rec.Seq, stale, data(t, stale)); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("stale append: %v", err)
	}
	cur, err := store.Load(ctx, id)
	if err != nil || cur.State.Title != "second" || cur.Seq != next.Seq {
		t.Fatalf("load: %+v %v", cur, err)
	}
	hist, err := store.History(ctx, id)
	if err != nil || len(hist) != 2 || hist[0].State.Title != "first" || hist[1].State.Title != "second" {
		t.Fatalf("history: %d %v", len(hist), err)
	}
}

func TestFollowBuildsTheViewAndKeepsUp(t *testing.T) {
	ns := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := eventstore.New(ns.JS, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })
	created := envelope(t, events.LeadCreatedV1{Lead: lead(1, "first")})
	rec, _, err := store.Create(ctx, id, created, data(t, created))
	if err != nil {
		t.Fatal(err)
	}
	view, err := store.Follow(ctx, t.TempDir(), events.AllLeads, leadsShape, obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := view.Get(id); err != nil || !ok || got.State.Title != "first" {
		t.Fatalf("view after replay: %+v %v", got, ok)
	}
	upd := envelope(t, events.LeadUpdatedV1{Lead: lead(2, "second"), Changed: []string{"title"}})
	if _, err := store.Append(ctx, id, rec.Seq, upd, data(t, upd)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _, _ := view.Get(id); got.State.Title == "second" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the view did not follow the stream")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An older record never replaces a newer one.
	view.Put(rec)
	if got, _, _ := view.Get(id); got.State.Title != "second" || viewLen(t, view) != 1 {
		t.Fatalf("older put replaced the newer state: %+v", got)
	}
}

// TestFinding8_CreateOnceRefusesAnotherRequestWithTheSameKey: a creation
// retried with the same event id and the same request fingerprint is a
// replay of the stored record; with another fingerprint it is KeyReused and
// stores nothing, both inside the stream's duplicate window (JetStream drops
// the publish) and after it (the subject's last sequence refuses it). A first
// event stored without a fingerprint predates the check and matches any.
func TestFinding8_CreateOnceRefusesAnotherRequestWithTheSameKey(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	store := eventstore.New(ns.JS, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })
	msgs := func() uint64 {
		t.Helper()
		st, err := ns.JS.Stream(ctx, events.StreamLeads)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}
	reqA, _ := eventstore.RequestSHA256("lead", map[string]string{"title": "first"})
	reqB, _ := eventstore.RequestSHA256("lead", map[string]string{"title": "other"})
	if reqA == reqB || len(reqA) != 64 {
		t.Fatalf("fingerprints %q %q", reqA, reqB)
	}
	created := envelope(t, events.LeadCreatedV1{Lead: lead(1, "first")})
	rec, replayed, err := store.CreateOnce(ctx, id, created, data(t, created), reqA)
	if err != nil || replayed || rec.RequestSHA256 != reqA {
		t.Fatalf("create: %+v replayed=%v err=%v", rec, replayed, err)
	}
	if first, err := store.First(ctx, id); err != nil || first.RequestSHA256 != reqA {
		t.Fatalf("the fingerprint is stored with the event: %+v %v", first, err)
	}
	// Inside the duplicate window.
	retried := envelope2(t, created, "first, retried")
	again, replayed, err := store.CreateOnce(ctx, id, retried, data(t, retried), reqA)
	if err != nil || !replayed || again.Seq != rec.Seq || again.State.Title != "first" {
		t.Fatalf("same request again: %+v replayed=%v err=%v; want the stored record", again, replayed, err)
	}
	reused := envelope2(t, created, "other")
	if _, _, err := store.CreateOnce(ctx, id, reused, data(t, reused), reqB); apperr.CodeOf(err) != apperr.KeyReused {
		t.Fatalf("another request with the same key: %v, want KeyReused", err)
	}
	if n := msgs(); n != 1 {
		t.Fatalf("the stream holds %d events, want 1", n)
	}

	// After the duplicate window: stored without a message id, so JetStream has no record of it.
	for _, tc := range []struct {
		name, other, stored, request string
		want                         apperr.Code // "" for a replay
	}{
		{"same request", "5c4e2d3b-7e8f-4a91-8b2c-3d4e5f6a7b81", reqA, reqA, ""},
		{"another request", "5c4e2d3b-7e8f-4a91-8b2c-3d4e5f6a7b82", reqA, reqB, apperr.KeyReused},
		{"an event stored before the check", "5c4e2d3b-7e8f-4a91-8b2c-3d4e5f6a7b83", "", reqB, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := tc.other
			env := envelope(t, events.LeadCreatedV1{Lead: func() events.LeadV1 { l := lead(1, "first"); l.ID = other; return l }()})
			raw, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			subject := events.MustSubject(events.LeadSubject(other))
			msg := nats.NewMsg(subject)
			msg.Data = raw
			if tc.stored != "" {
				msg.Header.Set(events.HeaderRequestSHA256, tc.stored)
			}
			if _, err := ns.JS.PublishMsg(ctx, msg); err != nil {
				t.Fatal(err)
			}
			before := msgs()
			later := envelope2(t, env, "later")
			got, replayed, err := store.CreateOnce(ctx, other, later, data(t, later), tc.request)
			if tc.want != "" {
				if apperr.CodeOf(err) != tc.want {
					t.Fatalf("got %v, want %s", err, tc.want)
				}
			} else if err != nil || !replayed || got.State.Title != "first" {
				t.Fatalf("got %+v replayed=%v err=%v, want the stored record", got, replayed, err)
			}
			if n := msgs(); n != before {
				t.Fatalf("the stream grew from %d to %d", before, n)
			}
		})
	}
}

// envelope2 is env (same event id) carrying a lead with another title, as a
// retry with another body makes.
func envelope2(t *testing.T, env events.Envelope, title string) events.Envelope {
	t.Helper()
	_, ev, err := events.Decode(mustJSON(t, env))
	if err != nil {
		t.Fatal(err)
	}
	l := ev.(*events.LeadCreatedV1).Lead
	l.Title = title
	out, err := events.New(events.Meta{ID: env.ID, Source: env.Source, Subject: env.Subject, Actor: env.Actor, Scope: env.Scope}, events.LeadCreatedV1{Lead: l})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestRecordsAreBuiltFromTheEventInHand: what Create and Append answer is
// the record decoding the stored event gives (the state, and the event as a
// pointer, as decoding makes it), without decoding it; an event that is not
// the one its envelope carries is refused and stores nothing.
func TestRecordsAreBuiltFromTheEventInHand(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	store := eventstore.New(ns.JS, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })
	ev := events.LeadCreatedV1{Lead: lead(1, "first")}
	env := envelope(t, ev)
	if _, _, err := store.Create(ctx, id, env, events.LeadUpdatedV1{Lead: lead(1, "first")}); apperr.CodeOf(err) != apperr.Internal {
		t.Fatalf("create with another event than the envelope's: %v, want Internal", err)
	}
	rec, _, err := store.Create(ctx, id, env, ev)
	if err != nil {
		t.Fatal(err)
	}
	upd := events.LeadUpdatedV1{Lead: lead(2, "second"), Changed: []string{"title"}}
	next, err := store.Append(ctx, id, rec.Seq, envelope(t, upd), upd)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := store.History(ctx, id)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history: %d %v", len(hist), err)
	}
	for i, got := range []eventstore.Record[events.LeadV1]{rec, next} {
		want := hist[i]
		if got.Seq != want.Seq || got.ID != want.ID || got.Envelope.ID != want.Envelope.ID ||
			reflect.TypeOf(got.Event) != reflect.TypeOf(want.Event) ||
			string(mustJSON(t, got.State)) != string(mustJSON(t, want.State)) ||
			string(mustJSON(t, got.Event)) != string(mustJSON(t, want.Event)) {
			t.Errorf("record %d from the event in hand:\n %+v\nstored and decoded:\n %+v", i, got, want)
		}
	}
}

// TestFollowSkipsWhatWritersPut: with writers putting their own results
// (which the follower then skips, view_test.go), the follower still takes
// every other event, and a writer's put of an older event changes nothing.
func TestFollowSkipsWhatWritersPut(t *testing.T) {
	ns := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := eventstore.New(ns.JS, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })
	view, err := store.Follow(ctx, t.TempDir(), events.AllLeads, leadsShape, obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	created := envelope(t, events.LeadCreatedV1{Lead: lead(1, "first")})
	rec, _, err := store.Create(ctx, id, created, data(t, created))
	if err != nil {
		t.Fatal(err)
	}
	view.Put(rec)
	// Written by this process's writer, put at once: skipped by the follower.
	upd := events.LeadUpdatedV1{Lead: lead(2, "second"), Changed: []string{"title"}}
	next, err := store.Append(ctx, id, rec.Seq, envelope(t, upd), upd)
	if err != nil {
		t.Fatal(err)
	}
	view.Put(next)
	// Written by someone else (not put): the follower decodes it.
	third := events.LeadUpdatedV1{Lead: lead(3, "third"), Changed: []string{"title"}}
	raw := mustJSON(t, envelope(t, third))
	msg := nats.NewMsg(events.MustSubject(events.LeadSubject(id)))
	msg.Data = raw
	if _, err := ns.JS.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _, _ := view.Get(id); got.State.Title == "third" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the view did not take the event written elsewhere")
		}
		time.Sleep(20 * time.Millisecond)
	}
	view.Put(next)
	if got, _, _ := view.Get(id); got.State.Title != "third" || viewLen(t, view) != 1 {
		t.Fatalf("an older put replaced the newer state: %+v", got)
	}
}
