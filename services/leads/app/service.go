// Package app is the leads service's use cases: create, update, move, read
// and list investor leads, each checked against the caller's role and post,
// and each write stored as one event in JetStream before it is answered.
package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"econdip/events"
	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"

	"github.com/nats-io/nats.go/jetstream"
)

// Source is the CloudEvents source of lead events.
const Source = "econdip/leads"

// idNamespace makes lead and event ids derived from an Idempotency-Key stable across restarts.
var idNamespace = uuid.MustParse("5b0e0f3a-9d4c-4d59-9a43-2f0d7f7c1e11")

// Service is the leads application.
type Service struct {
	leads *command.Kind[events.LeadV1, domain.Lead]
	ref   *reference.Data
	log   *slog.Logger
	now   func() time.Time
}

// New builds the service and its read model from the LEADS stream; the view follows the stream until ctx ends.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger) (*Service, error) {
	store := eventstore.New(js, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })
	view, err := store.Follow(ctx, events.AllLeads, log)
	if err != nil {
		return nil, err
	}
	s := &Service{ref: ref, log: log, now: time.Now}
	s.leads = &command.Kind[events.LeadV1, domain.Lead]{
		Name: "lead", Source: Source, Store: store, View: view,
		FromEvent: fromEvent, ToEvent: toEvent,
		Stamp: func(l *domain.Lead) (*int, *time.Time) { return &l.Version, &l.UpdatedAt },
		Meta:  func(_ auth.User, l domain.Lead) (string, string) { return "lead/" + l.ID, "post:" + l.Post },
		Owns:  func(u auth.User, l domain.Lead) bool { return u.Post == l.Post },
		Other: "error.other_post",
		Valid: validID,
		Now:   func() time.Time { return s.now() },
		IDs:   command.IDSpace{Namespace: idNamespace},
	}
	return s, nil
}

// visible strips what the reader may not see: contact persons are for the
// post only, those who may write the lead.
func visible(u auth.User, l domain.Lead) domain.Lead {
	if auth.Permit(u, auth.WriteLeads, func(u auth.User) bool { return u.Post == l.Post }, "") != nil {
		l.Contacts = nil
	}
	return l
}

// Create records a new lead for the user's post. With an idempotency key, a
// retry returns the lead the first request created (replayed=true) and
// creates nothing new; the same key with other details is KeyReused and
// creates nothing either.
func (s *Service) Create(ctx context.Context, u auth.User, idempotencyKey string, d domain.Details) (domain.Lead, bool, error) {
	return s.leads.Create(ctx, u, auth.WriteLeads, command.New{IdempotencyKey: idempotencyKey, Input: d},
		func(id string, now time.Time) (domain.Lead, command.Event[events.LeadV1], error) {
			l, err := domain.New(d, s.ref, now, kernel.Today(now))
			l.ID, l.Post, l.Attache = id, u.Post, u.ID
			return l, func(st events.LeadV1) events.Event { return events.LeadCreatedV1{Lead: st} }, err
		})
}

// Update changes a lead's details. version is the version the caller read;
// Conflict if the lead changed since.
func (s *Service) Update(ctx context.Context, u auth.User, id string, version int, edit func(*domain.Details)) (domain.Lead, error) {
	return s.leads.Change(ctx, u, auth.WriteLeads, id, version, func(l *domain.Lead, now time.Time) (command.Event[events.LeadV1], error) {
		d := l.Details()
		edit(&d)
		capex, err := d.Validate(s.ref)
		if err != nil {
			return nil, err
		}
		before := toEvent(*l)
		l.Apply(d, capex)
		return command.Updated(before, toEvent(*l), detailFields, func(st events.LeadV1, changed []string) events.Event {
			return events.LeadUpdatedV1{Lead: st, Changed: changed}
		}), nil
	})
}

// detailFields are the fields of a lead an update may change, as its event names them.
var detailFields = []string{"investor_name", "investor_country", "title", "sector", "clauses", "target_region",
	"investment_type", "capex", "expected_jobs", "tech_transfer", "green", "expected_decision_date", "source",
	"source_ref", "contacts"}

// MoveStage moves a lead through the pipeline, effective on m.EffectiveOn
// (empty: today in Astana).
func (s *Service) MoveStage(ctx context.Context, u auth.User, id string, version int, m domain.Move) (domain.Lead, error) {
	return s.leads.Change(ctx, u, auth.WriteLeads, id, version, func(l *domain.Lead, now time.Time) (command.Event[events.LeadV1], error) {
		from := l.Stage
		if err := l.MoveTo(m, s.ref, now, kernel.Today(now)); err != nil {
			return nil, err
		}
		return func(st events.LeadV1) events.Event {
			return events.LeadStageChangedV1{Lead: st, From: string(from), To: string(m.To), Comment: strings.TrimSpace(m.Comment)}
		}, nil
	})
}

// Get returns one lead, read from the log (always current).
func (s *Service) Get(ctx context.Context, u auth.User, id string) (domain.Lead, error) {
	l, err := s.leads.Get(ctx, u, auth.ReadLeads, id)
	if err != nil {
		return domain.Lead{}, err
	}
	return visible(u, l), nil
}

// Change is one entry of a lead's history.
type Change struct {
	command.Entry
	Changed []string
	From    string
	To      string
	// EffectiveOn is the Astana day the stage took effect, for a creation
	// (identified) or a stage change; older events give the day they were recorded.
	EffectiveOn string
	Comment     string
}

// History lists who changed a lead, when, and what.
func (s *Service) History(ctx context.Context, u auth.User, id string) ([]Change, error) {
	return command.History(ctx, s.leads, u, auth.ReadLeads, id, func(en command.Entry, ev events.Event) Change {
		c := Change{Entry: en}
		switch e := ev.(type) {
		case *events.LeadCreatedV1:
			c.EffectiveOn = e.Lead.StageDay()
		case *events.LeadUpdatedV1:
			c.Changed = e.Changed
		case *events.LeadStageChangedV1:
			c.From, c.To, c.EffectiveOn, c.Comment = e.From, e.To, e.Lead.StageDay(), e.Comment
		}
		return c
	})
}

// Filter narrows a list of leads.
type Filter struct {
	Post   string // analysts and admins may name a post; attachés always get their own
	Stage  string
	Sector string
	Query  string // case-insensitive, in investor name and title
	Limit  int
	Offset int
}

// Page is one page of a list.
type Page struct {
	Leads []domain.Lead
	Total int
}

// List returns the leads the user may see that pass the filter, most recently updated first.
func (s *Service) List(u auth.User, f Filter) (Page, error) {
	post, err := command.Mine(u, auth.ReadLeads, u.Post, f.Post)
	if err != nil {
		return Page{}, err
	}
	var fe apperr.Fields
	if f.Stage != "" {
		if _, ok := domain.Probability[domain.Stage(f.Stage)]; !ok {
			fe.Add("stage", "error.unknown_stage", f.Stage, "identified, contacted, qualified, negotiating, committed, implementing, operational, on_hold, lost")
		}
	}
	p := command.Page{Limit: f.Limit, Offset: f.Offset}
	p.Check(&fe)
	if err := fe.Err(); err != nil {
		return Page{}, err
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	leads, total := s.leads.List(func(l events.LeadV1) bool {
		return (post == "" || l.Post == post) && (f.Stage == "" || l.Stage == f.Stage) &&
			(f.Sector == "" || l.Sector == f.Sector) &&
			(q == "" || strings.Contains(strings.ToLower(l.InvestorName+" "+l.Title), q))
	}, command.Newest(func(l events.LeadV1) time.Time { return l.UpdatedAt }), p)
	for i, l := range leads {
		leads[i] = visible(u, l)
	}
	return Page{Leads: leads, Total: total}, nil
}

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}
