package faultkit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
)

// Ack is one event JetStream acknowledged: the event id and where the
// stream stored it.
type Ack struct {
	ID     uuid.UUID
	Stream string
	Seq    uint64
}

// Publisher sends events with events.PublishAsync, at most window in
// flight, and keeps every acknowledgement. An event whose publish failed or
// went unanswered (NATS down, its stream's leader gone) is sent again, same
// envelope and so the same message id, until JetStream acknowledges it:
// that is what a producer does. A publisher made by NewPublisherUntil gives
// an event up once its give-up time has passed instead, so that a stream
// that stays unavailable ends the load instead of hanging it.
type Publisher struct {
	js      jetstream.JetStream
	giveUp  time.Time // zero: never
	pending chan inflight
	done    chan struct{}

	mu        sync.Mutex
	acks      []Ack
	lastErr   error
	retries   atomic.Int64
	dups      atomic.Int64
	published atomic.Int64
	abandoned atomic.Int64
}

type inflight struct {
	subject string
	env     events.Envelope
	fut     jetstream.PubAckFuture
}

// NewPublisher returns a publisher that sends every event again until
// JetStream acknowledges it.
func NewPublisher(js jetstream.JetStream, window int) *Publisher {
	return NewPublisherUntil(js, window, time.Time{})
}

// NewPublisherUntil returns a publisher that sends every event again until
// JetStream acknowledges it or giveUp has passed; then it counts the event
// as abandoned (Abandoned, Err). A zero giveUp is never.
func NewPublisherUntil(js jetstream.JetStream, window int, giveUp time.Time) *Publisher {
	p := &Publisher{js: js, giveUp: giveUp, pending: make(chan inflight, window), done: make(chan struct{})}
	go p.collect()
	return p
}

// Publish sends one event; it blocks while window events await their ack.
func (p *Publisher) Publish(subject string, env events.Envelope) {
	f, err := events.PublishAsync(p.js, subject, env)
	if err != nil {
		f = nil // the collector sends it again
	}
	p.pending <- inflight{subject: subject, env: env, fut: f}
}

// Close waits until every event sent is acknowledged (or abandoned).
func (p *Publisher) Close() {
	close(p.pending)
	<-p.done
}

func (p *Publisher) gaveUp() bool {
	return !p.giveUp.IsZero() && time.Now().After(p.giveUp)
}

func (p *Publisher) collect() {
	defer close(p.done)
	for in := range p.pending {
		for attempt := 0; ; attempt++ {
			wait := 10 * time.Second
			if p.gaveUp() {
				wait = 0 // take an answer already there, wait for none
			}
			var pa *jetstream.PubAck
			var err error
			if in.fut == nil {
				err = errors.New("not sent")
			} else {
				select {
				case pa = <-in.fut.Ok():
				case err = <-in.fut.Err():
				case <-time.After(wait):
					err = fmt.Errorf("no acknowledgement within %s", wait)
				}
			}
			if err == nil {
				if pa.Duplicate {
					p.dups.Add(1)
				}
				p.mu.Lock()
				p.acks = append(p.acks, Ack{ID: uuid.MustParse(in.env.ID), Stream: pa.Stream, Seq: pa.Sequence})
				p.mu.Unlock()
				p.published.Add(1)
				break
			}
			if p.gaveUp() {
				p.abandoned.Add(1)
				p.mu.Lock()
				p.lastErr = fmt.Errorf("%s: %w", in.subject, err)
				p.mu.Unlock()
				break
			}
			p.retries.Add(1)
			if attempt > 0 { // NATS or the stream's leader is not back yet: wait a little before the next try
				time.Sleep(min(time.Duration(attempt)*50*time.Millisecond, time.Second))
			}
			in.fut, _ = events.PublishAsync(p.js, in.subject, in.env)
		}
	}
}

// Acked returns a copy of the acknowledgements so far.
func (p *Publisher) Acked() []Ack {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.acks)
}

// Published is the number of events acknowledged so far.
func (p *Publisher) Published() int64 { return p.published.Load() }

// Retries is the number of publishes sent again.
func (p *Publisher) Retries() int64 { return p.retries.Load() }

// Duplicates is the number of acks that said Duplicate: a publish sent
// again of an event JetStream had stored before (its first ack lost).
func (p *Publisher) Duplicates() int64 { return p.dups.Load() }

// Abandoned is the number of events given up, never acknowledged.
func (p *Publisher) Abandoned() int64 { return p.abandoned.Load() }

// Err is the last error of an abandoned event; nil when none was.
func (p *Publisher) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// RunLoad publishes n events of g through p at about perSecond (0: as fast
// as the acknowledgements allow), so that a load spans a fault injected in
// its middle. It stops early when ctx ends and returns how many it sent.
func RunLoad(ctx context.Context, g *Generator, p *Publisher, n, perSecond int) int {
	start := time.Now()
	for i := range n {
		if i%100 == 0 {
			if ctx.Err() != nil {
				return i
			}
			if perSecond > 0 {
				if ahead := time.Duration(i)*time.Second/time.Duration(perSecond) - time.Since(start); ahead > 0 {
					time.Sleep(ahead)
				}
			}
		}
		p.Publish(g.Next())
	}
	return n
}
