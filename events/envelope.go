// Package events is econdip's public event contract: one CloudEvents 1.0
// envelope for every event, a typed struct and a JSON Schema per event type and
// version, the streams and subjects they travel on, and the helpers that
// publish them with the event id as the JetStream message id.
//
// Rules of the contract: a type name ends in its version (".v1"); a new
// version gets a new struct and schema and the old ones stay decodable; the
// durable consumer names below are part of the contract too, since renaming
// one replays its stream from the start.
package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SpecVersion is the CloudEvents version of the envelope.
const SpecVersion = "1.0"

// Envelope is the CloudEvents 1.0 structured-mode JSON of every event, with
// econdip's extension attributes actor and scope.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	DataSchema      string          `json:"dataschema"`
	Actor           string          `json:"actor"` // user id of whoever made the change
	Scope           string          `json:"scope"` // the writer's scope, e.g. post:de-berlin
	Data            json.RawMessage `json:"data"`
}

// Meta is what a producer says about an event besides its data.
type Meta struct {
	ID      string    // empty: a new random UUID; set it to make a retry land on the same id
	Source  string    // the producing service, e.g. "econdip/leads"
	Subject string    // the record, e.g. "lead/7c9e..."
	Actor   string    // user id
	Scope   string    // e.g. "post:de-berlin"
	Time    time.Time // zero: now
}

// New wraps data (a registered event struct) in an envelope.
func New(meta Meta, data Event) (Envelope, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", data.EventType(), err)
	}
	if meta.ID == "" {
		meta.ID = uuid.NewString()
	}
	if meta.Time.IsZero() {
		meta.Time = time.Now()
	}
	t := data.EventType()
	return Envelope{
		SpecVersion:     SpecVersion,
		ID:              meta.ID,
		Source:          meta.Source,
		Type:            t,
		Subject:         meta.Subject,
		Time:            meta.Time.UTC().Truncate(time.Millisecond),
		DataContentType: "application/json",
		DataSchema:      SchemaURI(t),
		Actor:           meta.Actor,
		Scope:           meta.Scope,
		Data:            raw,
	}, nil
}

// Event is implemented by every event data struct.
type Event interface {
	EventType() string
}

// SchemaURI is the dataschema of an event type; the schema file is events/schemas/<type>.json.
func SchemaURI(eventType string) string { return "urn:econdip:schema:" + eventType }

// ErrDecode marks input that is not a valid event; consumers dead-letter it.
var ErrDecode = errors.New("not a valid econdip event")

var typePattern = regexp.MustCompile(`^econdip\.[a-z_]+(\.[a-z_]+)+\.v[0-9]+$`)

// DecodeEnvelope parses and checks an envelope (not its data).
func DecodeEnvelope(raw []byte) (Envelope, error) {
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("%w: envelope: %v", ErrDecode, err)
	}
	if dec.More() {
		return e, fmt.Errorf("%w: envelope: trailing data after the JSON object", ErrDecode)
	}
	return e, checkEnvelope(e)
}

// checkEnvelope checks what a consumer relies on in a parsed envelope.
func checkEnvelope(e Envelope) error {
	var missing []string
	for _, f := range [...]struct{ name, v string }{ // in the order of the names
		{"actor", e.Actor}, {"id", e.ID}, {"scope", e.Scope}, {"source", e.Source}, {"subject", e.Subject}, {"type", e.Type},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: envelope: missing %s", ErrDecode, strings.Join(missing, ", "))
	}
	if e.SpecVersion != SpecVersion {
		return fmt.Errorf("%w: envelope: specversion %q, want %q", ErrDecode, e.SpecVersion, SpecVersion)
	}
	if _, err := uuid.Parse(e.ID); err != nil {
		return fmt.Errorf("%w: envelope: id %q is not a UUID", ErrDecode, e.ID)
	}
	if _, known := registry[e.Type]; !known && !typePattern.MatchString(e.Type) { // every registered type matches
		return fmt.Errorf("%w: envelope: type %q is not econdip.<record>.<action>.v<N>", ErrDecode, e.Type)
	}
	if e.Time.IsZero() {
		return fmt.Errorf("%w: envelope: missing time", ErrDecode)
	}
	if len(e.Data) == 0 || string(e.Data) == "null" {
		return fmt.Errorf("%w: envelope: missing data", ErrDecode)
	}
	return nil
}

// Decode parses an envelope and its data into the registered struct for its
// type. Envelope.Data is a copy: raw may be reused afterwards.
func Decode(raw []byte) (Envelope, Event, error) {
	if env, ev, ok := decodeOnce(raw); ok {
		env.Data = bytes.Clone(env.Data)
		return env, ev, nil
	}
	return decodeV1(raw)
}

// decodeV1 decodes with encoding/json: the answer for every input
// decodeOnce declines, and the error of every input that is not an event.
func decodeV1(raw []byte) (Envelope, Event, error) {
	env, err := DecodeEnvelope(raw)
	if err != nil {
		return env, nil, err
	}
	ev, err := DecodeData(env)
	return env, ev, err
}

// DecodeData decodes the data of an envelope into the struct registered for its type.
func DecodeData(env Envelope) (Event, error) {
	newEvent, ok := registry[env.Type]
	if !ok {
		return nil, fmt.Errorf("%w: unknown event type %q", ErrDecode, env.Type)
	}
	ev := newEvent()
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ev); err != nil {
		return nil, fmt.Errorf("%w: %s data: %v", ErrDecode, env.Type, err)
	}
	if err := validate(ev); err != nil {
		return nil, fmt.Errorf("%w: %s data: %v", ErrDecode, env.Type, err)
	}
	return ev, nil
}

// validate runs the event's own checks, if it has any.
func validate(ev Event) error {
	if v, ok := ev.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// registry maps each event type to a constructor of its data struct.
var registry = map[string]func() Event{}

func register(newEvent func() Event) {
	t := newEvent().EventType()
	if _, dup := registry[t]; dup {
		panic("events: type registered twice: " + t)
	}
	registry[t] = newEvent
}

// Types lists every registered event type.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	return sortStrings(out)
}

func sortStrings(s []string) []string { slices.Sort(s); return s }
