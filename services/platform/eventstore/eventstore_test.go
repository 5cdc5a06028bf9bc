package eventstore_test

import (
	"context"
	"testing"
	"time"

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

func TestCreateAppendConflictAndHistory(t *testing.T) {
	ns := natstest.Start(t)
	ctx := context.Background()
	store := eventstore.New(ns.JS, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })

	if _, err := store.Load(ctx, id); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("load before create: %v", err)
	}
	created := envelope(t, events.LeadCreatedV1{Lead: lead(1, "first")})
	rec, replayed, err := store.Create(ctx, id, created)
	if err != nil || replayed || rec.State.Title != "first" || rec.ID != id {
		t.Fatalf("create: %+v replayed=%v err=%v", rec, replayed, err)
	}
	// The same event again is recognised as a replay, even though JetStream refuses it.
	again, replayed, err := store.Create(ctx, id, created)
	if err != nil || !replayed || again.Seq != rec.Seq {
		t.Fatalf("replayed create: %+v replayed=%v err=%v", again, replayed, err)
	}
	// Another creation on the same id is a conflict.
	if _, _, err := store.Create(ctx, id, envelope(t, events.LeadCreatedV1{Lead: lead(1, "other")})); apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("second create: %v", err)
	}
	upd := envelope(t, events.LeadUpdatedV1{Lead: lead(2, "second"), Changed: []string{"title"}})
	next, err := store.Append(ctx, id, rec.Seq, upd)
	if err != nil || next.State.Version != 2 {
		t.Fatalf("append: %+v %v", next, err)
	}
	// A retry of the same append succeeds; a stale one conflicts.
	if r, err := store.Append(ctx, id, rec.Seq, upd); err != nil || r.Seq != next.Seq {
		t.Fatalf("retried append: %+v %v", r, err)
	}
	if _, err := store.Append(ctx, id, rec.Seq, envelope(t, events.LeadUpdatedV1{Lead: lead(2, "stale"), Changed: []string{"title"}})); apperr.CodeOf(err) != apperr.Conflict {
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
	rec, _, err := store.Create(ctx, id, envelope(t, events.LeadCreatedV1{Lead: lead(1, "first")}))
	if err != nil {
		t.Fatal(err)
	}
	view, err := store.Follow(ctx, events.AllLeads, obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := view.Get(id); !ok || got.State.Title != "first" {
		t.Fatalf("view after replay: %+v %v", got, ok)
	}
	if _, err := store.Append(ctx, id, rec.Seq, envelope(t, events.LeadUpdatedV1{Lead: lead(2, "second"), Changed: []string{"title"}})); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := view.Get(id); got.State.Title == "second" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the view did not follow the stream")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An older record never replaces a newer one.
	view.Put(rec)
	if got, _ := view.Get(id); got.State.Title != "second" || view.Len() != 1 {
		t.Fatalf("older put replaced the newer state: %+v", got)
	}
}
