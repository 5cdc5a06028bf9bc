// Package app is the exports service's use cases: attachés and administrators
// register Kazakh exporters; an attaché records the export deals of the
// post's host country and moves them through their stages, reports the trade
// barriers Kazakh producers meet there and follows them to resolution;
// analysts and administrators read everything. Each write is stored as one
// event on the EXPORTS stream before it is answered.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/exports/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/companyref"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// Source is the CloudEvents source of exporter, deal and barrier events.
const Source = "econdip/exports"

// idNamespace makes deal, barrier and event ids derived from an
// Idempotency-Key stable across restarts.
var idNamespace = uuid.MustParse("9d3b6a52-1c4e-4f7a-b0d8-6e2f4a9c7b13")

// Service is the exports application.
type Service struct {
	exporters *command.Kind[events.ExporterV1, domain.Exporter]
	deals     *command.Kind[events.DealV1, domain.Deal]
	barriers  *command.Kind[events.BarrierV1, domain.Barrier]
	ref       *reference.Data
	decisions Decisions
	companies *companyref.Register
	log       *slog.Logger
	now       func() time.Time
}

// New builds the service and its read models (in the folder views; a
// temporary one when empty) from the EXPORTS stream; the views follow the stream until ctx ends. decisions answers whether an IGC
// decision a deal names exists.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, decisions Decisions, log *slog.Logger, views string) (*Service, error) {
	s := &Service{ref: ref, decisions: decisions, log: log, now: time.Now, companies: companyref.New(js)}
	now := func() time.Time { return s.now() }
	exporters := eventstore.New(js, events.StreamExports, events.ExporterSubject, exporterState,
		func(e events.ExporterV1) string { return e.BIN })
	deals := eventstore.New(js, events.StreamExports, events.DealSubject, dealState,
		func(d events.DealV1) string { return d.ID })
	barriers := eventstore.New(js, events.StreamExports, events.BarrierSubject, barrierState,
		func(b events.BarrierV1) string { return b.ID })
	s.exporters = &command.Kind[events.ExporterV1, domain.Exporter]{
		Name: "exporter", Source: Source, Store: exporters, FromEvent: exporterFromEvent, ToEvent: exporterToEvent,
		Stamp: func(e *domain.Exporter) (*int, *time.Time) { return &e.Version, &e.UpdatedAt },
		// The registry is everyone's: an exporter's events carry the writer's scope.
		Meta: func(u auth.User, e domain.Exporter) (string, string) { return "exporter/" + e.BIN, u.Scope() },
		// A BIN that fails its rules is no record; checking first also keeps
		// wildcards out of the subject.
		Valid: func(bin string) bool { return domain.CheckBIN(bin) == domain.BINOK },
		Now:   now,
	}
	s.deals = postRecord(s, "deal", deals, dealFromEvent, dealToEvent,
		func(d *domain.Deal) (string, string, *int, *time.Time) { return d.ID, d.Post, &d.Version, &d.UpdatedAt })
	s.barriers = postRecord(s, "barrier", barriers, barrierFromEvent, barrierToEvent,
		func(b *domain.Barrier) (string, string, *int, *time.Time) {
			return b.ID, b.Post, &b.Version, &b.UpdatedAt
		})
	var err error
	if s.exporters.View, err = exporters.Follow(ctx, views, events.AllExporters, exportersView, log); err != nil {
		return nil, err
	}
	if s.deals.View, err = deals.Follow(ctx, views, events.AllDeals, dealsView, log); err != nil {
		return nil, err
	}
	if s.barriers.View, err = barriers.Follow(ctx, views, events.AllBarriers, barriersView, log); err != nil {
		return nil, err
	}
	return s, nil
}

// Ready is nil once every read model has caught up with the log (for /readyz).
func (s *Service) Ready(ctx context.Context) error {
	return errors.Join(s.exporters.View.Ready(ctx), s.deals.View.Ready(ctx), s.barriers.View.Ready(ctx))
}

// postRecord is the kind of a post's records, deals and barriers: their
// events are "<name>/<id>" in the post's scope, the post's attachés own
// them, and their ids are UUIDs. fields gives a record's id, post, version
// and time of last change.
func postRecord[E, D any](s *Service, name string, store *eventstore.Store[E], from func(E) D, to func(D) E,
	fields func(*D) (id, post string, version *int, changedAt *time.Time)) *command.Kind[E, D] {
	post := func(d D) string { _, p, _, _ := fields(&d); return p }
	return &command.Kind[E, D]{
		Name: name, Source: Source, Store: store, FromEvent: from, ToEvent: to,
		Stamp: func(d *D) (*int, *time.Time) { _, _, v, at := fields(d); return v, at },
		Meta: func(_ auth.User, d D) (string, string) {
			id, p, _, _ := fields(&d)
			return name + "/" + id, "post:" + p
		},
		Owns:  func(u auth.User, d D) bool { return u.Post == post(d) },
		Other: "error.other_post", Valid: validID, Now: func() time.Time { return s.now() },
		IDs: command.IDSpace{Namespace: idNamespace, WithName: true},
	}
}

// SetClock replaces the clock (tests, demo data).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Today is the service's day in Astana.
func (s *Service) Today() kernel.Day { return kernel.Today(s.now()) }

// hostCountry is the country of an attaché's post: the only country whose
// deals and barriers the attaché records.
func (s *Service) hostCountry(post string) (string, error) {
	p, ok := s.ref.Post(post)
	if !ok {
		return "", apperr.E(apperr.Forbidden, "error.unknown_post", post)
	}
	return p.Country, nil
}

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}
