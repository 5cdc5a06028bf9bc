package events

// Internals for the tests of package events_test.

// DecodeV1 is Decode without its fast way: the v1 decoder whose answers
// decodeOnce must give.
func DecodeV1(raw []byte) (Envelope, Event, error) {
	env, err := DecodeEnvelope(raw)
	if err != nil {
		return env, nil, err
	}
	ev, err := DecodeData(env)
	return env, ev, err
}

// DecodesOnce reports whether Decode takes its fast way for raw.
func DecodesOnce(raw []byte) bool {
	_, _, ok := decodeOnce(raw)
	return ok
}

// TypePattern is what an event type must look like.
var TypePattern = typePattern
