package loadgen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"econdip/events"
	"econdip/services/commissions/app"
	"econdip/services/commissions/domain"
)

// recordCommissions publishes the commissions' creations.
func (d *NATSDriver) recordCommissions(ctx context.Context, commissions []commissionRequest) (int, error) {
	n := 0
	for _, c := range commissions {
		now := stamp()
		env, err := events.New(events.Meta{ID: loadID("commission", c.ID), Source: app.Source, Subject: "commission/" + c.ID,
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

func (d *NATSDriver) protocol(ctx context.Context, s Story, w *Writes) error {
	p := s.Protocol
	cid, actor := p.Commission.ID, "secretariat."+p.Commission.ID
	now := stamp()
	sessionID := loadID(s.Key, "session")
	session := events.SessionV1{ID: sessionID, CommissionID: cid, Number: p.Request.Number, Date: p.Request.Date,
		Place: p.Request.Place, ProtocolRef: p.Request.ProtocolRef, CreatedAt: now}
	meta := func(subject, id string, v int, at time.Time) events.Meta {
		return events.Meta{ID: loadID(id, fmt.Sprint(v)), Source: app.Source, Subject: subject, Actor: actor, Scope: "commission:" + cid, Time: at}
	}
	decisions := make([]events.DecisionV1, len(p.Request.Decisions))
	for i, r := range p.Request.Decisions {
		dec := events.DecisionV1{ID: loadID(sessionID, r.Item), Version: 1, CommissionID: cid, PartnerCountry: p.Commission.PartnerCountry,
			SessionID: sessionID, SessionNumber: p.Request.Number, SessionDate: p.Request.Date, Item: r.Item, Text: r.Text,
			Agencies: orEmpty(r.Agencies), Deadline: r.Deadline, Sector: r.Sector, Clauses: orEmpty(r.Clauses),
			LeadIDs: orEmpty(r.LeadIDs), DealIDs: []string{}, Status: string(domain.Open), StatusDate: p.Request.Date,
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
			if ch.Status == domain.Done {
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
