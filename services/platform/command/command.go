// Package command is the one write path of the services' records, on top of
// the event store: load the record, check the policy for the user's role and
// scope, check the version the user read, apply the domain rule, append the
// event, answer (Wild Workouts' repository Update(ctx, id, func(*T) error)).
// Creating a record, with or without an Idempotency-Key, and reading and
// listing records go through the same Kind, so a new record type or command
// writes its rule and nothing of the loop.
package command

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/auth"
	"econdip/services/platform/eventstore"
)

// Kind is one kind of record: where its events are, how its domain value D
// maps to the state E its events carry, and whose a record is. E is the
// event contract's state (events.LeadV1), D the domain aggregate
// (domain.Lead); a kind without a domain type of its own uses E for both.
type Kind[E, D any] struct {
	// Name says what the record is ("lead", "deal"): the fingerprint of a
	// create request is taken with it.
	Name string
	// Source is the CloudEvents source of the record's events.
	Source string
	Store  *eventstore.Store[E]
	// View is the read model writes put their result in; lists read it.
	View *eventstore.View[E]

	FromEvent func(E) D
	ToEvent   func(D) E
	// Stamp is where a record keeps its version (which a change must name,
	// and which each change counts up) and the time of its last change.
	Stamp func(d *D) (version *int, changedAt *time.Time)
	// Meta is the CloudEvents subject and scope of the record's events.
	Meta func(u auth.User, d D) (subject, scope string)

	// Owns is the record's scope: whether it is the user's own (their post,
	// their commission), for a role whose reach is Own (auth.Permit). Nil:
	// no action on the record has a reach of Own.
	Owns func(u auth.User, d D) bool
	// Other is the refusal of a record that is not the user's ("error.other_post").
	Other string

	// Valid refuses a key that cannot name a record (an id that is no
	// UUID) as NotFound, before the store is asked; nil takes every key the
	// store's subjects take.
	Valid func(key string) bool
	// Now is the clock (a service's, which tests set).
	Now func() time.Time

	// IDs derive a record's id and its creation event's id from an
	// Idempotency-Key; see Create.
	IDs IDSpace
}

// IDSpace derives record ids from Idempotency-Keys: the id is the UUIDv5 in
// Namespace of the user and the key (and the kind's name, with WithName), the
// creation event's id that of the record id, so that a retry, on any copy of
// a service and after a restart, is the same event.
type IDSpace struct {
	Namespace uuid.UUID
	// WithName puts the kind's name in the id's seed, for namespaces that
	// several kinds share (exports: deals and barriers). Leads' ids were
	// derived before, without it, and keep their derivation.
	WithName bool
}

// Event builds the event of a change from the record's state after it: the
// rule says what happened, the helper gives the state its version and time.
type Event[E any] func(state E) events.Event

// Rule applies a command's domain rule to the record at time now. It returns
// the event that records the change, or a nil Event when nothing changed
// (nothing is stored and the record is answered as it is).
type Rule[E, D any] func(d *D, now time.Time) (Event[E], error)

// AnyVersion in place of a version skips the version check: for changes a
// user makes without having read the record (a new token, a new password).
const AnyVersion = -1

// ErrVersion is the conflict of a change made from a version that is not the record's.
func ErrVersion(read, current int) error {
	return apperr.E(apperr.Conflict, "error.version", read, current)
}

func (k *Kind[E, D]) version(d D) int {
	v, _ := k.Stamp(&d)
	return *v
}

func (k *Kind[E, D]) stamp() time.Time { return k.Now().UTC().Truncate(time.Millisecond) }

func (k *Kind[E, D]) valid(key string) error {
	if k.Valid != nil && !k.Valid(key) {
		return apperr.E(apperr.NotFound, "error.not_found", key)
	}
	return nil
}

// Permit refuses u action a on the record d (auth.Permit with the kind's
// scope): for lists and reads that do not go through Get.
func (k *Kind[E, D]) Permit(u auth.User, a auth.Action, d D) error {
	return auth.Permit(u, a, func(u auth.User) bool { return k.Owns != nil && k.Owns(u, d) }, k.Other)
}

// load reads the record at key for u, who must have action a on it.
func (k *Kind[E, D]) load(ctx context.Context, u auth.User, a auth.Action, key string) (eventstore.Record[E], D, error) {
	var zero D
	// A role without the action at all is refused before anything is read.
	if err := auth.Allow(u, a); err != nil {
		return eventstore.Record[E]{}, zero, err
	}
	if err := k.valid(key); err != nil {
		return eventstore.Record[E]{}, zero, err
	}
	rec, err := k.Store.Load(ctx, key)
	if err != nil {
		return eventstore.Record[E]{}, zero, err
	}
	d := k.FromEvent(rec.State)
	if err := k.Permit(u, a, d); err != nil {
		return eventstore.Record[E]{}, zero, err
	}
	return rec, d, nil
}

// Get returns the record at key, read from the log (always current), if u
// may take action a on it. Returns NotFound for a key no record has.
func (k *Kind[E, D]) Get(ctx context.Context, u auth.User, a auth.Action, key string) (D, error) {
	_, d, err := k.load(ctx, u, a, key)
	return d, err
}

// Change runs a command on the record at key for u: action a must reach it,
// version must be the record's (or AnyVersion), and rule decides. The
// event is appended only if the record is still at the version read, so of
// two concurrent changes one is stored and the other is a Conflict.
// Returns NotFound, Forbidden, Conflict or the rule's error; on an error
// nothing is stored.
func (k *Kind[E, D]) Change(ctx context.Context, u auth.User, a auth.Action, key string, version int, rule Rule[E, D]) (D, error) {
	var zero D
	rec, d, err := k.load(ctx, u, a, key)
	if err != nil {
		return zero, err
	}
	if cur := k.version(d); version != AnyVersion && version != cur {
		return zero, ErrVersion(version, cur)
	}
	now := k.stamp()
	emit, err := rule(&d, now)
	if err != nil {
		return zero, err
	}
	if emit == nil {
		return d, nil // nothing changed, nothing stored
	}
	v, at := k.Stamp(&d)
	*v, *at = *v+1, now
	ev := emit(k.ToEvent(d))
	env, err := k.envelope(u, "", d, ev, now)
	if err != nil {
		return zero, err
	}
	stored, err := k.Store.Append(ctx, key, rec.Seq, env, ev)
	if err != nil {
		return zero, err
	}
	k.put(stored)
	return k.FromEvent(stored.State), nil
}

// New is what Create needs besides the rule: the record's id, or the
// Idempotency-Key and input it derives from.
type New struct {
	// ID is the record's own id (a BIN, a commission id); empty: derived from
	// IdempotencyKey, or random without one.
	ID string
	// IdempotencyKey makes a retry of the request answer the record the
	// first one created instead of creating another; the same key with
	// another Input is KeyReused. Keys are the user's: another user's
	// equal key is another record.
	IdempotencyKey string
	// Input is what the request asked for, fingerprinted with the key
	// (eventstore.RequestSHA256): the decoded input, not the body's bytes.
	Input any
}

// KeyID is the id of the record that u's request with Idempotency-Key key
// creates (or created), "" without a key: for a check before Create that
// must not find the record a retry of the same request made.
func (k *Kind[E, D]) KeyID(u auth.User, key string) string {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > maxKey {
		return ""
	}
	id, _, _, _ := k.ids(u, New{IdempotencyKey: key})
	return id
}

// maxKey is the longest Idempotency-Key taken.
const maxKey = 200

// ids returns the record id, its creation event's id and the request's
// fingerprint (empty without a key).
func (k *Kind[E, D]) ids(u auth.User, n New) (id, eventID, request string, err error) {
	key := strings.TrimSpace(n.IdempotencyKey)
	if key == "" {
		if n.ID == "" {
			n.ID = uuid.NewString()
		}
		return n.ID, "", "", nil
	}
	if len(key) > maxKey {
		var f apperr.Fields
		f.Add("Idempotency-Key", "error.too_long", maxKey)
		return "", "", "", f.Err()
	}
	id = n.ID
	if id == "" {
		seed := u.ID + "\x00" + key
		if k.IDs.WithName {
			seed = k.Name + "\x00" + seed
		}
		id = uuid.NewSHA1(k.IDs.Namespace, []byte(seed)).String()
	}
	eventID = uuid.NewSHA1(k.IDs.Namespace, []byte("created\x00"+id)).String()
	request, err = eventstore.RequestSHA256(k.Name, n.Input)
	return id, eventID, request, err
}

// Create stores a new record for u, who must have action a on it. build
// checks the input and makes the record at time now, given its id; it
// returns the creation event. A retry with the same Idempotency-Key answers
// the stored record with replayed=true and stores nothing; the same key
// with another input is KeyReused; an id that exists already is Conflict.
func (k *Kind[E, D]) Create(ctx context.Context, u auth.User, a auth.Action, n New, build func(id string, now time.Time) (D, Event[E], error)) (rec D, replayed bool, err error) {
	var zero D
	if err := auth.Allow(u, a); err != nil {
		return zero, false, err
	}
	id, eventID, request, err := k.ids(u, n)
	if err != nil {
		return zero, false, err
	}
	now := k.stamp()
	d, emit, err := build(id, now)
	if err != nil {
		return zero, false, err
	}
	if err := k.Permit(u, a, d); err != nil {
		return zero, false, err
	}
	ev := emit(k.ToEvent(d))
	env, err := k.envelope(u, eventID, d, ev, now)
	if err != nil {
		return zero, false, err
	}
	stored, replayed, err := k.Store.CreateOnce(ctx, id, env, ev, request)
	if err != nil {
		return zero, false, err
	}
	k.put(stored)
	return k.FromEvent(stored.State), replayed, nil
}

func (k *Kind[E, D]) envelope(u auth.User, eventID string, d D, ev events.Event, now time.Time) (events.Envelope, error) {
	subject, scope := k.Meta(u, d)
	env, err := events.New(events.Meta{ID: eventID, Source: k.Source, Subject: subject, Actor: u.ID, Scope: scope, Time: now}, ev)
	if err != nil {
		return env, apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	return env, nil
}

func (k *Kind[E, D]) put(rec eventstore.Record[E]) {
	if k.View != nil {
		k.View.Put(rec)
	}
}

// Entry is what every entry of a record's history says: which event, of
// what type, by whom, when, and the version of the record it made.
type Entry struct {
	EventID, Type, Actor string
	Time                 time.Time
	Version              int
}

// History lists the events of the record at key, oldest first, as entry
// makes them of each event's Entry and the event, if u may take action a
// (a read) on the record.
func History[E, D, C any](ctx context.Context, k *Kind[E, D], u auth.User, a auth.Action, key string, entry func(Entry, events.Event) C) ([]C, error) {
	if _, err := k.Get(ctx, u, a, key); err != nil {
		return nil, err
	}
	recs, err := k.Store.History(ctx, key)
	if err != nil {
		return nil, err
	}
	out := make([]C, len(recs))
	for i, r := range recs {
		out[i] = entry(Entry{EventID: r.Envelope.ID, Type: r.Envelope.Type, Actor: r.Envelope.Actor, Time: r.Envelope.Time,
			Version: k.version(k.FromEvent(r.State))}, r.Event)
	}
	return out, nil
}

// CreateAll stores new records for u, who must have action a on each, all
// or none: one atomic batch (eventstore.Store.CreateAll; the kind's stream
// must allow atomic publish). ids are the records' ids, chosen by the
// caller (an import derives them from what each record says, so that the
// same file twice is the same records); build checks and makes record i at
// time now, given its id, and returns its creation event. Each creation
// event's id derives from its record's id, as with an Idempotency-Key, so
// a batch retried within JetStream's duplicate window is refused as a
// replay. Returns build's first error, Forbidden, or Conflict when any of
// the records exists already; on an error nothing is stored.
func (k *Kind[E, D]) CreateAll(ctx context.Context, u auth.User, a auth.Action, ids []string,
	build func(i int, id string, now time.Time) (D, Event[E], error)) ([]D, error) {
	if err := auth.Allow(u, a); err != nil {
		return nil, err
	}
	now := k.stamp()
	recs := make([]eventstore.NewRecord, len(ids))
	for i, id := range ids {
		d, emit, err := build(i, id, now)
		if err != nil {
			return nil, err
		}
		if err := k.Permit(u, a, d); err != nil {
			return nil, err
		}
		ev := emit(k.ToEvent(d))
		eventID := uuid.NewSHA1(k.IDs.Namespace, []byte("created\x00"+id)).String()
		env, err := k.envelope(u, eventID, d, ev, now)
		if err != nil {
			return nil, err
		}
		recs[i] = eventstore.NewRecord{ID: id, Envelope: env, Event: ev}
	}
	stored, err := k.Store.CreateAll(ctx, recs)
	if err != nil {
		return nil, err
	}
	out := make([]D, len(stored))
	for i, rec := range stored {
		k.put(rec)
		out[i] = k.FromEvent(rec.State)
	}
	return out, nil
}
