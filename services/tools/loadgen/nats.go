package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"econdip/events"
	cmapp "econdip/services/commissions/app"
	cdomain "econdip/services/commissions/domain"
	xapp "econdip/services/exports/app"
	xdomain "econdip/services/exports/domain"
	leadsapp "econdip/services/leads/app"
	ldomain "econdip/services/leads/domain"
	"econdip/services/platform/httpx"
)

// NATSDriver writes stories straight to JetStream through the publish path
// the services use: each event in its envelope, published with its id as
// the message id and the subject's last sequence as the concurrency check
// (a protocol as one atomic batch). It skips HTTP, authentication and the
// services' validation; the events are the ones the services would store
// for the same writes (the same types, subjects, sources, actors and scopes).
//
// Record and event ids derive from the seed, so a rerun of a seed stores
// nothing new: its creations find their subject taken and the story is skipped.
type NATSDriver struct {
	JS        jetstream.JetStream
	exporters map[string]string // BIN → name
}

// NewNATSDriver returns a driver publishing on js.
func NewNATSDriver(js jetstream.JetStream) *NATSDriver { return &NATSDriver{JS: js} }

// idNamespace makes a load's ids (UUID v5 of its keys).
var idNamespace = uuid.MustParse("5b0c6f43-8a77-4d0f-9a4e-3f1d2c7b9e10")

func loadID(parts ...string) string {
	return uuid.NewSHA1(idNamespace, []byte(strings.Join(parts, "\x00"))).String()
}

var zero = uint64(0)

// publish stores one event; a creation that finds its subject taken, or an
// event stored before (same id), is ErrSkip.
func (d *NATSDriver) publish(ctx context.Context, subject string, env events.Envelope, last uint64) (uint64, error) {
	ack, err := events.Publish(ctx, d.JS, subject, env, events.PublishOptions{ExpectLastSubjectSeq: &last})
	switch {
	case errors.Is(err, events.ErrWrongLastSequence):
		return 0, ErrSkip
	case err != nil:
		return 0, err
	case ack.Duplicate:
		return 0, ErrSkip
	}
	return ack.Sequence, nil
}

func tooManyBatches(err error) bool { return errors.Is(err, events.ErrBatchesBusy) }

func stamp() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Setup publishes the exporters' registrations and the commissions; those
// stored already are left as they are.
func (d *NATSDriver) Setup(ctx context.Context, s Setup) (int, error) {
	d.exporters = map[string]string{}
	n := 0
	for _, e := range s.Exporters {
		d.exporters[e.BIN] = e.Name
		now := stamp()
		env, err := events.New(events.Meta{ID: loadID("exporter", e.BIN), Source: xapp.Source, Subject: "exporter/" + e.BIN,
			Actor: "admin", Scope: "global", Time: now}, events.ExporterRegisteredV1{Exporter: events.ExporterV1{
			BIN: e.BIN, Version: 1, Name: e.Name, Region: e.Region, RegisteredBy: "admin", CreatedAt: now, UpdatedAt: now}})
		if err != nil {
			return n, err
		}
		switch _, err := d.publish(ctx, events.MustSubject(events.ExporterSubject(e.BIN)), env, zero); {
		case err == nil:
			n++
		case !errors.Is(err, ErrSkip):
			return n, fmt.Errorf("register exporter %s: %w", e.BIN, err)
		}
	}
	for _, c := range s.Commissions {
		now := stamp()
		env, err := events.New(events.Meta{ID: loadID("commission", c.ID), Source: cmapp.Source, Subject: "commission/" + c.ID,
			Actor: "admin", Scope: "global", Time: now}, events.CommissionRecordedV1{Commission: events.CommissionV1{
			ID: c.ID, Version: 1, Name: c.Name, PartnerCountry: c.PartnerCountry, KazakhCoChair: c.KazakhCoChair,
			SecretariatAgency: c.SecretariatAgency, PartnerCoChair: c.PartnerCoChair, CreatedAt: now, UpdatedAt: now}})
		if err != nil {
			return n, err
		}
		switch _, err := d.publish(ctx, events.MustSubject(events.CommissionSubject(c.ID)), env, zero); {
		case err == nil:
			n++
		case !errors.Is(err, ErrSkip):
			return n, fmt.Errorf("create commission %s: %w", c.ID, err)
		}
	}
	return n, nil
}

// Run publishes one story's events in order.
func (d *NATSDriver) Run(ctx context.Context, s Story, w *Writes) error {
	switch s.Kind {
	case Leads:
		return d.lead(ctx, s, w)
	case Deals:
		return d.deal(ctx, s, w)
	case Decisions:
		return d.protocol(ctx, s, w)
	}
	return fmt.Errorf("unknown story kind %q", s.Kind)
}

// timed publishes one paced event and reports it.
func (d *NATSDriver) timed(ctx context.Context, w *Writes, wr Write, subject string, env events.Envelope, last uint64) (uint64, error) {
	if err := w.Take(ctx, 1); err != nil {
		return 0, err
	}
	wr.Start = time.Now()
	seq, err := d.publish(ctx, subject, env, last)
	if err != nil {
		return 0, err
	}
	wr.End = time.Now()
	w.Done(wr)
	return seq, nil
}

func amount(n httpx.NumberText) (decimal.Decimal, error) { return decimal.NewFromString(string(n)) }

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (d *NATSDriver) lead(ctx context.Context, s Story, w *Writes) error {
	l, r := s.Lead, s.Lead.Request
	capex, err := amount(r.Capex.Amount)
	if err != nil {
		return fmt.Errorf("lead %s: capex: %w", s.Key, err)
	}
	contacts := make([]events.Contact, len(r.Contacts))
	for i, c := range r.Contacts {
		contacts[i] = events.Contact{Name: c.Name, Email: c.Email, Phone: c.Phone, Role: c.Role}
	}
	now := stamp()
	id, actor := loadID(s.Key), "attache."+l.Post
	lead := events.LeadV1{ID: id, Version: 1, Post: l.Post, Attache: actor,
		InvestorName: r.InvestorName, InvestorCountry: r.InvestorCountry, Title: r.Title, Sector: r.Sector,
		Clauses: orEmpty(r.Clauses), TargetRegion: r.TargetRegion, InvestmentType: r.InvestmentType,
		Capex: events.Money{Amount: capex, Currency: r.Capex.Currency}, ExpectedJobs: r.ExpectedJobs,
		TechTransfer: r.TechTransfer, Green: r.Green, ExpectedDecisionDate: r.ExpectedDecisionDate,
		Source: r.Source, SourceRef: r.SourceRef, Stage: string(ldomain.Identified), Probability: ldomain.Probability[ldomain.Identified],
		Contacts: contacts, CreatedAt: now, UpdatedAt: now, StageChangedAt: now, StageEffectiveOn: r.IdentifiedOn}
	meta := events.Meta{Source: leadsapp.Source, Subject: "lead/" + id, Actor: actor, Scope: "post:" + l.Post}
	env := func(v int, ev events.Event, at time.Time) (events.Envelope, error) {
		m := meta
		m.ID, m.Time = loadID(id, fmt.Sprint(v)), at
		return events.New(m, ev)
	}
	e, err := env(1, events.LeadCreatedV1{Lead: lead}, now)
	if err != nil {
		return err
	}
	seq, err := d.timed(ctx, w, Write{Kind: Leads, Op: "create", ID: id, Events: 1}, events.MustSubject(events.LeadSubject(id)), e, zero)
	if err != nil {
		return err
	}
	for i, st := range l.Path {
		now := stamp()
		from := lead.Stage
		lead.Version++
		lead.Stage, lead.Probability = string(st), ldomain.Probability[st]
		lead.UpdatedAt, lead.StageChangedAt, lead.StageEffectiveOn = now, now, l.Days[i]
		lead.LostReason = ""
		if st == ldomain.Lost {
			lead.LostReason = l.Lost
		}
		e, err := env(lead.Version, events.LeadStageChangedV1{Lead: lead, From: from, To: lead.Stage}, now)
		if err != nil {
			return err
		}
		if seq, err = d.timed(ctx, w, Write{Kind: Leads, Op: "move", ID: id, Events: 1}, events.MustSubject(events.LeadSubject(id)), e, seq); err != nil {
			return err
		}
	}
	return nil
}

func (d *NATSDriver) deal(ctx context.Context, s Story, w *Writes) error {
	dl, r := s.Deal, s.Deal.Request
	value, err := amount(r.Value.Amount)
	if err != nil {
		return fmt.Errorf("deal %s: value: %w", s.Key, err)
	}
	var qty *decimal.Decimal
	if r.Quantity != nil {
		q, err := amount(*r.Quantity)
		if err != nil {
			return fmt.Errorf("deal %s: quantity: %w", s.Key, err)
		}
		qty = &q
	}
	now := stamp()
	id, actor := loadID(s.Key), "attache."+dl.Post
	deal := events.DealV1{ID: id, Version: 1, Post: dl.Post, Attache: actor, ExporterBIN: r.ExporterBIN,
		ExporterName: d.exporters[r.ExporterBIN], BuyerCountry: r.BuyerCountry, BuyerName: r.BuyerName, HSCode: r.HSCode,
		Product: r.Product, Value: events.Money{Amount: value, Currency: r.Value.Currency}, Quantity: qty, Unit: r.Unit,
		Stage: string(xdomain.Opportunity), Support: orEmpty(r.Support), CommissionID: r.CommissionID, DecisionID: r.DecisionID,
		Clauses: orEmpty(r.Clauses), CreatedAt: now, UpdatedAt: now, StageChangedAt: now}
	meta := events.Meta{Source: xapp.Source, Subject: "deal/" + id, Actor: actor, Scope: "post:" + dl.Post}
	env := func(v int, ev events.Event, at time.Time) (events.Envelope, error) {
		m := meta
		m.ID, m.Time = loadID(id, fmt.Sprint(v)), at
		return events.New(m, ev)
	}
	e, err := env(1, events.DealCreatedV1{Deal: deal}, now)
	if err != nil {
		return err
	}
	seq, err := d.timed(ctx, w, Write{Kind: Deals, Op: "create", ID: id, Events: 1}, events.MustSubject(events.DealSubject(id)), e, zero)
	if err != nil {
		return err
	}
	for _, m := range dl.Moves {
		now := stamp()
		from := deal.Stage
		deal.Version++
		deal.Stage, deal.UpdatedAt, deal.StageChangedAt = string(m.Stage), now, now
		deal.LostReason = m.LostReason
		if m.ContractDate != "" {
			deal.ContractDate = m.ContractDate
		}
		e, err := env(deal.Version, events.DealStageChangedV1{Deal: deal, From: from, To: deal.Stage, Comment: m.Comment}, now)
		if err != nil {
			return err
		}
		if seq, err = d.timed(ctx, w, Write{Kind: Deals, Op: "move", ID: id, Events: 1}, events.MustSubject(events.DealSubject(id)), e, seq); err != nil {
			return err
		}
	}
	return nil
}

func (d *NATSDriver) protocol(ctx context.Context, s Story, w *Writes) error {
	p := s.Protocol
	cid, actor := p.Commission.ID, "secretariat."+p.Commission.ID
	now := stamp()
	sessionID := loadID(s.Key, "session")
	session := events.SessionV1{ID: sessionID, CommissionID: cid, Number: p.Request.Number, Date: p.Request.Date,
		Place: p.Request.Place, ProtocolRef: p.Request.ProtocolRef, CreatedAt: now}
	meta := func(subject, id string, v int, at time.Time) events.Meta {
		return events.Meta{ID: loadID(id, fmt.Sprint(v)), Source: cmapp.Source, Subject: subject, Actor: actor, Scope: "commission:" + cid, Time: at}
	}
	decisions := make([]events.DecisionV1, len(p.Request.Decisions))
	for i, r := range p.Request.Decisions {
		dec := events.DecisionV1{ID: loadID(sessionID, r.Item), Version: 1, CommissionID: cid, PartnerCountry: p.Commission.PartnerCountry,
			SessionID: sessionID, SessionNumber: p.Request.Number, SessionDate: p.Request.Date, Item: r.Item, Text: r.Text,
			Agencies: orEmpty(r.Agencies), Deadline: r.Deadline, Sector: r.Sector, Clauses: orEmpty(r.Clauses),
			LeadIDs: orEmpty(r.LeadIDs), DealIDs: []string{}, Status: string(cdomain.Open), StatusDate: p.Request.Date,
			CreatedAt: now, UpdatedAt: now}
		if r.Value != nil {
			v, err := amount(r.Value.Amount)
			if err != nil {
				return fmt.Errorf("protocol %s: decision %s value: %w", s.Key, r.Item, err)
			}
			dec.Value = &events.Money{Amount: v, Currency: r.Value.Currency}
		}
		decisions[i] = dec
		session.DecisionIDs = append(session.DecisionIDs, dec.ID)
	}
	env, err := events.New(meta("session/"+sessionID, sessionID, 1, now), events.SessionRecordedV1{Session: session})
	if err != nil {
		return err
	}
	items := []events.BatchItem{{Subject: events.MustSubject(events.SessionSubject(cid, sessionID)), Envelope: env, ExpectLastSubjectSeq: &zero}}
	for _, dec := range decisions {
		env, err := events.New(meta("decision/"+dec.ID, dec.ID, 1, now), events.DecisionRecordedV1{Decision: dec})
		if err != nil {
			return err
		}
		items = append(items, events.BatchItem{Subject: events.MustSubject(events.DecisionSubject(cid, dec.ID)), Envelope: env, ExpectLastSubjectSeq: &zero})
	}
	if err := w.Take(ctx, len(items)); err != nil {
		return err
	}
	start := time.Now()
	ack, err := events.PublishBatch(ctx, d.JS, items)
	// JetStream holds at most 50 atomic batches open per stream (the
	// server's max_batch_inflight_per_stream) and refuses more with 429:
	// wait a moment and send the batch again, as a client of the API would.
	for try := 0; tooManyBatches(err) && try < 100; try++ {
		w.Throttled()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(5+try) * time.Millisecond):
		}
		ack, err = events.PublishBatch(ctx, d.JS, items)
	}
	switch {
	case errors.Is(err, events.ErrWrongLastSequence), errors.Is(err, events.ErrBatchReplayed):
		return ErrSkip
	case err != nil:
		return err
	}
	w.Done(Write{Kind: Decisions, Op: "protocol", ID: sessionID, Events: len(items), Start: start, End: time.Now()})
	for i, changes := range p.Changes {
		dec := decisions[i]
		// The batch's messages have the sequences just before its ack's, in order.
		seq := ack.Sequence - uint64(len(items)-2-i)
		for _, ch := range changes {
			now := stamp()
			from := dec.Status
			dec.Version++
			dec.Status, dec.StatusDate, dec.UpdatedAt = string(ch.Status), ch.EffectiveOn, now
			if ch.Status == cdomain.Done {
				dec.DoneOn = ch.EffectiveOn
			}
			e, err := events.New(meta("decision/"+dec.ID, dec.ID, dec.Version, now), &events.DecisionStatusChangedV1{Decision: dec,
				From: from, To: dec.Status, EffectiveOn: ch.EffectiveOn, Comment: ch.Comment, EvidenceRef: ch.EvidenceRef})
			if err != nil {
				return err
			}
			if seq, err = d.timed(ctx, w, Write{Kind: Decisions, Op: "status", ID: dec.ID, Events: 1}, events.MustSubject(events.DecisionSubject(cid, dec.ID)), e, seq); err != nil {
				return err
			}
		}
	}
	return nil
}
