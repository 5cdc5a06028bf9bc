package command_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
)

// A kind over the lead event's state, without a domain type: enough to run
// every path of the helper against JetStream.
func leads(t *testing.T) *command.Kind[events.LeadV1, events.LeadV1] {
	t.Helper()
	ns := natstest.Start(t)
	state := func(ev events.Event) (events.LeadV1, bool) {
		s, ok := ev.(events.LeadSnapshot)
		if !ok {
			return events.LeadV1{}, false
		}
		return s.State(), true
	}
	store := eventstore.New(ns.JS, events.StreamLeads, events.LeadSubject, state, func(l events.LeadV1) string { return l.ID })
	view, err := store.Follow(t.Context(), t.TempDir(), events.AllLeads, eventstore.Shape[events.LeadV1]{Name: "leads", Order: func(l events.LeadV1) string { return command.NewestFirst(l.UpdatedAt, l.ID) }}, obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	same := func(l events.LeadV1) events.LeadV1 { return l }
	return &command.Kind[events.LeadV1, events.LeadV1]{
		Name: "lead", Source: "test", Store: store, View: view, FromEvent: same, ToEvent: same,
		Stamp: func(l *events.LeadV1) (*int, *time.Time) { return &l.Version, &l.UpdatedAt },
		Meta:  func(_ auth.User, l events.LeadV1) (string, string) { return "lead/" + l.ID, "post:" + l.Post },
		Owns:  func(u auth.User, l events.LeadV1) bool { return u.Post == l.Post },
		Other: "error.other_post",
		Valid: func(id string) bool { _, err := uuid.Parse(id); return err == nil },
		Now:   time.Now,
		IDs:   command.IDSpace{Namespace: uuid.MustParse("0f0e0d0c-0b0a-4908-8706-050403020100")},
	}
}

var (
	berlin  = auth.User{ID: "attache.de-berlin", Role: auth.Attache, Post: "de-berlin"}
	beijing = auth.User{ID: "attache.cn-beijing", Role: auth.Attache, Post: "cn-beijing"}
	analyst = auth.User{ID: "analyst", Role: auth.Analyst}
)

type input struct{ Title string }

func create(k *command.Kind[events.LeadV1, events.LeadV1], u auth.User, key string, in input) (events.LeadV1, bool, error) {
	return k.Create(context.Background(), u, auth.WriteLeads, command.New{IdempotencyKey: key, Input: in},
		func(id string, now time.Time) (events.LeadV1, command.Event[events.LeadV1], error) {
			l := events.LeadV1{ID: id, Version: 1, Post: u.Post, Attache: u.ID, InvestorName: "I", InvestorCountry: "DE", Title: in.Title,
				Clauses: []string{"2.2"}, InvestmentType: "greenfield", Capex: events.Money{Amount: decimal.NewFromInt(1), Currency: "USD"},
				Source: "event", Stage: "identified", Probability: decimal.RequireFromString("0.05"), CreatedAt: now, UpdatedAt: now, StageChangedAt: now}
			if in.Title == "" {
				var f apperr.Fields
				f.Add("title", "error.required")
				return l, nil, f.Err()
			}
			return l, func(st events.LeadV1) events.Event { return events.LeadCreatedV1{Lead: st} }, nil
		})
}

func retitle(title string) command.Rule[events.LeadV1, events.LeadV1] {
	return func(l *events.LeadV1, _ time.Time) (command.Event[events.LeadV1], error) {
		if title == "" {
			var f apperr.Fields
			f.Add("title", "error.required")
			return nil, f.Err()
		}
		before := *l
		l.Title = title
		return command.Updated(before, *l, []string{"title", "clauses", "capex"}, func(st events.LeadV1, changed []string) events.Event {
			return events.LeadUpdatedV1{Lead: st, Changed: changed}
		}), nil
	}
}

// TestCommandPaths: every answer of the one change loop, and that only a
// success stores an event.
func TestCommandPaths(t *testing.T) {
	k := leads(t)
	ctx := context.Background()
	l, _, err := create(k, berlin, "", input{Title: "first"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		u       auth.User
		id      string
		version int
		title   string
		want    apperr.Code // "" success
		stored  bool
	}{
		{"not an id", berlin, "nope", 1, "x", apperr.NotFound, false},
		{"no such record", berlin, uuid.NewString(), 1, "x", apperr.NotFound, false},
		{"role without the action", analyst, l.ID, 1, "x", apperr.Forbidden, false},
		{"another post's record", beijing, l.ID, 1, "x", apperr.Forbidden, false},
		{"stale version", berlin, l.ID, 7, "x", apperr.Conflict, false},
		{"domain rule refuses", berlin, l.ID, 1, "", apperr.Invalid, false},
		{"nothing changed", berlin, l.ID, 1, "first", "", false},
		{"success", berlin, l.ID, 1, "second", "", true},
		{"any version", berlin, l.ID, command.AnyVersion, "third", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := k.Store.History(ctx, l.ID)
			got, err := k.Change(ctx, tt.u, auth.WriteLeads, tt.id, tt.version, retitle(tt.title))
			if apperr.CodeOf(err) != tt.want && (tt.want != "" || err != nil) {
				t.Fatalf("err = %v; want %q", err, tt.want)
			}
			after, _ := k.Store.History(ctx, l.ID)
			if stored := len(after) > len(before); stored != tt.stored {
				t.Fatalf("stored = %v; want %v", stored, tt.stored)
			}
			if tt.stored {
				last := after[len(after)-1]
				if got.Title != tt.title || got.Version != len(after) || last.State.Title != tt.title {
					t.Fatalf("answer %+v, stored %+v", got, last.State)
				}
				if e, ok := last.Event.(*events.LeadUpdatedV1); !ok || !slices.Equal(e.Changed, []string{"title"}) {
					t.Fatalf("stored event %#v; want lead.updated changing the title", last.Event)
				}
				if v, ok, err := k.View.Get(l.ID); err != nil || !ok || v.State.Version != got.Version {
					t.Fatalf("the view holds version %d; want %d at once", v.State.Version, got.Version)
				}
			}
		})
	}
	if _, err := k.Get(ctx, beijing, auth.ReadLeads, l.ID); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("another post reads: %v; want Forbidden", err)
	}
	if got, err := k.Get(ctx, analyst, auth.ReadLeads, l.ID); err != nil || got.ID != l.ID {
		t.Fatalf("an analyst reads: %v", err)
	}
}

// TestCreateWithIdempotencyKey: a retry answers the first record, another
// input with the key is KeyReused, another user's equal key is another
// record, and refusals store nothing.
func TestCreateWithIdempotencyKey(t *testing.T) {
	k := leads(t)
	first, replayed, err := create(k, berlin, "k1", input{Title: "a"})
	if err != nil || replayed {
		t.Fatalf("first: %v %v", err, replayed)
	}
	again, replayed, err := create(k, berlin, "k1", input{Title: "a"})
	if err != nil || !replayed || again.ID != first.ID {
		t.Fatalf("retry: %v replayed=%v id %s; want %s replayed", err, replayed, again.ID, first.ID)
	}
	if _, _, err := create(k, berlin, "k1", input{Title: "b"}); apperr.CodeOf(err) != apperr.KeyReused {
		t.Fatalf("the key with another input: %v; want KeyReused", err)
	}
	other, _, err := create(k, beijing, "k1", input{Title: "a"})
	if err != nil || other.ID == first.ID {
		t.Fatalf("another user's key: %v, id %s", err, other.ID)
	}
	for _, tt := range []struct {
		name string
		u    auth.User
		key  string
		in   input
		want apperr.Code
	}{
		{"role without the action", analyst, "k2", input{Title: "a"}, apperr.Forbidden},
		{"key too long", berlin, "k" + string(slices.Repeat([]byte("x"), 200)), input{Title: "a"}, apperr.Invalid},
		{"rule refuses", berlin, "k3", input{}, apperr.Invalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := create(k, tt.u, tt.key, tt.in); apperr.CodeOf(err) != tt.want {
				t.Fatalf("%v; want %s", err, tt.want)
			}
		})
	}
	if n, err := k.View.Len(); err != nil || n != 2 {
		t.Fatalf("%d records; want 2", n)
	}
}

func TestListPagesNewestFirst(t *testing.T) {
	k := leads(t)
	var ids []string
	for i := range 5 {
		l, _, err := create(k, berlin, "", input{Title: string(rune('a' + i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
		time.Sleep(2 * time.Millisecond)
	}
	slices.Reverse(ids)
	for _, tt := range []struct {
		page command.Page
		want []string
	}{
		{command.Page{}, ids},
		{command.Page{Limit: 2}, ids[:2]},
		{command.Page{Limit: 2, Offset: 4}, ids[4:]},
		{command.Page{Limit: 2, Offset: 9}, nil},
		{command.Page{Limit: 500, Offset: int(^uint(0) >> 1)}, nil}, // no overflow
	} {
		got, err := k.List(eventstore.Query[events.LeadV1]{}, tt.page)
		var gotIDs []string
		for _, l := range got.Items {
			gotIDs = append(gotIDs, l.ID)
		}
		if err != nil || got.Total != 5 || !slices.Equal(gotIDs, tt.want) {
			t.Errorf("page %+v: %v of %d (%v); want %v of 5", tt.page, gotIDs, got.Total, err, tt.want)
		}
	}
	// A cursor walks the same list page by page, with or without a filter
	// the columns cannot say (Keep), and ends with no next page.
	for _, keep := range []func(events.LeadV1) bool{nil, func(events.LeadV1) bool { return true }} {
		var walked []string
		cursor := ""
		for range 10 {
			got, err := k.List(eventstore.Query[events.LeadV1]{Keep: keep}, command.Page{Limit: 2, After: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range got.Items {
				walked = append(walked, l.ID)
			}
			if cursor = got.Next; cursor == "" {
				break
			}
		}
		if !slices.Equal(walked, ids) {
			t.Errorf("keep %v: the cursor walked %v; want %v", keep != nil, walked, ids)
		}
	}
	if _, err := k.List(eventstore.Query[events.LeadV1]{}, command.Page{After: "!"}); func() bool { f, _ := apperr.FieldsOf(err); return !f.Has("cursor") }() {
		t.Errorf("a cursor no page gave: %v; want a field error of cursor", err)
	}
	var f apperr.Fields
	command.Page{Limit: 501, Offset: -1}.Check(&f)
	if !f.Has("limit") || !f.Has("offset") {
		t.Fatalf("limit 501, offset -1: %v", f.Err())
	}
}

func TestMineNarrowsOwnReach(t *testing.T) {
	for _, tt := range []struct {
		u    auth.User
		want string
		code apperr.Code
	}{
		{berlin, "de-berlin", ""},
		{analyst, "cn-beijing", ""},
		{auth.User{ID: "s", Role: auth.Secretariat, Commission: "igc-cn"}, "", apperr.Forbidden},
	} {
		got, err := command.Mine(tt.u, auth.ReadLeads, tt.u.Post, "cn-beijing")
		if got != tt.want || apperr.CodeOf(err) != tt.code && (tt.code != "" || err != nil) {
			t.Errorf("%s: %q, %v; want %q, %q", tt.u.ID, got, err, tt.want, tt.code)
		}
	}
}

func TestChangedComparesAsEncoded(t *testing.T) {
	a := events.LeadV1{Title: "t", Capex: events.Money{Amount: decimal.RequireFromString("1000.00"), Currency: "USD"}}
	b := a
	b.Capex.Amount = decimal.RequireFromString("1000")
	b.Clauses = []string{}
	if got := command.Changed(a, b, "title", "capex", "clauses"); len(got) != 0 {
		t.Fatalf("equal amounts, nil and empty list: %v changed", got)
	}
	b.Title, b.Clauses = "u", []string{"2.2"}
	if got := command.Changed(a, b, "capex", "clauses", "title"); !slices.Equal(got, []string{"clauses", "title"}) {
		t.Fatalf("%v; want clauses, title in the order asked", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an unknown field must panic")
		}
	}()
	command.Changed(a, b, "no_such_field")
}
