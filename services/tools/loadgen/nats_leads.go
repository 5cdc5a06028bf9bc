package loadgen

import (
	"context"
	"fmt"
	"time"

	"econdip/events"
	"econdip/services/leads/app"
	"econdip/services/leads/domain"
)

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
		Source: r.Source, SourceRef: r.SourceRef, Stage: string(domain.Identified), Probability: domain.Probability[domain.Identified],
		Contacts: contacts, CreatedAt: now, UpdatedAt: now, StageChangedAt: now, StageEffectiveOn: r.IdentifiedOn}
	meta := events.Meta{Source: app.Source, Subject: "lead/" + id, Actor: actor, Scope: "post:" + l.Post}
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
		lead.Stage, lead.Probability = string(st), domain.Probability[st]
		lead.UpdatedAt, lead.StageChangedAt, lead.StageEffectiveOn = now, now, l.Days[i]
		lead.LostReason = ""
		if st == domain.Lost {
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
