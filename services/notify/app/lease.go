package app

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultLeaseTTL is how long a lease lasts without a renewal: the time
// another instance waits before it takes over from one that died.
const DefaultLeaseTTL = 30 * time.Second

// Lease makes exactly one notifier instance of a cluster the evaluator. The
// lease is a key in BucketLease, whose TTL expires it: the instance that
// creates the key (create-only: it fails while the key lives) holds the
// lease and renews it every TTL/3 with a CAS update on the revision it
// wrote; an update that fails means it lost the lease. On a clean stop the
// holder deletes the key (on its revision), so another takes over at once.
type Lease struct {
	kv       jetstream.KeyValue
	instance string
	ttl      time.Duration
	log      *slog.Logger
	rev      uint64
	held     atomic.Bool
	renewed  atomic.Int64 // unix nanoseconds of the last take or renewal
}

// Held reports whether this instance holds the lease now: taken or renewed
// within the last two thirds of the TTL (a paused process does not act on a
// lease that may have expired). The create-only keys make a reminder or
// digest fire once even if two instances ever acted together.
func (l *Lease) Held() bool {
	return l.held.Load() && time.Since(time.Unix(0, l.renewed.Load())) < l.ttl*2/3
}

// try takes or renews the lease; it reports whether this instance holds it.
func (l *Lease) try(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	var err error
	if l.held.Load() {
		var rev uint64
		if rev, err = l.kv.Update(ctx, keyLease, []byte(l.instance), l.rev); err == nil {
			l.rev = rev
			l.renewed.Store(time.Now().UnixNano())
			return true
		}
		l.held.Store(false)
		metricLeader.Set(0)
		l.log.Warn("notifier lease lost: another instance evaluates", "error", err)
	}
	rev, err := l.kv.Create(ctx, keyLease, []byte(l.instance))
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
			l.log.Warn("notifier lease: cannot reach the lease bucket", "error", err)
		}
		return false
	}
	l.rev = rev
	l.renewed.Store(time.Now().UnixNano())
	l.held.Store(true)
	metricLeader.Set(1)
	l.log.Info("notifier lease taken: this instance evaluates reminders and digests", "instance", l.instance)
	return true
}

// release gives the lease up if held.
func (l *Lease) release() {
	if !l.held.Swap(false) {
		return
	}
	metricLeader.Set(0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.kv.Delete(ctx, keyLease, jetstream.LastRevision(l.rev))
}
