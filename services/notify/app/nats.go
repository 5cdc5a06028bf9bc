package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/services/platform/natsx"
)

// The notifier's JetStream resources. Their names are part of the contract
// (deploy, permissions): renaming the consumer re-sends nothing (the sent
// markers stay), renaming a bucket loses its state.
const (
	// BucketInbox holds every user's inbox: one key per (user, reminder),
	// "<user hex>.<reminder id>", created only once, so creating it is the
	// reminder's dedup. A KV bucket rather than a stream: an entry changes
	// (read, e-mail queued) and is listed per user by key, and there is
	// nothing to replay.
	BucketInbox = natsx.BucketNotifyInbox
	// BucketPrefs holds each user's e-mail address, deliveries per rule and
	// muted records ("<user hex>"), and the administrator's rule parameters
	// (key KeySettings).
	BucketPrefs = natsx.BucketNotifyPrefs
	// BucketSent holds a marker per e-mail ("sending", then "sent"), keyed
	// by the message's id: checked before a send and written after it.
	BucketSent = natsx.BucketNotifySent
	// BucketDigests holds a marker per (user, week) once its digest is
	// queued.
	BucketDigests = natsx.BucketNotifyDigests
	// BucketLease holds the evaluator's lease: a key with the bucket's TTL,
	// created by the instance that takes it and renewed by CAS.
	BucketLease = natsx.BucketNotifyLease
	// StreamOutbox is the e-mail work queue: a message per e-mail, removed
	// when acknowledged after the send; a failed send is Nak'ed with a delay.
	StreamOutbox = natsx.StreamNotifyOutbox
	// SubjectOutbox is the outbox's subject.
	SubjectOutbox = natsx.SubjectNotifyOutbox
	// ConsumerSender is the outbox's durable consumer, shared by every instance.
	ConsumerSender = natsx.ConsumerNotifySender
	// KeySettings is the administrator's rule parameters in BucketPrefs.
	KeySettings = "settings"
	// keyLease is the lease's key.
	keyLease = "evaluator"
)

// markerTTL is how long the sent and digest markers are kept.
const markerTTL = 30 * 24 * time.Hour

// Buckets lists the notifier's key-value buckets, for permissions and setup.
var Buckets = []string{BucketInbox, BucketPrefs, BucketSent, BucketDigests, BucketLease}

// Setup creates or updates the notifier's buckets and outbox stream (the
// administrator's tool runs it, as it does events.EnsureStreams); leaseTTL
// is the lease bucket's TTL (DefaultLeaseTTL in production).
func Setup(ctx context.Context, js jetstream.JetStream, replicas int, leaseTTL time.Duration) error {
	if replicas < 1 {
		replicas = 1
	}
	for _, b := range Buckets {
		cfg := jetstream.KeyValueConfig{Bucket: b, History: 1, Replicas: replicas, Storage: jetstream.FileStorage}
		switch b {
		case BucketLease:
			cfg.TTL = leaseTTL
		case BucketSent, BucketDigests:
			// A marker only has to outlive the copies of its e-mail: a
			// re-queue comes within minutes, an e-mail leaves the outbox
			// once sent. Kept a month, so the buckets do not grow for ever.
			cfg.TTL = markerTTL
		}
		if _, err := js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
			return fmt.Errorf("create or update bucket %s: %w", b, err)
		}
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: StreamOutbox, Description: "e-mails of the notifier waiting to be sent (work queue)",
		Subjects: []string{SubjectOutbox}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		Replicas: replicas, Duplicates: 2 * time.Minute,
	}); err != nil {
		return fmt.Errorf("create or update stream %s: %w", StreamOutbox, err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, StreamOutbox, jetstream.ConsumerConfig{
		Durable: ConsumerSender, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 2 * time.Minute, MaxDeliver: -1,
		MaxAckPending: 100,
	}); err != nil {
		return fmt.Errorf("create or update consumer %s: %w", ConsumerSender, err)
	}
	return nil
}

// userKey is a user id as one key token: user ids have dots, which split
// key tokens, so a prefix of one user's keys would match another's.
func userKey(user string) string { return hex.EncodeToString([]byte(user)) }

// userOfKey is the user id of a userKey.
func userOfKey(k string) (string, error) {
	b, err := hex.DecodeString(k)
	return string(b), err
}

func isExists(err error) bool { return errors.Is(err, jetstream.ErrKeyExists) }
