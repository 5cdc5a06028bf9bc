package app

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/eventstore"
)

// commissionIDPattern is the commissions service's rule for a commission id.
var commissionIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,31}$`)

// checked is a deal input that passed every rule, with what the checks found.
type checked struct {
	value        domain.Money
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
	f, err := fieldsOf(err)
	if err != nil {
		return out, err
	}
	switch {
	case prev != nil && prev.ExporterBIN == in.ExporterBIN:
		out.exporterName = prev.ExporterName
	case !f.Has("exporter_bin"):
		rec, err := s.exporters.Load(ctx, in.ExporterBIN)
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

// dealInput is the input that would produce the deal's current details.
func dealInput(d domain.Deal) domain.DealInput {
	in := domain.DealInput{
		ExporterBIN: d.ExporterBIN, BuyerCountry: d.BuyerCountry, BuyerName: d.BuyerName, HSCode: d.HSCode,
		Product: d.Product, ValueAmount: d.Value.Amount.String(), ValueCurrency: d.Value.Currency, Unit: d.Unit,
		Support: slices.Clone(d.Support), DecisionID: d.DecisionID, CommissionID: d.CommissionID, Clauses: slices.Clone(d.Clauses),
	}
	if d.Quantity != nil {
		in.Quantity = d.Quantity.String()
	}
	return in
}

// applyDeal puts checked details into a deal.
func applyDeal(d *domain.Deal, in domain.DealInput, c checked) {
	d.ExporterBIN, d.ExporterName = in.ExporterBIN, c.exporterName
	d.BuyerCountry, d.BuyerName = in.BuyerCountry, strings.TrimSpace(in.BuyerName)
	d.HSCode, d.Product = in.HSCode, strings.TrimSpace(in.Product)
	d.Value, d.Quantity, d.Unit = c.value, c.quantity, ""
	if c.quantity != nil {
		d.Unit = in.Unit
	}
	d.Support, d.Clauses = uniq(in.Support), uniq(in.Clauses)
	d.DecisionID, d.CommissionID = in.DecisionID, in.CommissionID
}

func uniq(list []string) []string {
	out := []string{}
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// CreateDeal records a new export deal of the attaché's post, at the
// opportunity stage. With an idempotency key, a retry returns the deal the
// first request created (replayed=true) and stores nothing new; the same key
// with another deal is KeyReused and stores nothing either.
func (s *Service) CreateDeal(ctx context.Context, u auth.User, idempotencyKey string, in domain.DealInput) (domain.Deal, bool, error) {
	host, err := s.hostCountry(u)
	if err != nil {
		return domain.Deal{}, false, err
	}
	c, err := s.checkDeal(ctx, in, host, nil)
	if err != nil {
		return domain.Deal{}, false, err
	}
	ids, err := idsFor(u, "deal", idempotencyKey, in)
	if err != nil {
		return domain.Deal{}, false, err
	}
	now := s.stamp()
	d := domain.Deal{ID: ids.id, Version: 1, Post: u.Post, Attache: u.ID, Stage: domain.Opportunity, CreatedAt: now, UpdatedAt: now, StageAt: now}
	applyDeal(&d, in, c)
	ev := events.DealCreatedV1{Deal: dealToEvent(d)}
	env, err := s.envelope(u, ids.eventID, "deal/"+d.ID, "post:"+d.Post, ev, now)
	if err != nil {
		return domain.Deal{}, false, err
	}
	rec, replayed, err := s.deals.CreateOnce(ctx, d.ID, env, ev, ids.request)
	if err != nil {
		return domain.Deal{}, false, err
	}
	s.dview.Put(rec)
	return dealFromEvent(rec.State), replayed, nil
}

// UpdateDeal changes a deal's details (not its stage). version is the
// version the caller read; Conflict if the deal changed since.
func (s *Service) UpdateDeal(ctx context.Context, u auth.User, id string, version int, edit func(*domain.DealInput)) (domain.Deal, error) {
	return s.changeDeal(ctx, u, id, version, func(d *domain.Deal, now time.Time) (events.Event, error) {
		p, ok := s.ref.Post(d.Post)
		if !ok {
			return nil, apperr.E(apperr.Forbidden, "error.unknown_post", d.Post)
		}
		in := dealInput(*d)
		edit(&in)
		prev := *d
		c, err := s.checkDeal(ctx, in, p.Country, &prev)
		if err != nil {
			return nil, err
		}
		before := dealToEvent(*d)
		applyDeal(d, in, c)
		changed := dealChanges(before, dealToEvent(*d))
		if len(changed) == 0 {
			return nil, nil
		}
		return events.DealUpdatedV1{Changed: changed}, nil
	})
}

// MoveDeal moves a deal to another stage: forward one at a time, or lost
// (with a reason) before it is paid; moving to contracted dates the contract.
func (s *Service) MoveDeal(ctx context.Context, u auth.User, id string, version int, m domain.Move) (domain.Deal, error) {
	return s.changeDeal(ctx, u, id, version, func(d *domain.Deal, now time.Time) (events.Event, error) {
		from := d.Stage
		if err := d.MoveTo(m, s.Today()); err != nil {
			return nil, err
		}
		d.StageAt = now
		return events.DealStageChangedV1{From: string(from), To: string(d.Stage), Comment: strings.TrimSpace(m.Comment)}, nil
	})
}

// changeDeal is the shape of every deal update: load, check access and
// version, apply, append with the sequence read.
func (s *Service) changeDeal(ctx context.Context, u auth.User, id string, version int, apply func(*domain.Deal, time.Time) (events.Event, error)) (domain.Deal, error) {
	if err := validID(id); err != nil {
		return domain.Deal{}, err
	}
	rec, err := s.deals.Load(ctx, id)
	if err != nil {
		return domain.Deal{}, err
	}
	d := dealFromEvent(rec.State)
	if err := canWrite(u, d.Post); err != nil {
		return domain.Deal{}, err
	}
	if version != d.Version {
		return domain.Deal{}, apperr.E(apperr.Conflict, "error.version", version, d.Version)
	}
	now := s.stamp()
	ev, err := apply(&d, now)
	if err != nil || ev == nil {
		return d, err // nil event: nothing changed, nothing stored
	}
	d.Version++
	d.UpdatedAt = now
	state := dealToEvent(d)
	switch e := ev.(type) {
	case events.DealUpdatedV1:
		e.Deal = state
		ev = e
	case events.DealStageChangedV1:
		e.Deal = state
		ev = e
	}
	env, err := s.envelope(u, "", "deal/"+d.ID, "post:"+d.Post, ev, now)
	if err != nil {
		return domain.Deal{}, err
	}
	stored, err := s.deals.Append(ctx, id, rec.Seq, env, ev)
	if err != nil {
		return domain.Deal{}, err
	}
	s.dview.Put(stored)
	return dealFromEvent(stored.State), nil
}

// Deal returns one deal, read from the log (always current).
func (s *Service) Deal(ctx context.Context, u auth.User, id string) (domain.Deal, error) {
	if err := validID(id); err != nil {
		return domain.Deal{}, err
	}
	rec, err := s.deals.Load(ctx, id)
	if err != nil {
		return domain.Deal{}, err
	}
	if err := canRead(u, rec.State.Post); err != nil {
		return domain.Deal{}, err
	}
	return dealFromEvent(rec.State), nil
}

// Change is one entry of a deal's or barrier's history.
type Change struct {
	EventID, Type, Actor string
	Time                 time.Time
	Version              int
	Changed              []string
	From, To             string
	EffectiveOn          string // barrier status changes
	Comment              string
	Note                 *Note // the progress note a barrier update added
}

// DealHistory lists who changed a deal, when, and what.
func (s *Service) DealHistory(ctx context.Context, u auth.User, id string) ([]Change, error) {
	if _, err := s.Deal(ctx, u, id); err != nil {
		return nil, err
	}
	recs, err := s.deals.History(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(recs))
	for _, r := range recs {
		c := Change{EventID: r.Envelope.ID, Type: r.Envelope.Type, Actor: r.Envelope.Actor, Time: r.Envelope.Time, Version: r.State.Version}
		switch e := r.Event.(type) {
		case *events.DealUpdatedV1:
			c.Changed = e.Changed
		case *events.DealStageChangedV1:
			c.From, c.To, c.Comment = e.From, e.To, e.Comment
		}
		out = append(out, c)
	}
	return out, nil
}

// DealFilter narrows a list of deals.
type DealFilter struct {
	Post         string // analysts and administrators may name a post; attachés always get their own
	Stage        string
	Sector       string // priority sector of the HS code under the current mapping
	BuyerCountry string
	HS           string // the start of the HS code: a chapter, heading or subheading
	ExporterBIN  string
	Limit        int
	Offset       int
}

var hsPrefix = regexp.MustCompile(`^[0-9]{2,6}$`)

// Deals returns the deals the user may see that pass the filter, most recently updated first.
func (s *Service) Deals(u auth.User, f DealFilter) ([]domain.Deal, int, error) {
	switch u.Role {
	case auth.Attache:
		f.Post = u.Post
	case auth.Analyst, auth.Admin:
	default:
		return nil, 0, apperr.E(apperr.Forbidden, "error.exports_read_role")
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
	page(&fe, &f.Limit, &f.Offset)
	if err := fe.Err(); err != nil {
		return nil, 0, err
	}
	recs := s.dview.Select(func(d events.DealV1) bool {
		if f.Sector != "" {
			if sec, ok := s.ref.SectorForHS(d.HSCode); !ok || sec.Code != f.Sector {
				return false
			}
		}
		return (f.Post == "" || d.Post == f.Post) && (f.Stage == "" || d.Stage == f.Stage) &&
			(f.BuyerCountry == "" || d.BuyerCountry == f.BuyerCountry) && strings.HasPrefix(d.HSCode, f.HS) &&
			(f.ExporterBIN == "" || d.ExporterBIN == f.ExporterBIN)
	})
	slices.SortFunc(recs, func(a, b eventstore.Record[events.DealV1]) int {
		if c := b.State.UpdatedAt.Compare(a.State.UpdatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	var out []domain.Deal
	for i := f.Offset; i < len(recs) && i < f.Offset+f.Limit; i++ {
		out = append(out, dealFromEvent(recs[i].State))
	}
	return out, len(recs), nil
}

// dealChanges names the JSON fields that differ between two states of a deal.
func dealChanges(a, b events.DealV1) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	sameQty := a.Quantity == nil && b.Quantity == nil ||
		a.Quantity != nil && b.Quantity != nil && a.Quantity.Equal(*b.Quantity)
	add("exporter_bin", a.ExporterBIN != b.ExporterBIN)
	add("exporter_name", a.ExporterName != b.ExporterName)
	add("buyer_country", a.BuyerCountry != b.BuyerCountry)
	add("buyer_name", a.BuyerName != b.BuyerName)
	add("hs_code", a.HSCode != b.HSCode)
	add("product", a.Product != b.Product)
	add("value", !a.Value.Amount.Equal(b.Value.Amount) || a.Value.Currency != b.Value.Currency)
	add("quantity", !sameQty)
	add("unit", a.Unit != b.Unit)
	add("support", !slices.Equal(a.Support, b.Support))
	add("commission_id", a.CommissionID != b.CommissionID)
	add("decision_id", a.DecisionID != b.DecisionID)
	add("clauses", !slices.Equal(a.Clauses, b.Clauses))
	return out
}
