package events

// Internals for the tests of package events_test.

// DecodeV1 is Decode without its fast way: the v1 decoder whose answers
// decodeOnce must give.
var DecodeV1 = decodeV1

// DecodesOnce reports whether Decode takes its fast way for raw.
func DecodesOnce(raw []byte) bool {
	_, _, ok := decodeOnce(raw)
	return ok
}

// TypePattern is what an event type must look like.
var TypePattern = typePattern
