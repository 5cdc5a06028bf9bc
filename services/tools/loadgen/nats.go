package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shopspring/decimal"

	"econdip/events"
	"econdip/services/platform/httpx"
)

// NATSDriver writes stories straight to JetStream through the publish path
// the services use: each event in its envelope, published with its id as
// the message id and the subject's last sequence as the concurrency check
// (a protocol as one atomic batch). It skips HTTP, authentication and the
// services' validation; the events are the ones the services would store
// for the same writes (the same types, subjects, sources, actors and scopes).
//
// Record and event ids derive from the seed, so a rerun of a seed stores
// nothing new: its creations find their subject taken and the story is skipped.
type NATSDriver struct {
	JS        jetstream.JetStream
	exporters map[string]string // BIN → name
}

// NewNATSDriver returns a driver publishing on js.
func NewNATSDriver(js jetstream.JetStream) *NATSDriver { return &NATSDriver{JS: js} }

// idNamespace makes a load's ids (UUID v5 of its keys).
var idNamespace = uuid.MustParse("5b0c6f43-8a77-4d0f-9a4e-3f1d2c7b9e10")

func loadID(parts ...string) string {
	return uuid.NewSHA1(idNamespace, []byte(strings.Join(parts, "\x00"))).String()
}

var zero = uint64(0)

// publish stores one event; a creation that finds its subject taken, or an
// event stored before (same id), is ErrSkip.
func (d *NATSDriver) publish(ctx context.Context, subject string, env events.Envelope, last uint64) (uint64, error) {
	ack, err := events.Publish(ctx, d.JS, subject, env, events.PublishOptions{ExpectLastSubjectSeq: &last})
	switch {
	case errors.Is(err, events.ErrWrongLastSequence):
		return 0, ErrSkip
	case err != nil:
		return 0, err
	case ack.Duplicate:
		return 0, ErrSkip
	}
	return ack.Sequence, nil
}

func tooManyBatches(err error) bool { return errors.Is(err, events.ErrBatchesBusy) }

func stamp() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Setup publishes the exporters' registrations and the commissions; those
// stored already are left as they are.
func (d *NATSDriver) Setup(ctx context.Context, s Setup) (int, error) {
	n, err := d.registerExporters(ctx, s.Exporters)
	if err != nil {
		return n, err
	}
	m, err := d.recordCommissions(ctx, s.Commissions)
	return n + m, err
}

// Run publishes one story's events in order.
func (d *NATSDriver) Run(ctx context.Context, s Story, w *Writes) error {
	switch s.Kind {
	case Leads:
		return d.lead(ctx, s, w)
	case Deals:
		return d.deal(ctx, s, w)
	case Decisions:
		return d.protocol(ctx, s, w)
	}
	return fmt.Errorf("unknown story kind %q", s.Kind)
}

// timed publishes one paced event and reports it.
func (d *NATSDriver) timed(ctx context.Context, w *Writes, wr Write, subject string, env events.Envelope, last uint64) (uint64, error) {
	if err := w.Take(ctx, 1); err != nil {
		return 0, err
	}
	wr.Start = time.Now()
	seq, err := d.publish(ctx, subject, env, last)
	if err != nil {
		return 0, err
	}
	wr.End = time.Now()
	w.Done(wr)
	return seq, nil
}

func amount(n httpx.NumberText) (decimal.Decimal, error) { return decimal.NewFromString(string(n)) }

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
