package eventstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"econdip/events"
	"econdip/services/platform/apperr"
)

// FromEvent is the record that env, built by events.New from ev and stored
// at seq, makes: built from the typed event in hand, without decoding the
// bytes just encoded. Record.Event is a pointer, as decoding gives it.
func (s *Store[T]) FromEvent(env events.Envelope, ev events.Event, seq uint64) (Record[T], error) {
	if err := checkEvent(env, ev); err != nil {
		return Record[T]{}, err
	}
	ev = asDecoded(ev)
	state, ok := s.state(ev)
	if !ok {
		return Record[T]{}, apperr.Wrap(apperr.Internal, fmt.Errorf("event %s carries no state", env.Type), "error.internal")
	}
	rec := Record[T]{ID: s.idOf(state), State: state, Seq: seq, Envelope: env, Event: ev}
	if VerifyInHand {
		if err := s.verify(rec); err != nil {
			return Record[T]{}, apperr.Wrap(apperr.Internal, err, "error.internal")
		}
	}
	return rec, nil
}

// checkEvent refuses an event that is not the one env carries, or that the
// events contract refuses (its Validate): decoding it back, as the store
// did before it built records from the event in hand, would have failed,
// and now it fails before anything is stored.
func checkEvent(env events.Envelope, ev events.Event) error {
	if ev == nil || ev.EventType() != env.Type {
		return apperr.Wrap(apperr.Internal, fmt.Errorf("envelope of %s stored with event %T", env.Type, ev), "error.internal")
	}
	if v, ok := ev.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return apperr.Wrap(apperr.Internal, fmt.Errorf("%w: %s data: %v", events.ErrDecode, env.Type, err), "error.internal")
		}
	}
	return nil
}

// asDecoded returns ev as events.DecodeData returns it: a pointer to the
// event struct (callers switch on *events.LeadUpdatedV1 and the like).
func asDecoded(ev events.Event) events.Event {
	v := reflect.ValueOf(ev)
	if v.Kind() == reflect.Pointer {
		return ev
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Interface().(events.Event)
}

// VerifyInHand makes every service's tests check the shortcut: under go
// test, each record built from the event in hand is compared with the one
// decoding its envelope gives, as JSON (decimals may differ in exponent and
// still be equal), and a difference fails the write. Benchmarks, which
// measure the production path, turn it off.
var VerifyInHand = testing.Testing()

func (s *Store[T]) verify(rec Record[T]) error {
	decoded, err := s.FromEnvelope(rec.Envelope, rec.Seq)
	if err != nil {
		return fmt.Errorf("record from the event in hand: decoding it back: %w", err)
	}
	if reflect.TypeOf(decoded.Event) != reflect.TypeOf(rec.Event) || decoded.ID != rec.ID {
		return fmt.Errorf("record from the event in hand: %T %q, decoded %T %q", rec.Event, rec.ID, decoded.Event, decoded.ID)
	}
	for _, pair := range [][2]any{{rec.State, decoded.State}, {rec.Event, decoded.Event}} {
		a, aerr := json.Marshal(pair[0])
		b, berr := json.Marshal(pair[1])
		if aerr != nil || berr != nil || !bytes.Equal(a, b) {
			return fmt.Errorf("record from the event in hand differs from its decoding:\n in hand %s\n decoded %s", a, b)
		}
	}
	return nil
}
