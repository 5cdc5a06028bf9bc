package loadgen

import (
	"context"
	"fmt"
	"time"

	"econdip/events"
	"econdip/services/leads/app"
	"econdip/services/leads/domain"
	"econdip/services/tools/demo"
)

func (d *NATSDriver) lead(ctx context.Context, s Story, w *Writes) error {
	le, err := NewLeadEvents(s)
	if err != nil {
		return err
	}
	var seq uint64
	for op := "create"; le.More(); op = "move" {
		e, err := le.Next(stamp())
		if err != nil {
			return err
		}
		if seq, err = d.timed(ctx, w, Write{Kind: Leads, Op: op, ID: le.ID, Events: 1}, le.Subject, e, seq); err != nil {
			return err
		}
	}
	return nil
}

// LeadEvents are the events of a lead story as the leads service would
// store them: its creation, then each stage move of its path, one at a
// time, each stamped with the time it is made.
type LeadEvents struct {
	ID      string // the lead's, derived from the story's key
	Subject string // the lead's subject on the LEADS stream

	story *demo.Lead
	lead  events.LeadV1
	meta  events.Meta
	next  int // 0: the creation; i > 0: the move to story.Path[i-1]
}

// NewLeadEvents returns the events of s, a story of kind Leads.
func NewLeadEvents(s Story) (*LeadEvents, error) {
	l, r := s.Lead, s.Lead.Request
	capex, err := amount(r.Capex.Amount)
	if err != nil {
		return nil, fmt.Errorf("lead %s: capex: %w", s.Key, err)
	}
	contacts := make([]events.Contact, len(r.Contacts))
	for i, c := range r.Contacts {
		contacts[i] = events.Contact{Name: c.Name, Email: c.Email, Phone: c.Phone, Role: c.Role}
	}
	id, actor := loadID(s.Key), "attache."+l.Post
	return &LeadEvents{ID: id, Subject: events.MustSubject(events.LeadSubject(id)), story: l,
		lead: events.LeadV1{ID: id, Version: 1, Post: l.Post, Attache: actor,
			InvestorName: r.InvestorName, InvestorCountry: r.InvestorCountry, Title: r.Title, Sector: r.Sector,
			Clauses: orEmpty(r.Clauses), TargetRegion: r.TargetRegion, InvestmentType: r.InvestmentType,
			Capex: events.Money{Amount: capex, Currency: r.Capex.Currency}, ExpectedJobs: r.ExpectedJobs,
			TechTransfer: r.TechTransfer, Green: r.Green, ExpectedDecisionDate: r.ExpectedDecisionDate,
			Source: r.Source, SourceRef: r.SourceRef, Stage: string(domain.Identified), Probability: domain.Probability[domain.Identified],
			Contacts: contacts, StageEffectiveOn: r.IdentifiedOn},
		meta: events.Meta{Source: app.Source, Subject: "lead/" + id, Actor: actor, Scope: "post:" + l.Post}}, nil
}

// Len is the number of events of the story.
func (e *LeadEvents) Len() int { return 1 + len(e.story.Path) }

// More reports whether an event is left.
func (e *LeadEvents) More() bool { return e.next < e.Len() }

// Next returns the story's next event, made at now (call it only while More).
func (e *LeadEvents) Next(now time.Time) (events.Envelope, error) {
	var ev events.Event
	if e.next == 0 {
		e.lead.CreatedAt, e.lead.UpdatedAt, e.lead.StageChangedAt = now, now, now
		ev = events.LeadCreatedV1{Lead: e.lead}
	} else {
		i, st := e.next-1, e.story.Path[e.next-1]
		from := e.lead.Stage
		e.lead.Version++
		e.lead.Stage, e.lead.Probability = string(st), domain.Probability[st]
		e.lead.UpdatedAt, e.lead.StageChangedAt, e.lead.StageEffectiveOn = now, now, e.story.Days[i]
		e.lead.LostReason = ""
		if st == domain.Lost {
			e.lead.LostReason = e.story.Lost
		}
		ev = events.LeadStageChangedV1{Lead: e.lead, From: from, To: e.lead.Stage}
	}
	e.next++
	m := e.meta
	m.ID, m.Time = loadID(e.ID, fmt.Sprint(e.lead.Version)), now
	return events.New(m, ev)
}
