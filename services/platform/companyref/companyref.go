// Package companyref is what the services that hold records of companies
// (leads: investors, exports: buyers) need of the company register: the
// company a record picks, read from the COMPANIES stream, and the merges
// they follow to re-point their records at the surviving company.
package companyref

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
)

// Register reads companies from the COMPANIES stream (single messages:
// the last event of a company is its state).
type Register struct {
	store *eventstore.Store[events.CompanyV1]
}

// New reads the register on js.
func New(js jetstream.JetStream) *Register {
	return &Register{store: eventstore.New(js, events.StreamCompanies, events.CompanySubject, state, func(c events.CompanyV1) string { return c.ID })}
}

func state(ev events.Event) (events.CompanyV1, bool) {
	s, ok := ev.(events.CompanySnapshot)
	if !ok {
		return events.CompanyV1{}, false
	}
	return s.State(), true
}

// Pick returns the company a record picks by id, as a field error on field
// when there is none or when it was merged into another (the form then
// offers the survivor). A failure to read is an error of its own.
func (r *Register) Pick(ctx context.Context, field, id string) (events.CompanyV1, error) {
	var f apperr.Fields
	if events.CheckToken(id) != nil {
		f.Add(field, "error.unknown_company", id)
		return events.CompanyV1{}, f.Err()
	}
	rec, err := r.store.Load(ctx, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		f.Add(field, "error.unknown_company", id)
		return events.CompanyV1{}, f.Err()
	}
	if err != nil {
		return events.CompanyV1{}, err
	}
	if rec.State.MergedInto != "" {
		f.Add(field, "error.merged_already", rec.State.Name, rec.State.MergedInto)
		return events.CompanyV1{}, f.Err()
	}
	return rec.State, nil
}

// Fill copies the name and country of the company a record picks by id
// into the record's display copy (*name, *country); without an id the
// typed name stays. Errors as Pick.
func (r *Register) Fill(ctx context.Context, field, id string, name, country *string) error {
	if id == "" {
		return nil
	}
	c, err := r.Pick(ctx, field, id)
	if err != nil {
		return err
	}
	*name, *country = c.Name, c.Country
	return nil
}

// SystemActor is the actor of the changes a merge makes to records: no
// person made them, the merge did (its own event names the administrator).
const SystemActor = "system.company-merge"

// Move is what the records of company From become: records of company
// To, whose names their display copy takes. A merge moves the absorbed
// company's records to the survivor; a rename keeps them on the company
// (To.ID is From) with its new name.
type Move struct {
	From string
	To   events.CompanyRef
}

// Repoint applies mv to the records of kind whose column (in its view)
// names mv.From: change applies it to one record and returns its event, or
// nil when the record is moved already (or changed since), which stores
// nothing. Each change goes through the command helper as SystemActor with
// the record's post (post), action write, at any version: the merge or the
// rename decided it, not a person.
func Repoint[E, D any](ctx context.Context, k *command.Kind[E, D], column string, write auth.Action, mv Move,
	post func(E) string, change func(d *D) command.Event[E]) error {
	recs, err := k.View.Select(eventstore.Query[E]{Match: map[string]string{column: mv.From}})
	if err != nil {
		return err
	}
	for _, r := range recs {
		system := auth.User{ID: SystemActor, Role: auth.Attache, Post: post(r.State)}
		if _, err := k.Change(ctx, system, write, r.ID, command.AnyVersion, func(d *D, _ time.Time) (command.Event[E], error) {
			return change(d), nil
		}); err != nil {
			return fmt.Errorf("%s %s: %w", k.Name, r.ID, err)
		}
	}
	return nil
}

// Follow runs handle on every move the COMPANIES stream records (a
// company.merged event; a company.updated event that changed the name),
// through the durable consumer durable (natsx.ConsumerLeadsCompanyMerge,
// ...), until ctx ends: at least once, so handle is idempotent (a record
// moved already is skipped). A message handle fails on is redelivered
// after a delay; other company events are acknowledged unread. It returns
// once the consumer is set up.
func Follow(ctx context.Context, js jetstream.JetStream, durable string, log *slog.Logger, handle func(context.Context, Move) error) error {
	cons, err := js.CreateOrUpdateConsumer(ctx, events.StreamCompanies, jetstream.ConsumerConfig{
		Durable: durable, FilterSubject: events.AllCompanies, AckPolicy: jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy, AckWait: time.Minute, MaxAckPending: 16,
		Description: "moves records of merged and renamed companies",
	})
	if err != nil {
		return fmt.Errorf("company moves: create consumer %s on %s: %w", durable, events.StreamCompanies, err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		typ := m.Headers().Get(events.HeaderType)
		if typ != events.TypeCompanyMerged && typ != events.TypeCompanyUpdated {
			_ = m.Ack()
			return
		}
		_, ev, err := events.Decode(m.Data())
		if err != nil {
			// The ingest dead-letters what cannot be decoded; here it is
			// only skipped, so one bad message does not stop the others.
			log.Error("company move: undecodable event skipped", "consumer", durable, "err", err)
			_ = m.Term()
			return
		}
		mv, ok := moveOf(ev)
		if !ok {
			_ = m.Ack()
			return
		}
		if err := handle(ctx, mv); err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			log.Warn("company move: records not yet moved, will retry", "consumer", durable, "company", mv.From, "to", mv.To.ID, "err", err)
			_ = m.NakWithDelay(5 * time.Second)
			return
		}
		_ = m.Ack()
	})
	if err != nil {
		return fmt.Errorf("company moves: consume %s: %w", durable, err)
	}
	go func() {
		<-ctx.Done()
		cc.Stop()
	}()
	return nil
}

// moveOf is the move an event records, if any.
func moveOf(ev events.Event) (Move, bool) {
	switch e := ev.(type) {
	case *events.CompanyMergedV1:
		return Move{From: e.Company.ID, To: e.Into}, true
	case *events.CompanyUpdatedV1:
		if slices.Contains(e.Changed, "name") {
			c := e.Company
			return Move{From: c.ID, To: events.CompanyRef{ID: c.ID, Name: c.Name, NameLatin: c.NameLatin}}, true
		}
	}
	return Move{}, false
}
