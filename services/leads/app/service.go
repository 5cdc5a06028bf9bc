// Package app is the leads service's use cases: create, update, move, read
// and list investor leads, each checked against the caller's role and post,
// and each write stored as one event in JetStream before it is answered.
package app

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"econdip/events"
	"econdip/services/leads/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/eventstore"
	"econdip/services/reference"

	"github.com/nats-io/nats.go/jetstream"
)

// Source is the CloudEvents source of lead events.
const Source = "econdip/leads"

// idNamespace makes lead and event ids derived from an Idempotency-Key stable across restarts.
var idNamespace = uuid.MustParse("5b0e0f3a-9d4c-4d59-9a43-2f0d7f7c1e11")

// Service is the leads application.
type Service struct {
	store *eventstore.Store[events.LeadV1]
	view  *eventstore.View[events.LeadV1]
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
	return &Service{store: store, view: view, ref: ref, log: log, now: time.Now}, nil
}

func canWrite(u auth.User, post string) error {
	if u.Role != auth.Attache {
		return apperr.E(apperr.Forbidden, "error.leads_write_role")
	}
	if u.Post != post {
		return apperr.E(apperr.Forbidden, "error.other_post")
	}
	return nil
}

func canRead(u auth.User, l domain.Lead) error {
	switch u.Role {
	case auth.Analyst, auth.Admin:
		return nil
	case auth.Attache:
		if u.Post == l.Post {
			return nil
		}
		return apperr.E(apperr.Forbidden, "error.other_post")
	}
	return apperr.E(apperr.Forbidden, "error.leads_read_role")
}

// visible strips what the reader may not see: contact persons are for the post only.
func visible(u auth.User, l domain.Lead) domain.Lead {
	if u.Role != auth.Attache {
		l.Contacts = nil
	}
	return l
}

// Create records a new lead for the user's post. With an idempotency key, a
// retry returns the lead the first request created (replayed=true) and
// creates nothing new; the same key with other details is KeyReused and
// creates nothing either.
func (s *Service) Create(ctx context.Context, u auth.User, idempotencyKey string, d domain.Details) (domain.Lead, bool, error) {
	if err := canWrite(u, u.Post); err != nil {
		return domain.Lead{}, false, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	l, err := domain.New(d, s.ref, now, domain.Today(now))
	if err != nil {
		return domain.Lead{}, false, err
	}
	leadID, eventID, request := uuid.NewString(), "", ""
	if key := strings.TrimSpace(idempotencyKey); key != "" {
		if len(key) > 200 {
			var f apperr.Fields
			f.Add("Idempotency-Key", "error.too_long", 200)
			return domain.Lead{}, false, f.Err()
		}
		leadID = uuid.NewSHA1(idNamespace, []byte(u.ID+"\x00"+key)).String()
		eventID = uuid.NewSHA1(idNamespace, []byte("created\x00"+leadID)).String()
		if request, err = eventstore.RequestSHA256("lead", d); err != nil {
			return domain.Lead{}, false, err
		}
	}
	l.ID, l.Post, l.Attache = leadID, u.Post, u.ID
	ev := events.LeadCreatedV1{Lead: toEvent(l)}
	env, err := s.envelope(u, eventID, l, ev, now)
	if err != nil {
		return domain.Lead{}, false, err
	}
	rec, replayed, err := s.store.CreateOnce(ctx, l.ID, env, ev, request)
	if err != nil {
		return domain.Lead{}, false, err
	}
	s.view.Put(rec)
	return fromEvent(rec.State), replayed, nil
}

// Update changes a lead's details. version is the version the caller read;
// Conflict if the lead changed since.
func (s *Service) Update(ctx context.Context, u auth.User, id string, version int, edit func(*domain.Details)) (domain.Lead, error) {
	return s.change(ctx, u, id, version, func(l *domain.Lead, now time.Time) (events.Event, error) {
		d := l.Details()
		edit(&d)
		capex, err := d.Validate(s.ref)
		if err != nil {
			return nil, err
		}
		before := toEvent(*l)
		l.Apply(d, capex)
		after := toEvent(*l)
		changed := changedFields(before, after)
		if len(changed) == 0 {
			return nil, nil
		}
		return events.LeadUpdatedV1{Lead: after, Changed: changed}, nil
	})
}

// MoveStage moves a lead through the pipeline, effective on m.EffectiveOn
// (empty: today in Astana).
func (s *Service) MoveStage(ctx context.Context, u auth.User, id string, version int, m domain.Move) (domain.Lead, error) {
	return s.change(ctx, u, id, version, func(l *domain.Lead, now time.Time) (events.Event, error) {
		from := l.Stage
		if err := l.MoveTo(m, s.ref, now, domain.Today(now)); err != nil {
			return nil, err
		}
		return events.LeadStageChangedV1{Lead: toEvent(*l), From: string(from), To: string(m.To), Comment: strings.TrimSpace(m.Comment)}, nil
	})
}

// change is the shape of every update: load, check access and version, apply, append.
func (s *Service) change(ctx context.Context, u auth.User, id string, version int, apply func(*domain.Lead, time.Time) (events.Event, error)) (domain.Lead, error) {
	if err := validID(id); err != nil {
		return domain.Lead{}, err
	}
	rec, err := s.store.Load(ctx, id)
	if err != nil {
		return domain.Lead{}, err
	}
	l := fromEvent(rec.State)
	if err := canWrite(u, l.Post); err != nil {
		return domain.Lead{}, err
	}
	if version != l.Version {
		return domain.Lead{}, apperr.E(apperr.Conflict, "error.version", version, l.Version)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	ev, err := apply(&l, now)
	if err != nil || ev == nil {
		return l, err // nil event: nothing changed, nothing stored
	}
	l.Version++
	l.UpdatedAt = now
	ev = withState(ev, l.Version, now)
	env, err := s.envelope(u, "", l, ev, now)
	if err != nil {
		return domain.Lead{}, err
	}
	stored, err := s.store.Append(ctx, id, rec.Seq, env, ev)
	if err != nil {
		return domain.Lead{}, err
	}
	s.view.Put(stored)
	return fromEvent(stored.State), nil
}

// withState puts the final state into the event: apply made it from the
// lead it changed, and only the version and updated_at changed since.
func withState(ev events.Event, version int, updated time.Time) events.Event {
	switch e := ev.(type) {
	case events.LeadUpdatedV1:
		e.Lead.Version, e.Lead.UpdatedAt = version, updated
		return e
	case events.LeadStageChangedV1:
		e.Lead.Version, e.Lead.UpdatedAt = version, updated
		return e
	}
	return ev
}

func (s *Service) envelope(u auth.User, eventID string, l domain.Lead, ev events.Event, now time.Time) (events.Envelope, error) {
	env, err := events.New(events.Meta{ID: eventID, Source: Source, Subject: "lead/" + l.ID, Actor: u.ID, Scope: "post:" + l.Post, Time: now}, ev)
	if err != nil {
		return env, apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	return env, nil
}

// Get returns one lead, read from the log (always current).
func (s *Service) Get(ctx context.Context, u auth.User, id string) (domain.Lead, error) {
	if err := validID(id); err != nil {
		return domain.Lead{}, err
	}
	rec, err := s.store.Load(ctx, id)
	if err != nil {
		return domain.Lead{}, err
	}
	l := fromEvent(rec.State)
	if err := canRead(u, l); err != nil {
		return domain.Lead{}, err
	}
	return visible(u, l), nil
}

// Change is one entry of a lead's history.
type Change struct {
	EventID string
	Type    string
	Actor   string
	Time    time.Time
	Version int
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
	if _, err := s.Get(ctx, u, id); err != nil {
		return nil, err
	}
	recs, err := s.store.History(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(recs))
	for _, r := range recs {
		c := Change{EventID: r.Envelope.ID, Type: r.Envelope.Type, Actor: r.Envelope.Actor, Time: r.Envelope.Time, Version: r.State.Version}
		switch e := r.Event.(type) {
		case *events.LeadCreatedV1:
			c.EffectiveOn = e.Lead.StageDay()
		case *events.LeadUpdatedV1:
			c.Changed = e.Changed
		case *events.LeadStageChangedV1:
			c.From, c.To, c.EffectiveOn, c.Comment = e.From, e.To, e.Lead.StageDay(), e.Comment
		}
		out = append(out, c)
	}
	return out, nil
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
	switch u.Role {
	case auth.Attache:
		f.Post = u.Post
	case auth.Analyst, auth.Admin:
	default:
		return Page{}, apperr.E(apperr.Forbidden, "error.leads_read_role")
	}
	var fe apperr.Fields
	if f.Stage != "" {
		if _, ok := domain.Probability[domain.Stage(f.Stage)]; !ok {
			fe.Add("stage", "error.unknown_stage", f.Stage, "identified, contacted, qualified, negotiating, committed, implementing, operational, on_hold, lost")
		}
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > 500 {
		fe.Add("limit", "error.range", 1, 500)
	}
	if f.Offset < 0 {
		fe.Add("offset", "error.range", 0, 1_000_000_000)
	}
	if err := fe.Err(); err != nil {
		return Page{}, err
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	recs := s.view.Select(func(l events.LeadV1) bool {
		return (f.Post == "" || l.Post == f.Post) && (f.Stage == "" || l.Stage == f.Stage) &&
			(f.Sector == "" || l.Sector == f.Sector) &&
			(q == "" || strings.Contains(strings.ToLower(l.InvestorName+" "+l.Title), q))
	})
	slices.SortFunc(recs, func(a, b eventstore.Record[events.LeadV1]) int {
		if c := b.State.UpdatedAt.Compare(a.State.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	page := Page{Total: len(recs)}
	for i := f.Offset; i < len(recs) && i < f.Offset+f.Limit; i++ {
		page.Leads = append(page.Leads, visible(u, fromEvent(recs[i].State)))
	}
	return page, nil
}

func validID(id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return apperr.E(apperr.NotFound, "error.not_found", id)
	}
	return nil
}

// changedFields names the JSON fields that differ between two states.
func changedFields(a, b events.LeadV1) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("investor_name", a.InvestorName != b.InvestorName)
	add("investor_country", a.InvestorCountry != b.InvestorCountry)
	add("title", a.Title != b.Title)
	add("sector", a.Sector != b.Sector)
	add("clauses", !slices.Equal(a.Clauses, b.Clauses))
	add("target_region", a.TargetRegion != b.TargetRegion)
	add("investment_type", a.InvestmentType != b.InvestmentType)
	add("capex", !a.Capex.Amount.Equal(b.Capex.Amount) || a.Capex.Currency != b.Capex.Currency)
	add("expected_jobs", a.ExpectedJobs != b.ExpectedJobs)
	add("tech_transfer", a.TechTransfer != b.TechTransfer)
	add("green", a.Green != b.Green)
	add("expected_decision_date", a.ExpectedDecisionDate != b.ExpectedDecisionDate)
	add("source", a.Source != b.Source)
	add("source_ref", a.SourceRef != b.SourceRef)
	add("contacts", !slices.Equal(a.Contacts, b.Contacts))
	return out
}
