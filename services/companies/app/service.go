// Package app is the company register's use cases: add, edit, read, list,
// match and merge companies, each checked against the caller's role, and
// each write stored as one event in the COMPANIES stream before it is
// answered.
package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/companies/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/reference"
)

// Source is the CloudEvents source of company events.
const Source = "econdip/companies"

// idNamespace makes company and event ids derived from an Idempotency-Key
// (and the migration's ids) stable across restarts.
var idNamespace = uuid.MustParse("c0a1e5d2-7b3f-4e8a-9c6d-2f1b0e9a8d7c")

// Service is the company register.
type Service struct {
	companies *command.Kind[events.CompanyV1, domain.Company]
	ref       *reference.Data
	log       *slog.Logger
	now       func() time.Time
}

// companiesView is the register's read model: by name, filtered by country,
// merged companies apart, searched in every spelling and its skeleton.
var companiesView = eventstore.Shape[events.CompanyV1]{
	Name:  "companies",
	Order: func(c events.CompanyV1) string { return strings.ToLower(c.NameLatin) + "\x00" + c.ID },
	Columns: []eventstore.Column[events.CompanyV1]{
		{Name: "country", Of: func(c events.CompanyV1) string { return c.Country }},
		{Name: "merged", Of: func(c events.CompanyV1) string { return boolText(c.MergedInto != "") }},
	},
	Text:    func(c events.CompanyV1) string { return searchText(fromEvent(c).Names()) },
	Indexes: [][]string{{"merged", "country"}},
	Version: 1,
}

func boolText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// searchText is what a search looks in: every spelling in lower case, and
// each one's skeleton (so "kazakh" finds Қазақ).
func searchText(names []string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(strings.ToLower(n))
		b.WriteString(" | ")
		b.WriteString(strings.Join(domain.Skeleton(n), " "))
		b.WriteString(" | ")
	}
	return b.String()
}

// New builds the service and its read model (in the folder views; a
// temporary one when empty) from the COMPANIES stream; the view follows
// the stream until ctx ends.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, log *slog.Logger, views string) (*Service, error) {
	store := eventstore.New(js, events.StreamCompanies, events.CompanySubject, companyState, func(c events.CompanyV1) string { return c.ID })
	view, err := store.Follow(ctx, views, events.AllCompanies, companiesView, log)
	if err != nil {
		return nil, err
	}
	s := &Service{ref: ref, log: log, now: time.Now}
	s.companies = &command.Kind[events.CompanyV1, domain.Company]{
		Name: "company", Source: Source, Store: store, View: view,
		FromEvent: fromEvent, ToEvent: toEvent,
		Stamp: func(c *domain.Company) (*int, *time.Time) { return &c.Version, &c.UpdatedAt },
		Meta:  func(_ auth.User, c domain.Company) (string, string) { return "company/" + c.ID, "companies" },
		Valid: validID,
		Now:   func() time.Time { return s.now() },
		IDs:   command.IDSpace{Namespace: idNamespace},
	}
	return s, nil
}

// SetClock sets the service's clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Ready is nil once the read model has caught up with the log (for /readyz).
func (s *Service) Ready(ctx context.Context) error { return s.companies.View.Ready(ctx) }

// visible strips what the reader may not see: contact persons are for
// those who may edit companies.
func visible(u auth.User, c domain.Company) domain.Company {
	if auth.ReachOf(u, auth.WriteCompanies) == auth.None {
		c.Contacts = nil
	}
	return c
}

// Create adds a company. Unless anyway is set, a name that likely
// duplicates a company of the same country is refused (a field error on
// name listing them): the form shows them (Match) and asks first. With an
// idempotency key, a retry returns the company the first request created.
func (s *Service) Create(ctx context.Context, u auth.User, idempotencyKey string, d domain.Details, anyway bool) (domain.Company, bool, error) {
	if !anyway && auth.Allow(u, auth.WriteCompanies) == nil {
		// A retry of the request that created a company does not find it.
		dups, err := s.candidates(d.Name, d.Country, d.RegNumber, s.companies.KeyID(u, idempotencyKey))
		if err != nil {
			return domain.Company{}, false, err
		}
		if len(dups) > 0 {
			var f apperr.Fields
			names := make([]string, len(dups))
			for i, c := range dups {
				names[i] = c.Company.Name
			}
			f.Add("name", "error.company_duplicate", strings.Join(names, "; "))
			return domain.Company{}, false, f.Err()
		}
	}
	return s.companies.Create(ctx, u, auth.WriteCompanies, command.New{IdempotencyKey: idempotencyKey, Input: d},
		func(id string, now time.Time) (domain.Company, command.Event[events.CompanyV1], error) {
			c, err := domain.New(d, s.ref, u.ID, now)
			c.ID = id
			return c, func(st events.CompanyV1) events.Event { return events.CompanyCreatedV1{Company: st} }, err
		})
}

// detailFields are the fields of a company an update may change, as its event names them.
var detailFields = []string{"name", "name_latin", "country", "reg_number", "website", "aliases", "contacts"}

// Update changes a company's details. version is the version the caller
// read; Conflict if the company changed since. A merged company is no
// longer edited.
func (s *Service) Update(ctx context.Context, u auth.User, id string, version int, edit func(*domain.Details)) (domain.Company, error) {
	c, err := s.companies.Change(ctx, u, auth.WriteCompanies, id, version, func(c *domain.Company, now time.Time) (command.Event[events.CompanyV1], error) {
		if c.MergedInto != "" {
			return nil, apperr.E(apperr.Conflict, "error.merged_already", c.Name, c.MergedInto)
		}
		d := c.Details()
		edit(&d)
		if err := d.Validate(s.ref); err != nil {
			return nil, err
		}
		before := toEvent(*c)
		c.Apply(d)
		return command.Updated(before, toEvent(*c), detailFields, func(st events.CompanyV1, changed []string) events.Event {
			return events.CompanyUpdatedV1{Company: st, Changed: changed}
		}), nil
	})
	return visible(u, c), err
}

// Merge makes survivor absorb the company absorb: the survivor takes the
// absorbed names as aliases (company.updated, changed ["aliases"]), then
// the absorbed company is marked merged into it (company.merged), which
// the leads and exports services follow to re-point their records. Both
// versions are the ones the administrator read: Conflict when either
// changed. The survivor's event comes first, so a merge that stopped
// between the two is finished by the same request again (the aliases are
// there already, nothing is stored twice); a merge already done answers
// the survivor.
func (s *Service) Merge(ctx context.Context, u auth.User, survivorID string, survivorVersion int, absorbID string, absorbVersion int) (domain.Company, error) {
	var f apperr.Fields
	if absorbID == "" {
		f.Add("absorb", "error.required")
	} else if !validID(absorbID) {
		f.Add("absorb", "error.not_an_id", absorbID)
	}
	if err := f.Err(); err != nil {
		return domain.Company{}, err
	}
	absorbed, err := s.companies.Get(ctx, u, auth.MergeCompanies, absorbID)
	if err != nil {
		return domain.Company{}, err
	}
	if absorbed.MergedInto == survivorID {
		return s.Get(ctx, u, survivorID) // done already: a retry
	}
	if absorbed.Version != absorbVersion {
		return domain.Company{}, command.ErrVersion(absorbVersion, absorbed.Version)
	}
	survivor, err := s.companies.Change(ctx, u, auth.MergeCompanies, survivorID, survivorVersion, func(c *domain.Company, _ time.Time) (command.Event[events.CompanyV1], error) {
		before := toEvent(*c)
		if err := c.Absorb(absorbed); err != nil {
			return nil, err
		}
		return command.Updated(before, toEvent(*c), []string{"aliases"}, func(st events.CompanyV1, changed []string) events.Event {
			return events.CompanyUpdatedV1{Company: st, Changed: changed, Absorbed: absorbID}
		}), nil
	})
	if err != nil {
		return domain.Company{}, err
	}
	into := events.CompanyRef{ID: survivor.ID, Name: survivor.Name, NameLatin: survivor.NameLatin}
	_, err = s.companies.Change(ctx, u, auth.MergeCompanies, absorbID, absorbVersion, func(c *domain.Company, _ time.Time) (command.Event[events.CompanyV1], error) {
		if c.MergedInto != "" {
			return nil, apperr.E(apperr.Conflict, "error.merged_already", c.Name, c.MergedInto)
		}
		c.MergedInto = survivor.ID
		return func(st events.CompanyV1) events.Event { return events.CompanyMergedV1{Company: st, Into: into} }, nil
	})
	if err != nil {
		return domain.Company{}, err
	}
	return visible(u, survivor), nil
}

// Get returns one company, read from the log (always current).
func (s *Service) Get(ctx context.Context, u auth.User, id string) (domain.Company, error) {
	c, err := s.companies.Get(ctx, u, auth.ReadCompanies, id)
	return visible(u, c), err
}

// Change is one entry of a company's history.
type Change struct {
	command.Entry
	Changed []string
	// Name is the company's name after the event: a history shows each name it had.
	Name       string
	Absorbed   string // the company whose names a merge added
	MergedInto string // on the merge of an absorbed company: the survivor
}

// History lists who changed a company, when, and what.
func (s *Service) History(ctx context.Context, u auth.User, id string) ([]Change, error) {
	return command.History(ctx, s.companies, u, auth.ReadCompanies, id, func(en command.Entry, ev events.Event) Change {
		c := Change{Entry: en}
		switch e := ev.(type) {
		case *events.CompanyCreatedV1:
			c.Name = e.Company.Name
		case *events.CompanyUpdatedV1:
			c.Changed, c.Name, c.Absorbed = e.Changed, e.Company.Name, e.Absorbed
		case *events.CompanyMergedV1:
			c.Name, c.MergedInto = e.Company.Name, e.Into.ID
		}
		return c
	})
}

// Filter narrows a list of companies.
type Filter struct {
	Country string
	Query   string // in every spelling, case-insensitive, or its skeleton
	Merged  bool   // list the merged (absorbed) companies instead of the others
	Limit   int
	Offset  int
	Cursor  string
}

// List returns the companies that pass the filter, by Latin name.
func (s *Service) List(u auth.User, f Filter) (command.Listed[domain.Company], error) {
	if err := auth.Allow(u, auth.ReadCompanies); err != nil {
		return command.Listed[domain.Company]{}, err
	}
	var fe apperr.Fields
	if f.Country != "" {
		if _, ok := s.ref.Country(f.Country); !ok {
			fe.Add("country", "error.unknown_country", f.Country)
		}
	}
	p := command.Page{Limit: f.Limit, Offset: f.Offset, After: f.Cursor}
	p.Check(&fe)
	if err := fe.Err(); err != nil {
		return command.Listed[domain.Company]{}, err
	}
	q := eventstore.Query[events.CompanyV1]{Match: map[string]string{"country": f.Country, "merged": boolText(f.Merged)},
		Text: strings.ToLower(strings.TrimSpace(f.Query))}
	page, err := s.companies.List(q, p)
	if err == nil && page.Total == 0 && q.Text != "" {
		// Not as typed: try its skeleton (Kazakh → kazak finds Қазақ).
		if sk := strings.Join(domain.Skeleton(f.Query), " "); sk != "" && sk != q.Text {
			q.Text = sk
			page, err = s.companies.List(q, p)
		}
	}
	for i, c := range page.Items {
		page.Items[i] = visible(u, c)
	}
	return page, err
}

// Match returns the companies that a new company named name in country
// (with registration number regNumber, optional) would likely duplicate,
// best first. except leaves one company out (the one being edited).
func (s *Service) Match(u auth.User, name, country, regNumber, except string) ([]domain.Candidate, error) {
	if err := auth.Allow(u, auth.ReadCompanies); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	fe.Text("name", name, true, 300)
	if country == "" {
		fe.Add("country", "error.required")
	} else if _, ok := s.ref.Country(country); !ok {
		fe.Add("country", "error.unknown_country", country)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	out, err := s.candidates(name, country, regNumber, except)
	for i := range out {
		out[i].Company = visible(u, out[i].Company)
	}
	return out, err
}

func (s *Service) candidates(name, country, regNumber, except string) ([]domain.Candidate, error) {
	recs, err := s.companies.View.Select(eventstore.Query[events.CompanyV1]{Match: map[string]string{"country": country, "merged": "0"}})
	if err != nil {
		return nil, err
	}
	others := make([]domain.Company, 0, len(recs))
	for _, r := range recs {
		if r.State.ID != except {
			others = append(others, fromEvent(r.State))
		}
	}
	return domain.Match(name, country, regNumber, others), nil
}

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}
