// Package app is the commissions service's use cases: administrators record
// commissions; a secretariat records whole protocols (a session with its
// decisions, stored all or nothing), changes decision statuses and links
// decisions to the leads they produced; everyone reads what their job allows.
package app

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/commissions/domain"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/command"
	"econdip/services/platform/eventstore"
	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// Source is the CloudEvents source of commission events.
const Source = "econdip/commissions"

var idNamespace = uuid.MustParse("0c6f4f1e-2b7d-4a1c-8d3e-5f9a7b6c4d21")

// LinkedRecords says whether a lead or deal that a decision links to exists.
type LinkedRecords interface {
	Exists(ctx context.Context, kind, id string) (bool, error)
}

// Service is the commissions application.
type Service struct {
	js          jetstream.JetStream
	commissions *command.Kind[events.CommissionV1, domain.Commission]
	sessions    *eventstore.Store[events.SessionV1]
	decisions   *command.Kind[events.DecisionV1, domain.Decision]
	sview       *eventstore.View[events.SessionV1]
	ref         *reference.Data
	linked      LinkedRecords
	log         *slog.Logger
	now         func() time.Time
}

func splitKey(key string) (string, string) {
	cid, id, _ := strings.Cut(key, "/")
	return cid, id
}

// New builds the service and its read models from the COMMISSIONS stream.
func New(ctx context.Context, js jetstream.JetStream, ref *reference.Data, linked LinkedRecords, log *slog.Logger, views string) (*Service, error) {
	s := &Service{js: js, ref: ref, linked: linked, log: log, now: time.Now}
	now := func() time.Time { return s.now() }
	commissions := eventstore.New(js, events.StreamCommissions, events.CommissionSubject, commissionState,
		func(c events.CommissionV1) string { return c.ID })
	s.sessions = eventstore.New(js, events.StreamCommissions,
		func(key string) (string, error) { return events.SessionSubject(splitKey(key)) }, sessionState,
		func(x events.SessionV1) string { return x.ID })
	decisions := eventstore.New(js, events.StreamCommissions,
		func(key string) (string, error) { return events.DecisionSubject(splitKey(key)) }, decisionState,
		func(d events.DecisionV1) string { return d.ID })
	s.commissions = &command.Kind[events.CommissionV1, domain.Commission]{
		Name: "commission", Source: Source, Store: commissions, FromEvent: commissionFromEvent, ToEvent: commissionToEvent,
		Stamp: func(c *domain.Commission) (*int, *time.Time) { return &c.Version, &c.UpdatedAt },
		Meta: func(_ auth.User, c domain.Commission) (string, string) {
			return "commission/" + c.ID, "commission:" + c.ID
		},
		Owns:  func(u auth.User, c domain.Commission) bool { return s.owns(u, c.ID, c.PartnerCountry) },
		Other: "error.other_commission", Now: now,
	}
	s.decisions = &command.Kind[events.DecisionV1, domain.Decision]{
		Name: "decision", Source: Source, Store: decisions, FromEvent: decisionFromEvent, ToEvent: decisionToEvent,
		Stamp: func(d *domain.Decision) (*int, *time.Time) { return &d.Version, &d.UpdatedAt },
		Meta: func(_ auth.User, d domain.Decision) (string, string) {
			return "decision/" + d.ID, "commission:" + d.CommissionID
		},
		Owns:  func(u auth.User, d domain.Decision) bool { return s.owns(u, d.CommissionID, d.PartnerCountry) },
		Other: "error.other_commission",
		Now:   now, // keys are checked by decisionKey

	}
	var err error
	if s.commissions.View, err = commissions.Follow(ctx, views, events.AllCommissions, commissionsView, log); err != nil {
		return nil, err
	}
	if s.sview, err = s.sessions.Follow(ctx, views, events.AllSessions, sessionsView, log); err != nil {
		return nil, err
	}
	if s.decisions.View, err = decisions.Follow(ctx, views, events.AllDecisions, decisionsView, log); err != nil {
		return nil, err
	}
	return s, nil
}

// Ready is nil once every read model has caught up with the log (for /readyz).
func (s *Service) Ready(ctx context.Context) error {
	return errors.Join(s.commissions.View.Ready(ctx), s.sview.Ready(ctx), s.decisions.View.Ready(ctx))
}

// SetClock replaces the clock (tests of deadlines, demo data).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

func (s *Service) today() kernel.Day { return kernel.Today(s.now()) }

// owns is the scope of a commission and of its decisions and sessions: a
// secretariat's own commission; for an attaché, the commissions with their
// post's host country.
func (s *Service) owns(u auth.User, commissionID, partnerCountry string) bool {
	if u.Commission != "" {
		return u.Commission == commissionID
	}
	p, ok := s.ref.Post(u.Post)
	return ok && p.Country == partnerCountry
}

// envelope is the envelope of a protocol's events, which are stored in one
// batch rather than through the command helper.
func (s *Service) envelope(u auth.User, eventID, subject, commissionID string, ev events.Event, now time.Time) (events.Envelope, error) {
	env, err := events.New(events.Meta{ID: eventID, Source: Source, Subject: subject, Actor: u.ID, Scope: "commission:" + commissionID, Time: now}, ev)
	if err != nil {
		return env, apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	return env, nil
}

// CreateCommission records a new commission (administrators only).
func (s *Service) CreateCommission(ctx context.Context, u auth.User, in domain.CommissionInput) (domain.Commission, error) {
	c, _, err := s.commissions.Create(ctx, u, auth.ManageCommission, command.New{ID: in.ID},
		func(id string, now time.Time) (domain.Commission, command.Event[events.CommissionV1], error) {
			if err := in.Validate(s.ref); err != nil {
				return domain.Commission{}, nil, err
			}
			c := domain.Commission{ID: id, Version: 1, Name: strings.TrimSpace(in.Name), PartnerCountry: in.PartnerCountry,
				KazakhCoChair: strings.TrimSpace(in.KazakhCoChair), SecretariatAgency: in.SecretariatAgency,
				PartnerCoChair: strings.TrimSpace(in.PartnerCoChair), CreatedAt: now, UpdatedAt: now}
			return c, recorded, nil
		})
	return c, err
}

func recorded(st events.CommissionV1) events.Event {
	return events.CommissionRecordedV1{Commission: st}
}

// UpdateCommission changes a commission's details (administrators only); the id and partner stay.
func (s *Service) UpdateCommission(ctx context.Context, u auth.User, id string, version int, in domain.CommissionInput) (domain.Commission, error) {
	return s.commissions.Change(ctx, u, auth.ManageCommission, id, version, func(c *domain.Commission, _ time.Time) (command.Event[events.CommissionV1], error) {
		in.ID, in.PartnerCountry = c.ID, c.PartnerCountry
		if err := in.Validate(s.ref); err != nil {
			return nil, err
		}
		c.Name, c.KazakhCoChair, c.SecretariatAgency, c.PartnerCoChair = strings.TrimSpace(in.Name), strings.TrimSpace(in.KazakhCoChair), in.SecretariatAgency, strings.TrimSpace(in.PartnerCoChair)
		return recorded, nil
	})
}

// Commission returns one commission the user may read.
func (s *Service) Commission(ctx context.Context, u auth.User, id string) (domain.Commission, error) {
	if err := auth.Allow(u, auth.ReadCommissions); err != nil {
		return domain.Commission{}, err
	}
	rec, ok, err := s.commissions.View.Get(id)
	if !ok || err != nil { // not in the read model yet, or the read model is not at hand: the log has it
		if rec, err = s.commissions.Store.Load(ctx, id); err != nil {
			return domain.Commission{}, err
		}
	}
	c := commissionFromEvent(rec.State)
	if err := s.commissions.Permit(u, auth.ReadCommissions, c); err != nil {
		return domain.Commission{}, err
	}
	return c, nil
}

// Commissions lists the commissions the user may read, by name.
func (s *Service) Commissions(u auth.User) ([]domain.Commission, error) {
	recs, err := s.commissions.View.Select(eventstore.Query[events.CommissionV1]{Keep: func(c events.CommissionV1) bool {
		return s.commissions.Permit(u, auth.ReadCommissions, commissionFromEvent(c)) == nil
	}})
	out := make([]domain.Commission, len(recs))
	for i, r := range recs {
		out[i] = commissionFromEvent(r.State)
	}
	return out, err
}

// Protocol is a recorded session with its decisions.
type Protocol struct {
	Session   domain.Session
	Decisions []domain.Decision
}

// RecordProtocol stores a session and all its decisions in one atomic batch:
// every event is stored or none. A session number exists once per
// commission (its id is derived from it), so recording it twice is a
// Conflict; with an idempotency key, a retry returns the first result, and
// the same key with another protocol is KeyReused (stores nothing). A key is
// recognised by the session it recorded: the same session through the batch,
// another session through the sessions this service has read.
func (s *Service) RecordProtocol(ctx context.Context, u auth.User, commissionID, idempotencyKey string, in domain.SessionInput, rows domain.RowNamer) (Protocol, bool, error) {
	c, err := s.Commission(ctx, u, commissionID)
	if err != nil {
		return Protocol{}, false, err
	}
	if err := s.commissions.Permit(u, auth.WriteCommissions, c); err != nil {
		return Protocol{}, false, err
	}
	date, deadlines, values, err := in.Validate(s.ref, s.today(), rows)
	if err != nil {
		return Protocol{}, false, err
	}
	for i, d := range in.Decisions {
		for _, id := range d.LeadIDs {
			if err := s.checkTarget(ctx, "lead", id, rows(i, "lead_ids")); err != nil {
				return Protocol{}, false, err
			}
		}
	}
	request := ""
	if idempotencyKey != "" {
		if request, err = eventstore.RequestSHA256("protocol", in); err != nil {
			return Protocol{}, false, err
		}
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	sessionID := uuid.NewSHA1(idNamespace, []byte(c.ID+"\x00session\x00"+strconv.Itoa(in.Number))).String()
	eventID := func(n int) string {
		if idempotencyKey == "" {
			return uuid.NewString()
		}
		return uuid.NewSHA1(idNamespace, []byte(u.ID+"\x00"+idempotencyKey+"\x00"+strconv.Itoa(n))).String()
	}
	if idempotencyKey != "" {
		// A key that recorded another session is refused whenever that was
		// (the batch's event ids only catch it within JetStream's duplicate
		// window): a session's one event carries the key's first event id.
		keyID := eventID(0)
		others, err := s.sview.Select(eventstore.Query[events.SessionV1]{Match: map[string]string{"commission_id": c.ID},
			Keep: func(st events.SessionV1) bool { return st.ID != sessionID }})
		if err != nil {
			return Protocol{}, false, err
		}
		for _, r := range others {
			if r.Envelope.ID == keyID {
				return Protocol{}, false, apperr.E(apperr.KeyReused, "error.idempotency_reused")
			}
		}
	}
	session := domain.Session{ID: sessionID, CommissionID: c.ID, Number: in.Number, Date: date,
		Place: strings.TrimSpace(in.Place), ProtocolRef: strings.TrimSpace(in.ProtocolRef), CreatedAt: now}
	var decisions []domain.Decision
	for i, d := range in.Decisions {
		item := strings.TrimSpace(d.Item)
		if item == "" {
			item = strconv.Itoa(i + 1)
		}
		dec := domain.Decision{
			ID: uuid.NewSHA1(idNamespace, []byte(sessionID+"\x00"+item)).String(), Version: 1,
			CommissionID: c.ID, PartnerCountry: c.PartnerCountry, SessionID: sessionID, SessionNumber: in.Number, SessionDate: date,
			Item: item, Text: strings.TrimSpace(d.Text), Agencies: d.Agencies, Deadline: deadlines[i], Sector: d.Sector,
			Clauses: d.Clauses, Value: values[i], LeadIDs: kernel.Distinct(d.LeadIDs), DealIDs: []string{},
			Status: domain.Open, StatusDate: date, CreatedAt: now, UpdatedAt: now,
		}
		session.DecisionIDs = append(session.DecisionIDs, dec.ID)
		decisions = append(decisions, dec)
	}
	none := uint64(0)
	sessionEv := events.SessionRecordedV1{Session: sessionToEvent(session)}
	env, err := s.envelope(u, eventID(0), "session/"+sessionID, c.ID, sessionEv, now)
	if err != nil {
		return Protocol{}, false, err
	}
	decisionEvs := make([]events.DecisionRecordedV1, len(decisions))
	// The ids are the loaded commission's and uuids made above: they cannot fail the subject check.
	items := []events.BatchItem{{Subject: events.MustSubject(events.SessionSubject(c.ID, sessionID)), Envelope: env, ExpectLastSubjectSeq: &none, RequestSHA256: request}}
	for i, d := range decisions {
		decisionEvs[i] = events.DecisionRecordedV1{Decision: decisionToEvent(d)}
		denv, err := s.envelope(u, eventID(i+1), "decision/"+d.ID, c.ID, decisionEvs[i], now)
		if err != nil {
			return Protocol{}, false, err
		}
		items = append(items, events.BatchItem{Subject: events.MustSubject(events.DecisionSubject(c.ID, d.ID)), Envelope: denv, ExpectLastSubjectSeq: &none})
	}
	ack, err := events.PublishBatch(ctx, s.js, items)
	switch {
	case errors.Is(err, events.ErrBatchReplayed), errors.Is(err, events.ErrWrongLastSequence):
		// Event ids derive from the key, the session id from its number: the
		// events of this key are stored already (a replayed batch), or this
		// session is (a wrong last sequence), or both.
		first, ferr := s.sessions.First(ctx, c.ID+"/"+sessionID)
		if ferr != nil && apperr.CodeOf(ferr) != apperr.NotFound {
			return Protocol{}, false, ferr
		}
		ours := ferr == nil && first.Envelope.ID == env.ID
		switch {
		case ours && eventstore.SameRequest(first.RequestSHA256, request):
			p, err := s.Protocol(ctx, u, c.ID, sessionID)
			return p, true, err
		case ours, errors.Is(err, events.ErrBatchReplayed):
			// This key recorded another protocol (or this one with other decisions).
			return Protocol{}, false, apperr.E(apperr.KeyReused, "error.idempotency_reused")
		case ferr != nil:
			return Protocol{}, false, ferr
		}
		var f apperr.Fields
		f.Add("number", "error.session_exists", in.Number)
		return Protocol{}, false, apperr.Wrap(apperr.Conflict, f.Err(), "error.session_exists", in.Number)
	case errors.Is(err, events.ErrBatchesBusy):
		return Protocol{}, false, apperr.Wrap(apperr.TooManyRequests, err, "error.store_busy")
	case err != nil:
		return Protocol{}, false, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	// The batch's messages sit at the sequences just before the commit's.
	first := ack.Sequence - uint64(len(items)) + 1
	srec, err := s.sessions.FromEvent(items[0].Envelope, sessionEv, first)
	if err != nil {
		return Protocol{}, false, err
	}
	s.sview.Put(srec)
	out := Protocol{Session: sessionFromEvent(srec.State)}
	for i, it := range items[1:] {
		drec, err := s.decisions.Store.FromEnvelope(it.Envelope, first+uint64(i)+1)
		if err != nil {
			return Protocol{}, false, err
		}
		s.decisions.View.Put(drec)
		out.Decisions = append(out.Decisions, decisionFromEvent(drec.State))
	}
	return out, false, nil
}

func (s *Service) checkTarget(ctx context.Context, kind, id, field string) error {
	ok, err := s.linked.Exists(ctx, kind, id)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	if !ok {
		var f apperr.Fields
		f.Add(field, "error.unknown_target", kind, id)
		return f.Err()
	}
	return nil
}

// Protocol returns a session and its decisions.
func (s *Service) Protocol(ctx context.Context, u auth.User, commissionID, sessionID string) (Protocol, error) {
	c, err := s.Commission(ctx, u, commissionID)
	if err != nil {
		return Protocol{}, err
	}
	rec, err := s.sessions.Load(ctx, c.ID+"/"+sessionID)
	if err != nil {
		return Protocol{}, err
	}
	p := Protocol{Session: sessionFromEvent(rec.State)}
	for _, id := range rec.State.DecisionIDs {
		d, err := s.decisions.Store.Load(ctx, c.ID+"/"+id)
		if err != nil {
			return Protocol{}, err
		}
		p.Decisions = append(p.Decisions, decisionFromEvent(d.State))
	}
	return p, nil
}

// Sessions lists a commission's sessions, latest first.
func (s *Service) Sessions(ctx context.Context, u auth.User, commissionID string) ([]domain.Session, error) {
	c, err := s.Commission(ctx, u, commissionID)
	if err != nil {
		return nil, err
	}
	recs, err := s.sview.Select(eventstore.Query[events.SessionV1]{Match: map[string]string{"commission_id": c.ID}})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Session, len(recs))
	for i, r := range recs {
		out[i] = sessionFromEvent(r.State)
	}
	slices.SortFunc(out, func(a, b domain.Session) int { return cmp.Compare(b.Number, a.Number) })
	return out, nil
}

// DecisionFilter narrows a register.
type DecisionFilter struct {
	Status    string
	Agency    string
	SessionID string
	Overdue   bool
}

// Register lists a commission's decisions: by deadline, then item.
func (s *Service) Register(ctx context.Context, u auth.User, commissionID string, f DecisionFilter) ([]domain.Decision, kernel.Day, error) {
	c, err := s.Commission(ctx, u, commissionID)
	if err != nil {
		return nil, kernel.Day{}, err
	}
	if f.Status != "" && !slices.Contains(domain.Statuses, domain.Status(f.Status)) {
		var fe apperr.Fields
		fe.Add("status", "error.unknown_status", f.Status, "open, in_progress, done, cancelled")
		return nil, kernel.Day{}, fe.Err()
	}
	today := s.today()
	q := eventstore.Query[events.DecisionV1]{Match: map[string]string{"commission_id": c.ID, "status": f.Status, "session_id": f.SessionID}}
	if f.Agency != "" {
		q.Keep = func(d events.DecisionV1) bool { return slices.Contains(d.Agencies, f.Agency) }
	}
	recs, err := s.decisions.View.Select(q)
	if err != nil {
		return nil, kernel.Day{}, err
	}
	out := make([]domain.Decision, 0, len(recs))
	for _, r := range recs {
		d := decisionFromEvent(r.State)
		if !f.Overdue || d.Overdue(today) {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b domain.Decision) int {
		if c := cmp.Compare(a.Deadline.String(), b.Deadline.String()); c != 0 {
			return c
		}
		return cmp.Compare(a.Item, b.Item)
	})
	return out, today, nil
}

// Decision returns one decision, read from the log.
func (s *Service) Decision(ctx context.Context, u auth.User, commissionID, id string) (domain.Decision, kernel.Day, error) {
	key, err := s.decisionKey(ctx, u, commissionID, id)
	if err != nil {
		return domain.Decision{}, kernel.Day{}, err
	}
	rec, err := s.decisions.Store.Load(ctx, key)
	if err != nil {
		return domain.Decision{}, kernel.Day{}, err
	}
	return decisionFromEvent(rec.State), s.today(), nil
}

// decisionKey is the store key of decision id of commission cid, which u
// may read: an unknown commission, or an id that is no decision's, is
// NotFound naming only what was wrong (never a real record's id beside it).
func (s *Service) decisionKey(ctx context.Context, u auth.User, cid, id string) (string, error) {
	if _, err := s.Commission(ctx, u, cid); err != nil {
		return "", err
	}
	if _, err := uuid.Parse(id); err != nil {
		return "", apperr.E(apperr.NotFound, "error.not_found", id)
	}
	return cid + "/" + id, nil
}

// ChangeStatus moves a decision through its statuses.
func (s *Service) ChangeStatus(ctx context.Context, u auth.User, commissionID, id string, version int, c domain.StatusChange) (domain.Decision, error) {
	key, err := s.decisionKey(ctx, u, commissionID, id)
	if err != nil {
		return domain.Decision{}, err
	}
	return s.decisions.Change(ctx, u, auth.WriteCommissions, key, version, func(d *domain.Decision, _ time.Time) (command.Event[events.DecisionV1], error) {
		from := d.Status
		on, err := d.ChangeStatus(c, s.today())
		if err != nil {
			return nil, err
		}
		return func(st events.DecisionV1) events.Event {
			return &events.DecisionStatusChangedV1{Decision: st, From: string(from), To: string(c.To), EffectiveOn: on.String(),
				Comment: strings.TrimSpace(c.Comment), EvidenceRef: strings.TrimSpace(c.EvidenceRef)}
		}, nil
	})
}

// Link records that a decision led to a lead (or, later, a deal).
func (s *Service) Link(ctx context.Context, u auth.User, commissionID, id string, version int, kind, targetID string) (domain.Decision, error) {
	key, err := s.decisionKey(ctx, u, commissionID, id)
	if err != nil {
		return domain.Decision{}, err
	}
	return s.decisions.Change(ctx, u, auth.WriteCommissions, key, version, func(d *domain.Decision, _ time.Time) (command.Event[events.DecisionV1], error) {
		added, err := d.Link(kind, targetID)
		if err != nil || !added {
			return nil, err
		}
		if err := s.checkTarget(ctx, kind, targetID, "target_id"); err != nil {
			return nil, err
		}
		return func(st events.DecisionV1) events.Event {
			return &events.DecisionLinkedV1{Decision: st, Kind: kind, TargetID: targetID}
		}, nil
	})
}

// Change is one entry of a decision's history.
type Change struct {
	command.Entry
	From, To, EffectiveOn, Comment, EvidenceRef, LinkKind, LinkTarget string
}

// History lists every event of a decision.
func (s *Service) History(ctx context.Context, u auth.User, commissionID, id string) ([]Change, error) {
	key, err := s.decisionKey(ctx, u, commissionID, id)
	if err != nil {
		return nil, err
	}
	return command.History(ctx, s.decisions, u, auth.ReadCommissions, key, func(en command.Entry, ev events.Event) Change {
		c := Change{Entry: en}
		switch e := ev.(type) {
		case *events.DecisionStatusChangedV1:
			c.From, c.To, c.EffectiveOn, c.Comment, c.EvidenceRef = e.From, e.To, e.EffectiveOn, e.Comment, e.EvidenceRef
		case *events.DecisionLinkedV1:
			c.LinkKind, c.LinkTarget = e.Kind, e.TargetID
		}
		return c
	})
}
