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
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
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
	exporters *eventstore.Store[events.ExporterV1]
	deals     *eventstore.Store[events.DealV1]
	barriers  *eventstore.Store[events.BarrierV1]
	eview     *eventstore.View[events.ExporterV1]
	dview     *eventstore.View[events.DealV1]
	bview     *eventstore.View[events.BarrierV1]
	ref       *reference.Data
	decisions Decisions
	log       *slog.Logger
	now       func() time.Time
}

// New builds the service and its read models from the EXPORTS stream; the
// views follow the stream until ctx ends. decisions answers whether an IGC
// decision a deal names exists.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, decisions Decisions, log *slog.Logger) (*Service, error) {
	s := &Service{ref: ref, decisions: decisions, log: log, now: time.Now}
	s.exporters = eventstore.New(js, events.StreamExports, events.ExporterSubject, exporterState,
		func(e events.ExporterV1) string { return e.BIN })
	s.deals = eventstore.New(js, events.StreamExports, events.DealSubject, dealState,
		func(d events.DealV1) string { return d.ID })
	s.barriers = eventstore.New(js, events.StreamExports, events.BarrierSubject, barrierState,
		func(b events.BarrierV1) string { return b.ID })
	var err error
	if s.eview, err = s.exporters.Follow(ctx, events.AllExporters, log); err != nil {
		return nil, err
	}
	if s.dview, err = s.deals.Follow(ctx, events.AllDeals, log); err != nil {
		return nil, err
	}
	if s.bview, err = s.barriers.Follow(ctx, events.AllBarriers, log); err != nil {
		return nil, err
	}
	return s, nil
}

// SetClock replaces the clock (tests, demo data).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Today is the service's day in Astana.
func (s *Service) Today() kernel.Day { return kernel.Today(s.now()) }

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// hostCountry is the country of an attaché's post: the only country whose
// deals and barriers the attaché records. Other roles do not write deals or barriers.
func (s *Service) hostCountry(u auth.User) (string, error) {
	if u.Role != auth.Attache {
		return "", apperr.E(apperr.Forbidden, "error.exports_write_role")
	}
	p, ok := s.ref.Post(u.Post)
	if !ok {
		return "", apperr.E(apperr.Forbidden, "error.unknown_post", u.Post)
	}
	return p.Country, nil
}

// canWrite: only the attachés of the record's post change it.
func canWrite(u auth.User, post string) error {
	if u.Role != auth.Attache {
		return apperr.E(apperr.Forbidden, "error.exports_write_role")
	}
	if u.Post != post {
		return apperr.E(apperr.Forbidden, "error.other_post")
	}
	return nil
}

// canRead: analysts and administrators read every deal and barrier; an
// attaché those of the own post; secretariats none.
func canRead(u auth.User, post string) error {
	switch u.Role {
	case auth.Analyst, auth.Admin:
		return nil
	case auth.Attache:
		if u.Post == post {
			return nil
		}
		return apperr.E(apperr.Forbidden, "error.other_post")
	}
	return apperr.E(apperr.Forbidden, "error.exports_read_role")
}

// canReadAny is canRead for lists and the exporter registry.
func canReadAny(u auth.User) error {
	switch u.Role {
	case auth.Analyst, auth.Admin, auth.Attache:
		return nil
	}
	return apperr.E(apperr.Forbidden, "error.exports_read_role")
}

func (s *Service) envelope(u auth.User, eventID, subject, scope string, ev events.Event, now time.Time) (events.Envelope, error) {
	env, err := events.New(events.Meta{ID: eventID, Source: Source, Subject: subject, Actor: u.ID, Scope: scope, Time: now}, ev)
	if err != nil {
		return env, apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	return env, nil
}

// createIDs are the ids of a new record and the fingerprint of the request
// that creates it (empty without an Idempotency-Key).
type createIDs struct{ id, eventID, request string }

// idsFor derives a record id and its creation event id from an
// Idempotency-Key (scoped to the user) and fingerprints the request input,
// or returns a random id, no event id and no fingerprint without one.
func idsFor(u auth.User, kind, key string, input any) (createIDs, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return createIDs{id: uuid.NewString()}, nil
	}
	if len(key) > 200 {
		var f apperr.Fields
		f.Add("Idempotency-Key", "error.too_long", 200)
		return createIDs{}, f.Err()
	}
	id := uuid.NewSHA1(idNamespace, []byte(kind+"\x00"+u.ID+"\x00"+key)).String()
	request, err := eventstore.RequestSHA256(kind, input)
	return createIDs{id: id, eventID: uuid.NewSHA1(idNamespace, []byte("created\x00"+id)).String(), request: request}, err
}

func validID(id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return apperr.E(apperr.NotFound, "error.not_found", id)
	}
	return nil
}

// fieldsOf returns the field errors of an Invalid error, so more checks can
// add theirs and the caller gets every wrong field at once.
func fieldsOf(err error) (apperr.Fields, error) {
	if err == nil {
		return nil, nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == apperr.Invalid && len(ae.Fields) > 0 {
		return append(apperr.Fields(nil), ae.Fields...), nil
	}
	return nil, err
}

// page checks and defaults a list's paging.
func page(f *apperr.Fields, limit, offset *int) {
	if *limit == 0 {
		*limit = 50
	}
	if *limit < 1 || *limit > 500 {
		f.Add("limit", "error.range", 1, 500)
	}
	if *offset < 0 {
		f.Add("offset", "error.range", 0, 1_000_000_000)
	}
}
