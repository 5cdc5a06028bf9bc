// Package eventstore keeps records whose current state is the last event on
// their JetStream subject. Every event carries the full state of its record,
// so reading a record is one "last message for subject" call, and an update is
// one publish that JetStream accepts only if the subject's last sequence is
// still the one the writer read: the log is the only store, and concurrent
// writers cannot overwrite each other.
package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/apperr"
	"econdip/services/platform/obs"
)

// Record is one stored event with the state it carries.
type Record[T any] struct {
	ID       string // the record id (idOf of its state)
	State    T
	Seq      uint64 // stream sequence: the version token for the next append
	Envelope events.Envelope
	Event    events.Event
	// RequestSHA256 is the fingerprint of the request that stored the event
	// (events.HeaderRequestSHA256); set by Load and First, empty on events
	// stored without one.
	RequestSHA256 string
}

// Store reads and appends the events of one kind of record.
type Store[T any] struct {
	js      jetstream.JetStream
	stream  string
	subject func(key string) (string, error)
	state   func(events.Event) (T, bool)
	idOf    func(T) string
}

// New returns a store for records on stream. A record's events are on
// subject(key); state extracts its state from one of them, and idOf names the
// record in views and Record.ID. The key is usually the id; where the subject
// needs more (a decision's commission), the caller's key carries it.
// subject is one of the events package's builders: it refuses an id that is
// not a subject token, and the store then answers NotFound without a
// JetStream call (an id with '*' or '>' would otherwise match other records).
func New[T any](js jetstream.JetStream, stream string, subject func(key string) (string, error), state func(events.Event) (T, bool), idOf func(T) string) *Store[T] {
	return &Store[T]{js: js, stream: stream, subject: subject, state: state, idOf: idOf}
}

// subjectOf is the subject of a record; an id no record can have is NotFound.
func (s *Store[T]) subjectOf(id string) (string, error) {
	subject, err := s.subject(id)
	if err != nil {
		return "", apperr.Wrap(apperr.NotFound, err, "error.id_invalid", id)
	}
	return subject, nil
}

// Load returns the current state of a record. Returns NotFound if it has no
// event, or if id cannot be a record's id.
func (s *Store[T]) Load(ctx context.Context, id string) (Record[T], error) {
	subject, err := s.subjectOf(id)
	if err != nil {
		return Record[T]{}, err
	}
	st, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return Record[T]{}, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	msg, err := st.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Record[T]{}, apperr.E(apperr.NotFound, "error.not_found", id)
	}
	if err != nil {
		return Record[T]{}, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	return s.decodeMsg(msg)
}

// First returns the first event of a record (its creation).
func (s *Store[T]) First(ctx context.Context, id string) (Record[T], error) {
	subject, err := s.subjectOf(id)
	if err != nil {
		return Record[T]{}, err
	}
	st, err := s.js.Stream(ctx, s.stream)
	if err != nil {
		return Record[T]{}, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	msg, err := st.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(subject))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Record[T]{}, apperr.E(apperr.NotFound, "error.not_found", id)
	}
	if err != nil {
		return Record[T]{}, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	return s.decodeMsg(msg)
}

func (s *Store[T]) decodeMsg(msg *jetstream.RawStreamMsg) (Record[T], error) {
	rec, err := s.decode(msg.Data, msg.Sequence)
	rec.RequestSHA256 = msg.Header.Get(events.HeaderRequestSHA256)
	return rec, err
}

func (s *Store[T]) decode(data []byte, seq uint64) (Record[T], error) {
	env, ev, err := events.Decode(data)
	if err != nil {
		return Record[T]{}, apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	state, ok := s.state(ev)
	if !ok {
		return Record[T]{}, apperr.Wrap(apperr.Internal, fmt.Errorf("event %s at seq %d carries no state", env.Type, seq), "error.internal")
	}
	return Record[T]{ID: s.idOf(state), State: state, Seq: seq, Envelope: env, Event: ev}, nil
}

// Create appends the first event of a record: env, which events.New built
// from ev. If the record exists already and was created by this very event
// (a retry with the same id), the stored record is returned with
// replayed=true; any other existing record is a Conflict.
func (s *Store[T]) Create(ctx context.Context, id string, env events.Envelope, ev events.Event) (rec Record[T], replayed bool, err error) {
	return s.CreateOnce(ctx, id, env, ev, "")
}

// CreateOnce is Create for a record whose id and first event id derive from
// an Idempotency-Key; request is the fingerprint of the request
// (RequestSHA256), stored with the event. A retry (the same event id) whose
// request differs from the stored one is refused with KeyReused and stores
// nothing: the key was used for another request. A first event stored
// without a fingerprint predates the check and matches any request.
func (s *Store[T]) CreateOnce(ctx context.Context, id string, env events.Envelope, ev events.Event, request string) (rec Record[T], replayed bool, err error) {
	subject, err := s.subject(id)
	if err != nil {
		return Record[T]{}, false, apperr.Wrap(apperr.Invalid, err, "error.id_invalid", id)
	}
	if err := checkEvent(env, ev); err != nil {
		return Record[T]{}, false, err
	}
	none := uint64(0)
	ack, err := events.Publish(ctx, s.js, subject, env, events.PublishOptions{ExpectLastSubjectSeq: &none, RequestSHA256: request})
	// A duplicate (the event id within the stream's duplicate window) stored
	// nothing either: answer, like a refused retry, with the stored record.
	if errors.Is(err, events.ErrWrongLastSequence) || (err == nil && ack.Duplicate) {
		first, ferr := s.First(ctx, id)
		if ferr != nil {
			return Record[T]{}, false, ferr
		}
		if first.Envelope.ID != env.ID {
			return Record[T]{}, false, apperr.E(apperr.Conflict, "error.exists", id)
		}
		if !SameRequest(first.RequestSHA256, request) {
			return Record[T]{}, false, apperr.E(apperr.KeyReused, "error.idempotency_reused")
		}
		return first, true, nil
	}
	if err != nil {
		return Record[T]{}, false, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	obs.EventsPublished.WithLabelValues(env.Type).Inc()
	rec, err = s.FromEvent(env, ev, ack.Sequence)
	rec.RequestSHA256 = request
	return rec, false, err
}

// SameRequest reports whether a request with fingerprint request is the one
// whose fingerprint stored is; an event stored without one (before the check
// existed, or without an Idempotency-Key) matches any request.
func SameRequest(stored, request string) bool {
	return stored == "" || stored == request
}

// RequestSHA256 is the fingerprint of a request: the SHA-256 (hex) of its
// decoded input re-encoded as JSON, with kind naming what it creates. It is
// computed from the domain input, not the body's bytes, so the JSON API, the
// CSV import and the dashboard's forms (which call the API) fingerprint the
// same record alike, whatever the spacing or key order of the body.
func RequestSHA256(kind string, input any) (string, error) {
	raw, err := json.Marshal(input)
	if err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	sum := sha256.Sum256(append([]byte(kind+"\x00"), raw...))
	return hex.EncodeToString(sum[:]), nil
}

// Append stores the next event of a record (env, which events.New built from
// ev), provided the record's last event is still at sequence after (the
// version the writer read). Returns Conflict when another event got there
// first; a retry of the same event succeeds.
func (s *Store[T]) Append(ctx context.Context, id string, after uint64, env events.Envelope, ev events.Event) (Record[T], error) {
	subject, err := s.subjectOf(id)
	if err != nil {
		return Record[T]{}, err
	}
	if err := checkEvent(env, ev); err != nil {
		return Record[T]{}, err
	}
	ack, err := events.Publish(ctx, s.js, subject, env, events.PublishOptions{ExpectLastSubjectSeq: &after})
	if errors.Is(err, events.ErrWrongLastSequence) {
		last, lerr := s.Load(ctx, id)
		if lerr == nil && last.Envelope.ID == env.ID {
			return last, nil
		}
		return Record[T]{}, apperr.E(apperr.Conflict, "error.conflict")
	}
	if err != nil {
		return Record[T]{}, apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	obs.EventsPublished.WithLabelValues(env.Type).Inc()
	return s.FromEvent(env, ev, ack.Sequence)
}

// FromEnvelope is the record an event stored at seq makes, decoded from its
// envelope, for callers that publish themselves (atomic batches) and no
// longer hold the typed event; FromEvent is cheaper.
func (s *Store[T]) FromEnvelope(env events.Envelope, seq uint64) (Record[T], error) {
	ev, err := events.DecodeData(env)
	if err != nil {
		return Record[T]{}, apperr.Wrap(apperr.Internal, err, "error.internal")
	}
	state, ok := s.state(ev)
	if !ok {
		return Record[T]{}, apperr.Wrap(apperr.Internal, fmt.Errorf("event %s carries no state", env.Type), "error.internal")
	}
	return Record[T]{ID: s.idOf(state), State: state, Seq: seq, Envelope: env, Event: ev}, nil
}

// History returns every event of a record, oldest first.
func (s *Store[T]) History(ctx context.Context, id string) ([]Record[T], error) {
	subject, err := s.subjectOf(id)
	if err != nil {
		return nil, err
	}
	var out []Record[T]
	err = s.replay(ctx, subject, func(r Record[T]) { out = append(out, r) })
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.E(apperr.NotFound, "error.not_found", id)
	}
	return out, nil
}

// replay delivers every event on filter that exists now, in order, then returns.
func (s *Store[T]) replay(ctx context.Context, filter string, fn func(Record[T])) error {
	cons, err := s.js.OrderedConsumer(ctx, s.stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
	}
	pending := cons.CachedInfo().NumPending
	for pending > 0 {
		batch, err := cons.Fetch(int(min(pending, 500)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			meta, err := msg.Metadata()
			if err != nil {
				return apperr.Wrap(apperr.Internal, err, "error.internal")
			}
			rec, err := s.decode(msg.Data(), meta.Sequence.Stream)
			if err != nil {
				return err
			}
			fn(rec)
			pending = meta.NumPending
		}
		if err := batch.Error(); err != nil {
			return apperr.Wrap(apperr.Unavailable, err, "error.store_unavailable")
		}
		if n == 0 {
			break
		}
	}
	return nil
}
