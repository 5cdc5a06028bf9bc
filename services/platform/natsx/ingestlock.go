package natsx

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketIngestLock holds the lock of the pipeline aggregates' ledger
// (services/ingest/aggregates.go): every ingest instance takes it around
// each write to the ledger and around a re-projection, so that two
// instances never write one event twice nor write while the aggregates
// are rebuilt.
const BucketIngestLock = "INGEST_LOCK"

// IngestLockTTL is the lock bucket's TTL: a holder that died without
// releasing the lock blocks the others this long at most.
const IngestLockTTL = 30 * time.Second

// SetupIngestLock creates the lock bucket (what `econdip migrate` does,
// as it creates the streams), with replicas copies.
func SetupIngestLock(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: BucketIngestLock,
		Description: "ingest: the lock of the pipeline aggregates' ledger", History: 1, TTL: IngestLockTTL,
		Replicas: max(replicas, 1), Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("create or update bucket %s: %w", BucketIngestLock, err)
	}
	return nil
}
