package loadgen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/exports/app"
	"econdip/services/exports/domain"
)

// registerExporters publishes the exporters' registrations and keeps their
// names, which the deals' events carry.
func (d *NATSDriver) registerExporters(ctx context.Context, exporters []exporterRequest) (int, error) {
	d.exporters = map[string]string{}
	n := 0
	for _, e := range exporters {
		d.exporters[e.BIN] = e.Name
		now := stamp()
		env, err := events.New(events.Meta{ID: loadID("exporter", e.BIN), Source: app.Source, Subject: "exporter/" + e.BIN,
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
	return n, nil
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
		Stage: string(domain.Opportunity), Support: orEmpty(r.Support), CommissionID: r.CommissionID, DecisionID: r.DecisionID,
		Clauses: orEmpty(r.Clauses), CreatedAt: now, UpdatedAt: now, StageChangedAt: now}
	meta := events.Meta{Source: app.Source, Subject: "deal/" + id, Actor: actor, Scope: "post:" + dl.Post}
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
