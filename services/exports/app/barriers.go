package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/kernel"
)

// ReportBarrier records a trade barrier met in the attaché's host country.
// With an idempotency key, a retry returns the first result (replayed=true);
// the same key with another barrier is KeyReused and stores nothing.
func (s *Service) ReportBarrier(ctx context.Context, u auth.User, idempotencyKey string, in domain.BarrierInput) (domain.Barrier, bool, error) {
	return s.barriers.Create(ctx, u, auth.WriteExports, command.New{IdempotencyKey: idempotencyKey, Input: in},
		func(id string, now time.Time) (domain.Barrier, command.Event[events.BarrierV1], error) {
			host, err := s.hostCountry(u.Post)
			if err != nil {
				return domain.Barrier{}, nil, err
			}
			b, err := domain.NewBarrier(in, s.ref, u.Post, u.ID, host, s.Today(), now)
			b.ID = id
			return b, func(st events.BarrierV1) events.Event { return events.BarrierReportedV1{Barrier: st} }, err
		})
}

// barrierFields are the fields of a barrier an update may change, as its
// event names them; "progress" when it adds a note.
var barrierFields = []string{"hs_codes", "type", "title", "description", "value_at_stake", "lead_agency", "clauses", "progress"}

// UpdateBarrier changes a barrier's details and/or adds a dated progress
// note. The country and the day it was reported stay.
func (s *Service) UpdateBarrier(ctx context.Context, u auth.User, id string, version int, edit func(*domain.BarrierInput), note *domain.NoteInput) (domain.Barrier, error) {
	return s.barriers.Change(ctx, u, auth.WriteExports, id, version, func(b *domain.Barrier, _ time.Time) (command.Event[events.BarrierV1], error) {
		in := b.Input()
		edit(&in)
		before := barrierToEvent(*b)
		if err := b.Edit(in, note, u.ID, s.ref, s.Today()); err != nil {
			return nil, err
		}
		return command.Updated(before, barrierToEvent(*b), barrierFields, func(st events.BarrierV1, changed []string) events.Event {
			return events.BarrierUpdatedV1{Barrier: st, Changed: changed}
		}), nil
	})
}

// ChangeBarrierStatus moves a barrier through its statuses, effective on a
// day that is not in the future and not before its last change; resolving it
// dates the resolution.
func (s *Service) ChangeBarrierStatus(ctx context.Context, u auth.User, id string, version int, c domain.StatusChange) (domain.Barrier, error) {
	return s.barriers.Change(ctx, u, auth.WriteExports, id, version, func(b *domain.Barrier, _ time.Time) (command.Event[events.BarrierV1], error) {
		var last kernel.Day // none: the barrier's report day
		if c.EffectiveOn != "" {
			// Only a backdated change needs the day of the last one.
			recs, err := s.barriers.Store.History(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				if e, ok := r.Event.(*events.BarrierStatusChangedV1); ok {
					last = kernel.DayOrZero(e.EffectiveOn)
				}
			}
		}
		from := b.Status
		on, err := b.ChangeStatus(c, last, s.Today())
		if err != nil {
			return nil, err
		}
		return func(st events.BarrierV1) events.Event {
			return events.BarrierStatusChangedV1{Barrier: st, From: string(from), To: string(c.To), EffectiveOn: on.String(), Comment: strings.TrimSpace(c.Comment)}
		}, nil
	})
}

// Barrier returns one barrier, read from the log.
func (s *Service) Barrier(ctx context.Context, u auth.User, id string) (domain.Barrier, error) {
	return s.barriers.Get(ctx, u, auth.ReadExports, id)
}

// BarrierHistory lists every change of a barrier: details, progress notes and status changes.
func (s *Service) BarrierHistory(ctx context.Context, u auth.User, id string) ([]Change, error) {
	return command.History(ctx, s.barriers, u, auth.ReadExports, id, func(en command.Entry, ev events.Event) Change {
		c := Change{Entry: en}
		switch e := ev.(type) {
		case *events.BarrierUpdatedV1:
			c.Changed = e.Changed
			if p := e.Barrier.Progress; slices.Contains(e.Changed, "progress") && len(p) > 0 {
				n := p[len(p)-1]
				c.Note = &domain.Note{On: kernel.DayOrZero(n.On), Text: n.Text, Author: n.Author}
			}
		case *events.BarrierStatusChangedV1:
			c.From, c.To, c.EffectiveOn, c.Comment = e.From, e.To, e.EffectiveOn, e.Comment
		}
		return c
	})
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
	Cursor  string // the next page of an earlier answer
}

// Barriers returns the barriers the user may see that pass the filter, most recently updated first.
func (s *Service) Barriers(u auth.User, f BarrierFilter) (command.Listed[domain.Barrier], error) {
	post, err := command.Mine(u, auth.ReadExports, u.Post, f.Post)
	if err != nil {
		return command.Listed[domain.Barrier]{}, err
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
	p := command.Page{Limit: f.Limit, Offset: f.Offset, After: f.Cursor}
	p.Check(&fe)
	if err := fe.Err(); err != nil {
		return command.Listed[domain.Barrier]{}, err
	}
	q := eventstore.Query[events.BarrierV1]{Match: map[string]string{"post": post, "status": f.Status, "type": f.Type, "country": f.Country},
		Text: strings.ToLower(strings.TrimSpace(f.Query))}
	if f.HS != "" {
		q.Keep = func(b events.BarrierV1) bool {
			return slices.ContainsFunc(b.HSCodes, func(c string) bool { return strings.HasPrefix(c, f.HS) || strings.HasPrefix(f.HS, c) })
		}
	}
	return s.barriers.List(q, p)
}
