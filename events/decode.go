package events

// One pass over an event. encoding/json's Decoder goes over the data part of
// an event four times: it scans the envelope to find its end, decodes it
// (scanning data again to copy it into a json.RawMessage), then scans and
// decodes that copy. decodeOnce reads the envelope and decodes its data into
// the registered struct as it meets it, with github.com/go-json-experiment/json
// (the proposed encoding/json/v2) in its v1-compatible mode plus the rejection
// of unknown fields, so it accepts what the v1 decoder accepts, into the same
// values. Envelope.Data is the data's bytes within the input, not a copy.
//
// It only takes the fast way for events it can accept: anything it refuses
// (malformed, unknown fields, a type registered nowhere, an event whose
// data comes before its type) is decoded again by the v1 decoder, whose
// answer stands, with its error messages unchanged.

import (
	"bytes"
	"time"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// decodeOptions are v1's semantics (case-insensitive names, duplicate names,
// invalid UTF-8 replaced, v1's time and number rules) with unknown fields
// refused, as the v1 Decoder with DisallowUnknownFields does. Not v1's
// errors: those need a pass over the input before decoding it, and an
// input decodeOnce refuses gets its error from the v1 decoder anyway.
var decodeOptions = json.JoinOptions(jsonv1.DefaultOptionsV1(), json.RejectUnknownMembers(true),
	jsonv1.ReportErrorsWithLegacySemantics(false))

// wireEnvelope is Envelope as decodeOnce reads it.
type wireEnvelope struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	DataSchema      string    `json:"dataschema"`
	Actor           string    `json:"actor"`
	Scope           string    `json:"scope"`
	Data            dataField `json:"data"`
}

// dataField decodes the data of the envelope it belongs to into the struct
// registered for the envelope's type, read before it.
type dataField struct {
	env *wireEnvelope
	in  []byte // the whole input, which InputOffset counts in
	raw []byte // the data's bytes within in
	ev  Event  // nil: the type was not known when data came
}

func (d *dataField) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	start := dec.InputOffset()
	if newEvent, ok := registry[d.env.Type]; ok && dec.PeekKind() == '{' {
		ev := newEvent()
		if err := json.UnmarshalDecode(dec, ev); err != nil {
			return err
		}
		d.ev = ev
	} else if err := dec.SkipValue(); err != nil {
		return err
	}
	// From after the name to after the value: drop the colon and spaces.
	d.raw = bytes.TrimLeft(d.in[start:dec.InputOffset()], " \t\r\n:")
	return nil
}

// decodeOnce is Decode's fast way; ok is false when the caller must decode
// raw with the v1 decoder instead, for its answer or its error.
func decodeOnce(raw []byte) (env Envelope, ev Event, ok bool) {
	var w wireEnvelope
	w.Data = dataField{env: &w, in: raw}
	if err := json.Unmarshal(raw, &w, decodeOptions); err != nil || w.Data.ev == nil {
		return env, nil, false
	}
	env = Envelope{SpecVersion: w.SpecVersion, ID: w.ID, Source: w.Source, Type: w.Type, Subject: w.Subject, Time: w.Time,
		DataContentType: w.DataContentType, DataSchema: w.DataSchema, Actor: w.Actor, Scope: w.Scope, Data: w.Data.raw}
	if checkEnvelope(env) != nil || validate(w.Data.ev) != nil {
		return env, nil, false
	}
	return env, w.Data.ev, true
}

// DecodeInPlace is Decode for a caller that owns raw and leaves it as it is
// while it uses the result: Envelope.Data is then raw's bytes, not a copy.
// Ingest decodes each message once and stores its data as it came.
func DecodeInPlace(raw []byte) (Envelope, Event, error) {
	if env, ev, ok := decodeOnce(raw); ok {
		return env, ev, nil
	}
	return decodeV1(raw)
}
