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
	"econdip/services/platform/companyref"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx"
	"econdip/services/platform/reference"

	"github.com/nats-io/nats.go/jetstream"
)

// Source is the CloudEvents source of lead events.
const Source = "econdip/leads"

// idNamespace makes lead and event ids derived from an Idempotency-Key stable across restarts.
var idNamespace = uuid.MustParse("5b0e0f3a-9d4c-4d59-9a43-2f0d7f7c1e11")

// Service is the leads application.
type Service struct {
	leads     *command.Kind[events.LeadV1, domain.Lead]
	companies *companyref.Register
	ref       *reference.Data
	log       *slog.Logger
	now       func() time.Time
}

// leadsView is the leads' read model: the list's order, filters and search.
var leadsView = eventstore.Shape[events.LeadV1]{
	Name:  "leads",
	Order: func(l events.LeadV1) string { return command.NewestFirst(l.UpdatedAt, l.ID) },
	Columns: []eventstore.Column[events.LeadV1]{
		{Name: "post", Of: func(l events.LeadV1) string { return l.Post }},
		{Name: "stage", Of: func(l events.LeadV1) string { return l.Stage }},
		{Name: "sector", Of: func(l events.LeadV1) string { return l.Sector }},
		{Name: "investor_id", Of: func(l events.LeadV1) string { return l.InvestorID }},
	},
	Text: func(l events.LeadV1) string { return strings.ToLower(l.InvestorName + " " + l.Title) },
	// A filter on one column uses the index it starts (post, stage) or its own (sector).
	Indexes: [][]string{{"post", "stage"}, {"post", "sector"}, {"stage", "sector"}, {"sector"}, {"investor_id"}},
	// 2: the investor's company (issue 18).
	Version: 2,
}

// New builds the service and its read model (in the folder views; a
// temporary one when empty) from the LEADS stream; the view follows the
// stream until ctx ends.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, views string) (*Service, error) {
	store := eventstore.New(js, events.StreamLeads, events.LeadSubject, leadState, func(l events.LeadV1) string { return l.ID })
	view, err := store.Follow(ctx, views, events.AllLeads, leadsView, log)
	if err != nil {
		return nil, err
	}
	s := &Service{ref: ref, log: log, now: time.Now, companies: companyref.New(js)}
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

// Ready is nil once the read model has caught up with the log (for /readyz).
func (s *Service) Ready(ctx context.Context) error { return s.leads.View.Ready(ctx) }

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
	if err := s.pickInvestor(ctx, &d); err != nil {
		return domain.Lead{}, false, err
	}
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
		if d.InvestorID != l.InvestorID || d.InvestorID != "" && (d.InvestorName != l.InvestorName || d.InvestorCountry != l.InvestorCountry) {
			if err := s.pickInvestor(ctx, &d); err != nil {
				return nil, err
			}
		}
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

// pickInvestor fills the investor's name and country from the company the
// lead picks (the register's name is the display copy); without one, the
// typed name stays.
func (s *Service) pickInvestor(ctx context.Context, d *domain.Details) error {
	return s.companies.Fill(ctx, "investor_id", d.InvestorID, &d.InvestorName, &d.InvestorCountry)
}

// RepointInvestor moves the leads of a company absorbed by a merge to the
// survivor, or gives them a renamed company's new name (lead.updated,
// changed investor_id and investor_name, by the system actor with the
// lead's post): at least once, so a lead moved already is skipped.
func (s *Service) RepointInvestor(ctx context.Context, mv companyref.Move) error {
	return companyref.Repoint(ctx, s.leads, "investor_id", auth.WriteLeads, mv, func(l events.LeadV1) string { return l.Post },
		func(l *domain.Lead) command.Event[events.LeadV1] {
			if l.InvestorID != mv.From {
				return nil // moved already, or changed since
			}
			before := toEvent(*l)
			l.InvestorID, l.InvestorName = mv.To.ID, mv.To.Name
			return command.Updated(before, toEvent(*l), []string{"investor_id", "investor_name"}, func(st events.LeadV1, changed []string) events.Event {
				return events.LeadUpdatedV1{Lead: st, Changed: changed}
			})
		})
}

// FollowCompanies moves leads as companies are merged or renamed, until ctx ends.
func (s *Service) FollowCompanies(ctx context.Context, js jetstream.JetStream) error {
	return companyref.Follow(ctx, js, natsx.ConsumerLeadsCompanyMerge, s.log, s.RepointInvestor)
}

// detailFields are the fields of a lead an update may change, as its event names them.
var detailFields = []string{"investor_id", "investor_name", "investor_country", "title", "sector", "clauses", "target_region",
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
	// Investor is the investor's name after the event: a history shows
	// each name the lead's company had (a merge renames it).
	Investor string
}

// History lists who changed a lead, when, and what.
func (s *Service) History(ctx context.Context, u auth.User, id string) ([]Change, error) {
	return command.History(ctx, s.leads, u, auth.ReadLeads, id, func(en command.Entry, ev events.Event) Change {
		c := Change{Entry: en}
		if snap, ok := ev.(events.LeadSnapshot); ok {
			c.Investor = snap.State().InvestorName
		}
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
	// InvestorID lists the leads of one company of the register.
	InvestorID string
	Query      string // case-insensitive, in investor name and title
	Limit      int
	Offset     int
	Cursor     string // the next page of an earlier answer
}

// List returns the leads the user may see that pass the filter, most recently updated first.
func (s *Service) List(u auth.User, f Filter) (command.Listed[domain.Lead], error) {
	post, err := command.Mine(u, auth.ReadLeads, u.Post, f.Post)
	if err != nil {
		return command.Listed[domain.Lead]{}, err
	}
	var fe apperr.Fields
	if f.Stage != "" {
		if _, ok := domain.Probability[domain.Stage(f.Stage)]; !ok {
			fe.Add("stage", "error.unknown_stage", f.Stage, "identified, contacted, qualified, negotiating, committed, implementing, operational, on_hold, lost")
		}
	}
	p := command.Page{Limit: f.Limit, Offset: f.Offset, After: f.Cursor}
	p.Check(&fe)
	if err := fe.Err(); err != nil {
		return command.Listed[domain.Lead]{}, err
	}
	page, err := s.leads.List(eventstore.Query[events.LeadV1]{
		Match: map[string]string{"post": post, "stage": f.Stage, "sector": f.Sector, "investor_id": f.InvestorID},
		Text:  strings.ToLower(strings.TrimSpace(f.Query)),
	}, p)
	for i, l := range page.Items {
		page.Items[i] = visible(u, l)
	}
	return page, err
}

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}
