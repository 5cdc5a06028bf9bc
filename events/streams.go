package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Subjects are econdip.<context>.<record id>; one stream per bounded context.
const (
	SubjectPrefix = "econdip"

	StreamLeads       = "LEADS"
	StreamCommissions = "COMMISSIONS"
	StreamExports     = "EXPORTS"
	StreamUsers       = "USERS"
	StreamCompanies   = "COMPANIES"
	StreamDeadLetter  = "DEADLETTER"

	// DeadLetterPrefix is followed by the stream the message came from; the
	// package services/platform/deadletter publishes, lists and redrives them.
	DeadLetterPrefix = SubjectPrefix + ".deadletter."

	// ConsumerIngest is the durable consumer that projects events into
	// ClickHouse. Renaming it replays every stream into ClickHouse.
	ConsumerIngest = "ingest-clickhouse"
)

// Stream describes one JetStream stream of the contract.
type Stream struct {
	Name        string
	Subjects    []string
	Description string
	Ingest      bool // projected into ClickHouse by the ingest service
	Atomic      bool // accepts atomic batches (a protocol: a session and its decisions; a deal import file: all or nothing)
}

// Streams lists every stream econdip uses.
var Streams = []Stream{
	{Name: StreamLeads, Subjects: []string{SubjectPrefix + ".leads.>"}, Description: "investor lead events (operational store, holds contact persons)", Ingest: true},
	{Name: StreamCommissions, Subjects: []string{SubjectPrefix + ".commissions.>"}, Description: "intergovernmental commissions, sessions and decisions", Ingest: true, Atomic: true},
	{Name: StreamExports, Subjects: []string{SubjectPrefix + ".exports.>"}, Description: "Kazakh exporters, export deals and trade barriers", Ingest: true, Atomic: true},
	{Name: StreamCompanies, Subjects: []string{SubjectPrefix + ".companies.>"}, Description: "the register of companies: investors and foreign buyers (holds contact persons)", Ingest: true},
	{Name: StreamUsers, Subjects: []string{SubjectPrefix + ".users.>"}, Description: "user accounts (password and token hashes): never projected into ClickHouse"},
	{Name: StreamDeadLetter, Subjects: []string{DeadLetterPrefix + ">"}, Description: "messages ingest could not decode, with the reason in headers"},
}

// IngestStreams are the streams the ingest service consumes.
func IngestStreams() []Stream {
	var out []Stream
	for _, s := range Streams {
		if s.Ingest {
			out = append(out, s)
		}
	}
	return out
}

// StreamOptions tune the streams for a deployment.
type StreamOptions struct {
	Replicas        int           // 1 locally, 3 in a cluster
	DuplicateWindow time.Duration // how long a retried publish with the same id is dropped; default 2 min
}

// EnsureStreams creates the streams or updates them to the current config; safe to call at every start.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, opts StreamOptions) error {
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	if opts.DuplicateWindow == 0 {
		opts.DuplicateWindow = 2 * time.Minute
	}
	for _, s := range Streams {
		cfg := jetstream.StreamConfig{
			Name:        s.Name,
			Description: s.Description,
			Subjects:    s.Subjects,
			Storage:     jetstream.FileStorage,
			Retention:   jetstream.LimitsPolicy, // the log is the source of truth: keep everything
			Replicas:    opts.Replicas,
			Duplicates:  opts.DuplicateWindow,
			Discard:     jetstream.DiscardOld,
			// Atomic batches need NATS 2.12 or later.
			AllowAtomicPublish: s.Atomic,
		}
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("create or update stream %s: %w", s.Name, err)
		}
	}
	return nil
}

// Header names set on every event message, so consumers can route without decoding.
const (
	HeaderType   = "Ce-Type"
	HeaderSource = "Ce-Source"
)

// HeaderRequestSHA256 is set on the first event of a record created with an
// Idempotency-Key: the SHA-256 (hex) of the request that created it, so a
// retry with the same key is told apart from another request reusing the
// key. Events stored before this header existed lack it.
const HeaderRequestSHA256 = "Econdip-Request-Sha256"

// PublishOptions constrain a publish.
type PublishOptions struct {
	// ExpectLastSubjectSeq, when set, makes JetStream refuse the event unless
	// the last message on its subject has this stream sequence (0: no message
	// yet). This is the optimistic-concurrency check of an update.
	ExpectLastSubjectSeq *uint64
	// RequestSHA256, when set, is stored as the HeaderRequestSHA256 header.
	RequestSHA256 string
}

// ErrWrongLastSequence means another event reached the subject first.
var ErrWrongLastSequence = errors.New("another change was stored first")

// Publish stores env on subject and waits for JetStream's acknowledgement.
// The event id is the message id, so a retry of the same event is dropped
// by the stream's duplicate window (the ack then says Duplicate).
func Publish(ctx context.Context, js jetstream.JetStream, subject string, env Envelope, opts PublishOptions) (*jetstream.PubAck, error) {
	msg, err := message(subject, env)
	if err != nil {
		return nil, err
	}
	if opts.RequestSHA256 != "" {
		msg.Header.Set(HeaderRequestSHA256, opts.RequestSHA256)
	}
	pubOpts := []jetstream.PublishOpt{jetstream.WithMsgID(env.ID)}
	if opts.ExpectLastSubjectSeq != nil {
		pubOpts = append(pubOpts, jetstream.WithExpectLastSequencePerSubject(*opts.ExpectLastSubjectSeq))
	}
	ack, err := js.PublishMsg(ctx, msg, pubOpts...)
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			return nil, fmt.Errorf("publish %s to %s: %w", env.Type, subject, ErrWrongLastSequence)
		}
		return nil, fmt.Errorf("publish %s to %s: %w", env.Type, subject, err)
	}
	return ack, nil
}

// PublishAsync sends env on subject as Publish does (same message, the event
// id as message id) without waiting: the future resolves to JetStream's
// acknowledgement or an error. Only an acknowledged event is stored; a caller
// retries the others with the same envelope, and the duplicate window drops
// a retry of one that was stored after all. Bound the events in flight with
// jetstream.WithPublishAsyncMaxPending; bulk loads and replays use it.
func PublishAsync(js jetstream.JetStream, subject string, env Envelope) (jetstream.PubAckFuture, error) {
	msg, err := message(subject, env)
	if err != nil {
		return nil, err
	}
	f, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(env.ID))
	if err != nil {
		return nil, fmt.Errorf("publish %s to %s: %w", env.Type, subject, err)
	}
	return f, nil
}

// PublishAsyncAfter is PublishAsync for the next event of a record whose
// last event is at sequence after (0: none yet), checked as Publish checks
// PublishOptions.ExpectLastSubjectSeq: what a generator of many records'
// histories uses to publish them as the services would.
func PublishAsyncAfter(js jetstream.JetStream, subject string, env Envelope, after uint64) (jetstream.PubAckFuture, error) {
	msg, err := message(subject, env)
	if err != nil {
		return nil, err
	}
	f, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(env.ID), jetstream.WithExpectLastSequencePerSubject(after))
	if err != nil {
		return nil, fmt.Errorf("publish %s to %s: %w", env.Type, subject, err)
	}
	return f, nil
}

// message is the NATS message of an event: the envelope as JSON, with the
// type and source in headers so consumers can route without decoding.
func message(subject string, env Envelope) (*nats.Msg, error) {
	raw, err := jsonMarshal(env)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(subject)
	msg.Data = raw
	msg.Header.Set(HeaderType, env.Type)
	msg.Header.Set(HeaderSource, env.Source)
	return msg, nil
}
