package app

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/eventstore"
)

// NoteInput is a progress note to add to a barrier.
type NoteInput struct {
	On   string // YYYY-MM-DD; empty: today
	Text string
}

func barrierInput(b Barrier) domain.BarrierInput {
	in := domain.BarrierInput{Country: b.Country, HSCodes: slices.Clone(b.HSCodes), Type: b.Type, Title: b.Title,
		Description: b.Description, LeadAgency: b.LeadAgency, Clauses: slices.Clone(b.Clauses), ReportedOn: b.ReportedOn}
	if b.ValueAtStake != nil {
		in.ValueAmount, in.ValueCurrency = b.ValueAtStake.Amount.String(), b.ValueAtStake.Currency
	}
	return in
}

func applyBarrier(b *Barrier, in domain.BarrierInput, value *domain.Money) {
	b.HSCodes, b.Type = uniq(in.HSCodes), in.Type
	b.Title, b.Description = strings.TrimSpace(in.Title), strings.TrimSpace(in.Description)
	b.ValueAtStake, b.LeadAgency, b.Clauses = value, in.LeadAgency, uniq(in.Clauses)
}

// ReportBarrier records a trade barrier met in the attaché's host country.
// With an idempotency key, a retry returns the first result (replayed=true);
// the same key with another barrier is KeyReused and stores nothing.
func (s *Service) ReportBarrier(ctx context.Context, u auth.User, idempotencyKey string, in domain.BarrierInput) (Barrier, bool, error) {
	host, err := s.hostCountry(u)
	if err != nil {
		return Barrier{}, false, err
	}
	today := s.Today()
	value, err := in.Validate(s.ref, host, today)
	if err != nil {
		return Barrier{}, false, err
	}
	ids, err := idsFor(u, "barrier", idempotencyKey, in)
	if err != nil {
		return Barrier{}, false, err
	}
	now := s.stamp()
	b := Barrier{ID: ids.id, Version: 1, Post: u.Post, Attache: u.ID, Country: in.Country, Status: domain.Reported,
		ReportedOn: in.ReportedOn, Progress: []Note{}, CreatedAt: now, UpdatedAt: now}
	if b.ReportedOn == "" {
		b.ReportedOn = today
	}
	applyBarrier(&b, in, value)
	ev := events.BarrierReportedV1{Barrier: barrierToEvent(b)}
	env, err := s.envelope(u, ids.eventID, "barrier/"+b.ID, "post:"+b.Post, ev, now)
	if err != nil {
		return Barrier{}, false, err
	}
	rec, replayed, err := s.barriers.CreateOnce(ctx, b.ID, env, ev, ids.request)
	if err != nil {
		return Barrier{}, false, err
	}
	s.bview.Put(rec)
	return barrierFromEvent(rec.State), replayed, nil
}

// UpdateBarrier changes a barrier's details and/or adds a dated progress
// note. The country and the day it was reported stay.
func (s *Service) UpdateBarrier(ctx context.Context, u auth.User, id string, version int, edit func(*domain.BarrierInput), note *NoteInput) (Barrier, error) {
	return s.changeBarrier(ctx, u, id, version, func(b *Barrier) (events.Event, error) {
		today := s.Today()
		in := barrierInput(*b)
		edit(&in)
		in.Country, in.ReportedOn = b.Country, b.ReportedOn
		value, err := in.Validate(s.ref, b.Country, today)
		f, err := fieldsOf(err)
		if err != nil {
			return nil, err
		}
		var added *Note
		if note != nil {
			added = &Note{On: note.On, Text: strings.TrimSpace(note.Text), Author: u.ID}
			if added.On == "" {
				added.On = today
			}
			switch _, err := time.Parse(time.DateOnly, added.On); {
			case err != nil:
				f.Add("progress.on", "error.date", added.On)
			case added.On > today:
				f.Add("progress.on", "error.future_date", added.On)
			case added.On < b.ReportedOn:
				f.Add("progress.on", "error.before_reported", added.On, b.ReportedOn)
			}
			f.Text("progress.text", note.Text, true, 2000)
		}
		if err := f.Err(); err != nil {
			return nil, err
		}
		before := barrierToEvent(*b)
		applyBarrier(b, in, value)
		changed := barrierChanges(before, barrierToEvent(*b))
		if added != nil {
			b.Progress = append(slices.Clone(b.Progress), *added)
			changed = append(changed, "progress")
		}
		if len(changed) == 0 {
			return nil, nil
		}
		return events.BarrierUpdatedV1{Changed: changed}, nil
	})
}

// ChangeBarrierStatus moves a barrier through its statuses, effective on a
// day that is not in the future and not before its last change; resolving it
// dates the resolution.
func (s *Service) ChangeBarrierStatus(ctx context.Context, u auth.User, id string, version int, c domain.StatusChange) (Barrier, error) {
	return s.changeBarrier(ctx, u, id, version, func(b *Barrier) (events.Event, error) {
		last := b.ReportedOn
		if c.EffectiveOn != "" {
			// Only a backdated change needs the day of the last one.
			recs, err := s.barriers.History(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				if e, ok := r.Event.(*events.BarrierStatusChangedV1); ok {
					last = e.EffectiveOn
				}
			}
		}
		on, err := domain.CheckStatusChange(b.Status, c, b.ReportedOn, last, s.Today())
		if err != nil {
			return nil, err
		}
		from := b.Status
		b.Status = c.To
		if c.To == domain.Resolved {
			b.ResolvedOn = on
		}
		return events.BarrierStatusChangedV1{From: string(from), To: string(c.To), EffectiveOn: on, Comment: strings.TrimSpace(c.Comment)}, nil
	})
}

func (s *Service) changeBarrier(ctx context.Context, u auth.User, id string, version int, apply func(*Barrier) (events.Event, error)) (Barrier, error) {
	if err := validID(id); err != nil {
		return Barrier{}, err
	}
	rec, err := s.barriers.Load(ctx, id)
	if err != nil {
		return Barrier{}, err
	}
	b := barrierFromEvent(rec.State)
	if err := canWrite(u, b.Post); err != nil {
		return Barrier{}, err
	}
	if version != b.Version {
		return Barrier{}, apperr.E(apperr.Conflict, "error.version", version, b.Version)
	}
	ev, err := apply(&b)
	if err != nil || ev == nil {
		return b, err // nil event: nothing changed, nothing stored
	}
	now := s.stamp()
	b.Version++
	b.UpdatedAt = now
	state := barrierToEvent(b)
	switch e := ev.(type) {
	case events.BarrierUpdatedV1:
		e.Barrier = state
		ev = e
	case events.BarrierStatusChangedV1:
		e.Barrier = state
		ev = e
	}
	env, err := s.envelope(u, "", "barrier/"+b.ID, "post:"+b.Post, ev, now)
	if err != nil {
		return Barrier{}, err
	}
	stored, err := s.barriers.Append(ctx, id, rec.Seq, env, ev)
	if err != nil {
		return Barrier{}, err
	}
	s.bview.Put(stored)
	return barrierFromEvent(stored.State), nil
}

// Barrier returns one barrier, read from the log.
func (s *Service) Barrier(ctx context.Context, u auth.User, id string) (Barrier, error) {
	if err := validID(id); err != nil {
		return Barrier{}, err
	}
	rec, err := s.barriers.Load(ctx, id)
	if err != nil {
		return Barrier{}, err
	}
	if err := canRead(u, rec.State.Post); err != nil {
		return Barrier{}, err
	}
	return barrierFromEvent(rec.State), nil
}

// BarrierHistory lists every change of a barrier: details, progress notes and status changes.
func (s *Service) BarrierHistory(ctx context.Context, u auth.User, id string) ([]Change, error) {
	if _, err := s.Barrier(ctx, u, id); err != nil {
		return nil, err
	}
	recs, err := s.barriers.History(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(recs))
	for _, r := range recs {
		c := Change{EventID: r.Envelope.ID, Type: r.Envelope.Type, Actor: r.Envelope.Actor, Time: r.Envelope.Time, Version: r.State.Version}
		switch e := r.Event.(type) {
		case *events.BarrierUpdatedV1:
			c.Changed = e.Changed
			if p := e.Barrier.Progress; slices.Contains(e.Changed, "progress") && len(p) > 0 {
				n := p[len(p)-1]
				c.Note = &Note{On: n.On, Text: n.Text, Author: n.Author}
			}
		case *events.BarrierStatusChangedV1:
			c.From, c.To, c.EffectiveOn, c.Comment = e.From, e.To, e.EffectiveOn, e.Comment
		}
		out = append(out, c)
	}
	return out, nil
}

// BarrierFilter narrows a list of barriers.
type BarrierFilter struct {
	Post    string // analysts and administrators may name a post; attachés always get their own
	Status  string
	Type    string
	Country string
	HS      string // a code that overlaps one of the barrier's: 7601 finds barriers on 76, 7601 or 760110
	Query   string // in the title and description, any case
	Limit   int
	Offset  int
}

// Barriers returns the barriers the user may see that pass the filter, most recently updated first.
func (s *Service) Barriers(u auth.User, f BarrierFilter) ([]Barrier, int, error) {
	switch u.Role {
	case auth.Attache:
		f.Post = u.Post
	case auth.Analyst, auth.Admin:
	default:
		return nil, 0, apperr.E(apperr.Forbidden, "error.exports_read_role")
	}
	var fe apperr.Fields
	if f.Status != "" && !slices.Contains(domain.Statuses, domain.Status(f.Status)) {
		fe.Add("status", "error.unknown_status", f.Status, "reported, verified, in_negotiation, resolved_partly, resolved, dormant")
	}
	if f.Type != "" && !slices.Contains(domain.BarrierTypes, f.Type) {
		fe.Add("type", "error.one_of", strings.Join(domain.BarrierTypes, ", "))
	}
	if f.Country != "" {
		if _, ok := s.ref.Country(f.Country); !ok {
			fe.Add("country", "error.unknown_country", f.Country)
		}
	}
	if f.HS != "" && !hsPrefix.MatchString(f.HS) {
		fe.Add("hs", "error.hs_prefix", f.HS)
	}
	page(&fe, &f.Limit, &f.Offset)
	if err := fe.Err(); err != nil {
		return nil, 0, err
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	recs := s.bview.Select(func(b events.BarrierV1) bool {
		return (f.Post == "" || b.Post == f.Post) && (f.Status == "" || b.Status == f.Status) &&
			(f.Type == "" || b.Type == f.Type) && (f.Country == "" || b.Country == f.Country) &&
			(f.HS == "" || slices.ContainsFunc(b.HSCodes, func(c string) bool {
				return strings.HasPrefix(c, f.HS) || strings.HasPrefix(f.HS, c)
			})) &&
			(q == "" || strings.Contains(strings.ToLower(b.Title+" "+b.Description), q))
	})
	slices.SortFunc(recs, func(a, b eventstore.Record[events.BarrierV1]) int {
		if c := b.State.UpdatedAt.Compare(a.State.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	var out []Barrier
	for i := f.Offset; i < len(recs) && i < f.Offset+f.Limit; i++ {
		out = append(out, barrierFromEvent(recs[i].State))
	}
	return out, len(recs), nil
}

// barrierChanges names the JSON fields that differ between two states of a barrier.
func barrierChanges(a, b events.BarrierV1) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	sameValue := a.ValueAtStake == nil && b.ValueAtStake == nil ||
		a.ValueAtStake != nil && b.ValueAtStake != nil && a.ValueAtStake.Amount.Equal(b.ValueAtStake.Amount) &&
			a.ValueAtStake.Currency == b.ValueAtStake.Currency
	add("hs_codes", !slices.Equal(a.HSCodes, b.HSCodes))
	add("type", a.Type != b.Type)
	add("title", a.Title != b.Title)
	add("description", a.Description != b.Description)
	add("value_at_stake", !sameValue)
	add("lead_agency", a.LeadAgency != b.LeadAgency)
	add("clauses", !slices.Equal(a.Clauses, b.Clauses))
	return out
}
