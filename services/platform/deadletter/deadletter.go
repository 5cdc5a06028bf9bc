// Package deadletter keeps the messages a consumer cannot handle (poison
// messages) on the DEADLETTER stream, as Watermill's poison middleware
// does: Publish sets a message aside with where it came from and why,
// List and Get read the dead letters back, and Redrive sends them to their
// original subject once their cause is fixed.
//
// A dead letter is the original message, byte for byte, on the subject
// econdip.deadletter.<stream>, with the reason and its origin in headers.
package deadletter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/obs"
)

// Headers of a dead letter: where the message came from and why it was set aside.
const (
	HeaderReason  = "Econdip-Dlq-Reason"
	HeaderStream  = "Econdip-Dlq-Stream"
	HeaderSubject = "Econdip-Dlq-Subject"
	HeaderSeq     = "Econdip-Dlq-Seq"
)

// HeaderRedriveOf names the dead letter (stream:seq of the original) that a
// redriven message is a copy of.
const HeaderRedriveOf = "Econdip-Redrive-Of"

// maxReason bounds the reason header; the rest of a long reason is cut.
const maxReason = 1000

// Subject is the subject of the dead letters of stream.
func Subject(stream string) string { return events.DeadLetterPrefix + stream }

// Publish stores m, delivered from stream, on the dead-letter stream with
// reason, under a message id made of stream and sequence, so a repeat (a
// redelivery of the same message) is a no-op. It returns the original's
// stream sequence as the header holds it ("unknown" without metadata).
func Publish(ctx context.Context, js jetstream.JetStream, stream string, m jetstream.Msg, reason string) (string, error) {
	seq := "unknown"
	if meta, err := m.Metadata(); err == nil {
		seq = strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	dl := nats.NewMsg(Subject(stream))
	dl.Data = m.Data()
	dl.Header.Set(HeaderReason, truncate(reason, maxReason))
	dl.Header.Set(HeaderStream, stream)
	dl.Header.Set(HeaderSubject, m.Subject())
	dl.Header.Set(HeaderSeq, seq)
	if _, err := js.PublishMsg(ctx, dl, jetstream.WithMsgID("dlq-"+stream+"-"+seq)); err != nil {
		return seq, fmt.Errorf("dead-letter message %s of %s: %w", seq, stream, err)
	}
	obs.EventsDeadLettered.WithLabelValues(stream, "decode").Inc()
	return seq, nil
}

// Letter is one message on the DEADLETTER stream.
type Letter struct {
	Seq     uint64    // on DEADLETTER
	Time    time.Time // when it was dead-lettered
	Stream  string    // the stream it came from
	Subject string    // its original subject
	OrigSeq uint64    // its sequence on Stream
	Reason  string
	Data    []byte // the message as it was
}

// String names the letter and its origin, as the redrive reports it.
func (l Letter) String() string {
	return fmt.Sprintf("dead letter %d (%s seq %d, %s)", l.Seq, l.Stream, l.OrigSeq, l.Subject)
}

func letter(seq uint64, at time.Time, h nats.Header, data []byte) Letter {
	orig, _ := strconv.ParseUint(h.Get(HeaderSeq), 10, 64)
	return Letter{Seq: seq, Time: at, Stream: h.Get(HeaderStream), Subject: h.Get(HeaderSubject),
		OrigSeq: orig, Reason: h.Get(HeaderReason), Data: data}
}

// Get reads the dead letter at seq; ok is false when there is none.
func Get(ctx context.Context, js jetstream.JetStream, seq uint64) (l Letter, ok bool, err error) {
	st, err := js.Stream(ctx, events.StreamDeadLetter)
	if err != nil {
		return l, false, fmt.Errorf("stream %s: %w", events.StreamDeadLetter, err)
	}
	m, err := st.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("dead letter %d: %w", seq, err)
	}
	return letter(m.Sequence, m.Time, m.Header, m.Data), true, nil
}

// List reads every dead letter, oldest first.
func List(ctx context.Context, js jetstream.JetStream) ([]Letter, error) {
	st, err := js.Stream(ctx, events.StreamDeadLetter)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", events.StreamDeadLetter, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	if info.State.Msgs == 0 {
		return nil, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	var out []Letter
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			return nil, fmt.Errorf("read %s after %d messages: %w", events.StreamDeadLetter, len(out), err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return nil, err
		}
		out = append(out, letter(meta.Sequence.Stream, meta.Timestamp, m.Headers(), m.Data()))
		if meta.NumPending == 0 {
			return out, nil
		}
	}
}

// Check reports whether this version can handle a message of stream with
// data: nil, or the reason it would be dead-lettered again. Ingest's is
// ingest.Projectable.
type Check func(stream string, data []byte) error

// Outcome is what a redrive did with one dead letter.
type Outcome int

const (
	// Redriven: sent to its subject and removed from DEADLETTER.
	Redriven Outcome = iota
	// WouldRedrive: a dry run found nothing against sending it.
	WouldRedrive
	// Left: refused (Result.Err says why); it stays on DEADLETTER.
	Left
	// NotRemoved: sent, but removing it from DEADLETTER failed (Result.Err);
	// a second redrive recognises the copy and removes it.
	NotRemoved
)

// Result is the outcome of the redrive of one letter.
type Result struct {
	Letter  Letter
	Outcome Outcome
	NewSeq  uint64 // its sequence on its stream once sent
	Err     error  // why it was left, or why it could not be removed
}

// Redrive sends each letter back to its original subject and removes it
// from DEADLETTER; with dry, it only checks. It refuses, leaving the letter
// in place, when check says this version still cannot handle the message,
// or when a later event is on the subject: the last event of a subject is
// the record's current state for the services, so appending an older one
// would turn the record back. The error is for the redrive as a whole
// (DEADLETTER cannot be reached); each letter's is in its Result.
func Redrive(ctx context.Context, js jetstream.JetStream, letters []Letter, check Check, dry bool) ([]Result, error) {
	if len(letters) == 0 {
		return nil, nil
	}
	dls, err := js.Stream(ctx, events.StreamDeadLetter)
	if err != nil {
		return nil, err
	}
	out := make([]Result, 0, len(letters))
	for _, l := range letters {
		newSeq, err := redriveOne(ctx, js, l, check, dry)
		r := Result{Letter: l, NewSeq: newSeq}
		switch {
		case err != nil:
			r.Outcome, r.Err = Left, err
		case dry:
			r.Outcome = WouldRedrive
		default:
			if err := dls.DeleteMsg(ctx, l.Seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				r.Outcome, r.Err = NotRemoved, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// redriveOne publishes one dead letter to its original subject and returns
// its new stream sequence. A redrive that was sent before (its removal from
// DEADLETTER failed) is recognised and not sent twice.
func redriveOne(ctx context.Context, js jetstream.JetStream, l Letter, check Check, dry bool) (uint64, error) {
	if l.Stream == "" || l.Subject == "" || l.OrigSeq == 0 {
		return 0, errors.New("the dead letter lacks its origin headers")
	}
	if err := check(l.Stream, l.Data); err != nil {
		return 0, fmt.Errorf("this version still cannot project it: %w", err)
	}
	src, err := js.Stream(ctx, l.Stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", l.Stream, err)
	}
	ref := l.Stream + ":" + strconv.FormatUint(l.OrigSeq, 10)
	expect := l.OrigSeq
	last, err := src.GetLastMsgForSubject(ctx, l.Subject)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		expect = 0 // the original was removed from the stream
	case err != nil:
		return 0, fmt.Errorf("last message on %s: %w", l.Subject, err)
	case last.Header.Get(HeaderRedriveOf) == ref:
		return last.Sequence, nil // sent already
	case last.Sequence != l.OrigSeq:
		return 0, fmt.Errorf("a later event (%s seq %d) is on %s: sending this one again would make an older state the record's "+
			"current one; the figures hold the later state, and `econdip rebuild` projects this one with this version", l.Stream, last.Sequence, l.Subject)
	}
	if dry {
		return 0, nil
	}
	msg := nats.NewMsg(l.Subject)
	msg.Data = l.Data
	if env, err := events.DecodeEnvelope(msg.Data); err == nil {
		msg.Header.Set(events.HeaderType, env.Type)
		msg.Header.Set(events.HeaderSource, env.Source)
	}
	msg.Header.Set(HeaderRedriveOf, ref)
	// Not the event id: the original, with that id, is still in the
	// stream's duplicate window for two minutes and would swallow the copy.
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID("redrive-"+ref), jetstream.WithExpectLastSequencePerSubject(expect))
	if err != nil {
		return 0, fmt.Errorf("publish to %s: %w", l.Subject, err)
	}
	return ack.Sequence, nil
}

// truncate cuts s to n bytes and marks the cut with an ellipsis.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
