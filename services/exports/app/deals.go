package app

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/companyref"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/kernel"
	"econdip/services/platform/natsx"
)

// commissionIDPattern is the commissions service's rule for a commission id.
var commissionIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,31}$`)

// checked is a deal input that passed every rule, with what the checks found.
type checked struct {
	value        kernel.Money
	quantity     *decimal.Decimal
	exporterName string
}

// checkDeal validates a deal for a post in hostCountry: the domain rules, a
// registered exporter and an existing IGC decision of the host country's
// commission. prev is the deal before an update (nil on create): what it
// already had is not looked up again. Every wrong field is reported at once.
func (s *Service) checkDeal(ctx context.Context, in domain.DealInput, hostCountry string, prev *domain.Deal) (checked, error) {
	var out checked
	var err error
	out.value, out.quantity, err = in.Validate(s.ref, hostCountry)
	f, err := apperr.FieldsOf(err)
	if err != nil {
		return out, err
	}
	switch {
	case prev != nil && prev.ExporterBIN == in.ExporterBIN:
		out.exporterName = prev.ExporterName
	case !f.Has("exporter_bin"):
		rec, err := s.exporters.Store.Load(ctx, in.ExporterBIN)
		switch {
		case err == nil:
			out.exporterName = rec.State.Name
		case apperr.CodeOf(err) == apperr.NotFound:
			f.Add("exporter_bin", "error.exporter_not_registered", in.ExporterBIN)
		default:
			return out, err
		}
	}
	sameDecision := prev != nil && prev.DecisionID == in.DecisionID && prev.CommissionID == in.CommissionID
	if in.DecisionID != "" && !sameDecision && !f.Has("decision_id") {
		if err := s.checkDecision(ctx, &f, in.CommissionID, in.DecisionID, hostCountry); err != nil {
			return out, err
		}
	}
	return out, f.Err()
}

// checkDecision records a field error unless the decision exists in the
// COMMISSIONS stream and belongs to a commission with the host country.
func (s *Service) checkDecision(ctx context.Context, f *apperr.Fields, commissionID, decisionID, hostCountry string) error {
	if !commissionIDPattern.MatchString(commissionID) {
		f.Add("commission_id", "error.commission_id")
		return nil
	}
	if _, err := uuid.Parse(decisionID); err != nil {
		f.Add("decision_id", "error.not_an_id", decisionID)
		return nil
	}
	d, ok, err := s.decisions.Decision(ctx, commissionID, decisionID)
	switch {
	case err != nil:
		return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	case !ok:
		f.Add("decision_id", "error.unknown_target", "decision", commissionID+"/"+decisionID)
	case d.PartnerCountry != hostCountry:
		f.Add("decision_id", "error.decision_other_country", d.PartnerCountry, hostCountry)
	}
	return nil
}

// CreateDeal records a new export deal of the attaché's post, at the
// opportunity stage. With an idempotency key, a retry returns the deal the
// first request created (replayed=true) and stores nothing new; the same key
// with another deal is KeyReused and stores nothing either.
func (s *Service) CreateDeal(ctx context.Context, u auth.User, idempotencyKey string, in domain.DealInput) (domain.Deal, bool, error) {
	if err := s.pickBuyer(ctx, &in); err != nil {
		return domain.Deal{}, false, err
	}
	return s.deals.Create(ctx, u, auth.WriteExports, command.New{IdempotencyKey: idempotencyKey, Input: in},
		func(id string, now time.Time) (domain.Deal, command.Event[events.DealV1], error) {
			host, err := s.hostCountry(u.Post)
			if err != nil {
				return domain.Deal{}, nil, err
			}
			c, err := s.checkDeal(ctx, in, host, nil)
			if err != nil {
				return domain.Deal{}, nil, err
			}
			d := domain.Deal{ID: id, Version: 1, Post: u.Post, Attache: u.ID, Stage: domain.Opportunity, CreatedAt: now, UpdatedAt: now, StageAt: now}
			d.Apply(in, c.value, c.quantity, c.exporterName)
			return d, func(st events.DealV1) events.Event { return events.DealCreatedV1{Deal: st} }, nil
		})
}

// pickBuyer fills the buyer's name and country from the company the deal
// picks (the register's name is the display copy); without one, the typed
// name stays.
func (s *Service) pickBuyer(ctx context.Context, in *domain.DealInput) error {
	return s.companies.Fill(ctx, "buyer_id", in.BuyerID, &in.BuyerName, &in.BuyerCountry)
}

// RepointBuyer moves the deals of a company absorbed by a merge to the
// survivor, or gives them a renamed company's new name (deal.updated,
// changed buyer_id and buyer_name, by the system actor with the deal's
// post): at least once, so a deal moved already is skipped.
func (s *Service) RepointBuyer(ctx context.Context, mv companyref.Move) error {
	return companyref.Repoint(ctx, s.deals, "buyer_id", auth.WriteExports, mv, func(d events.DealV1) string { return d.Post },
		func(d *domain.Deal) command.Event[events.DealV1] {
			if d.BuyerID != mv.From {
				return nil // moved already, or changed since
			}
			before := dealToEvent(*d)
			d.BuyerID, d.BuyerName = mv.To.ID, mv.To.Name
			return command.Updated(before, dealToEvent(*d), []string{"buyer_id", "buyer_name"}, func(st events.DealV1, changed []string) events.Event {
				return events.DealUpdatedV1{Deal: st, Changed: changed}
			})
		})
}

// FollowCompanies moves deals as companies are merged or renamed, until ctx ends.
func (s *Service) FollowCompanies(ctx context.Context, js jetstream.JetStream) error {
	return companyref.Follow(ctx, js, natsx.ConsumerExportsCompanyMerge, s.log, s.RepointBuyer)
}

// dealFields are the fields of a deal an update may change, as its event names them.
var dealFields = []string{"exporter_bin", "exporter_name", "buyer_id", "buyer_country", "buyer_name", "hs_code", "product",
	"value", "quantity", "unit", "support", "commission_id", "decision_id", "clauses"}

// UpdateDeal changes a deal's details (not its stage). version is the
// version the caller read; Conflict if the deal changed since.
func (s *Service) UpdateDeal(ctx context.Context, u auth.User, id string, version int, edit func(*domain.DealInput)) (domain.Deal, error) {
	return s.deals.Change(ctx, u, auth.WriteExports, id, version, func(d *domain.Deal, _ time.Time) (command.Event[events.DealV1], error) {
		host, err := s.hostCountry(d.Post)
		if err != nil {
			return nil, err
		}
		in := d.Input()
		edit(&in)
		if in.BuyerID != d.BuyerID || in.BuyerID != "" && (in.BuyerName != d.BuyerName || in.BuyerCountry != d.BuyerCountry) {
			if err := s.pickBuyer(ctx, &in); err != nil {
				return nil, err
			}
		}
		prev := *d
		c, err := s.checkDeal(ctx, in, host, &prev)
		if err != nil {
			return nil, err
		}
		before := dealToEvent(*d)
		d.Apply(in, c.value, c.quantity, c.exporterName)
		return command.Updated(before, dealToEvent(*d), dealFields, func(st events.DealV1, changed []string) events.Event {
			return events.DealUpdatedV1{Deal: st, Changed: changed}
		}), nil
	})
}

// MoveDeal moves a deal to another stage: forward one at a time, or lost
// (with a reason) before it is paid; moving to contracted dates the contract.
func (s *Service) MoveDeal(ctx context.Context, u auth.User, id string, version int, m domain.Move) (domain.Deal, error) {
	return s.deals.Change(ctx, u, auth.WriteExports, id, version, func(d *domain.Deal, now time.Time) (command.Event[events.DealV1], error) {
		from := d.Stage
		if err := d.MoveTo(m, s.Today()); err != nil {
			return nil, err
		}
		d.StageAt = now
		return func(st events.DealV1) events.Event {
			return events.DealStageChangedV1{Deal: st, From: string(from), To: string(d.Stage), Comment: strings.TrimSpace(m.Comment)}
		}, nil
	})
}

// Deal returns one deal, read from the log (always current).
func (s *Service) Deal(ctx context.Context, u auth.User, id string) (domain.Deal, error) {
	return s.deals.Get(ctx, u, auth.ReadExports, id)
}

// Change is one entry of a deal's or barrier's history.
type Change struct {
	command.Entry
	Changed     []string
	From, To    string
	EffectiveOn string // barrier status changes
	Comment     string
	Note        *domain.Note // the progress note a barrier update added
	// Buyer is a deal's buyer name after the event: a history shows each
	// name the deal's company had (a merge renames it).
	Buyer string
}

// DealHistory lists who changed a deal, when, and what.
func (s *Service) DealHistory(ctx context.Context, u auth.User, id string) ([]Change, error) {
	return command.History(ctx, s.deals, u, auth.ReadExports, id, func(en command.Entry, ev events.Event) Change {
		c := Change{Entry: en}
		if snap, ok := ev.(events.DealSnapshot); ok {
			c.Buyer = snap.State().BuyerName
		}
		switch e := ev.(type) {
		case *events.DealUpdatedV1:
			c.Changed = e.Changed
		case *events.DealStageChangedV1:
			c.From, c.To, c.Comment = e.From, e.To, e.Comment
		}
		return c
	})
}

// DealFilter narrows a list of deals.
type DealFilter struct {
	Post         string // analysts and administrators may name a post; attachés always get their own
	Stage        string
	Sector       string // priority sector of the HS code under the current mapping
	BuyerCountry string
	HS           string // the start of the HS code: a chapter, heading or subheading
	ExporterBIN  string
	BuyerID      string // the deals of one company of the register
	Limit        int
	Offset       int
	Cursor       string // the next page of an earlier answer
}

var hsPrefix = regexp.MustCompile(`^[0-9]{2,6}$`)

// Deals returns the deals the user may see that pass the filter, most recently updated first.
func (s *Service) Deals(u auth.User, f DealFilter) (command.Listed[domain.Deal], error) {
	post, err := command.Mine(u, auth.ReadExports, u.Post, f.Post)
	if err != nil {
		return command.Listed[domain.Deal]{}, err
	}
	var fe apperr.Fields
	if f.Stage != "" && !slices.Contains(domain.Stages, domain.Stage(f.Stage)) {
		fe.Add("stage", "error.unknown_stage", f.Stage, "opportunity, negotiating, contracted, shipped, paid, lost")
	}
	if f.Sector != "" {
		if _, ok := s.ref.Sector(f.Sector); !ok {
			fe.Add("sector", "error.unknown_sector", f.Sector)
		}
	}
	if f.BuyerCountry != "" {
		if _, ok := s.ref.Country(f.BuyerCountry); !ok {
			fe.Add("buyer_country", "error.unknown_country", f.BuyerCountry)
		}
	}
	if f.HS != "" && !hsPrefix.MatchString(f.HS) {
		fe.Add("hs", "error.hs_prefix", f.HS)
	}
	p := command.Page{Limit: f.Limit, Offset: f.Offset, After: f.Cursor}
	p.Check(&fe)
	if err := fe.Err(); err != nil {
		return command.Listed[domain.Deal]{}, err
	}
	q := eventstore.Query[events.DealV1]{Match: map[string]string{"post": post, "stage": f.Stage,
		"buyer_country": f.BuyerCountry, "exporter_bin": f.ExporterBIN, "buyer_id": f.BuyerID}}
	// The sector follows the current HS mapping, which a reload may change:
	// it is read at the query, not kept as a column.
	if f.Sector != "" || f.HS != "" {
		q.Keep = func(d events.DealV1) bool {
			if f.Sector != "" {
				if sec, ok := s.ref.SectorForHS(d.HSCode); !ok || sec.Code != f.Sector {
					return false
				}
			}
			return strings.HasPrefix(d.HSCode, f.HS)
		}
	}
	return s.deals.List(q, p)
}
