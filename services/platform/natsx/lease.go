package natsx

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease makes exactly one instance of a cluster do a job (the notifier's
// evaluator, the documents' sweeper). The lease is a key in a key-value
// bucket whose TTL expires it: the instance that creates the key
// (create-only: it fails while the key lives) holds the lease and renews it
// every TTL/3 with a CAS update on the revision it wrote; an update that
// fails means it lost the lease. On a clean stop the holder writes the key
// empty (on its revision): free, so another takes over at once. (Empty
// rather than deleted: taking a deleted key costs three round trips, the
// create's update, a get and an update again, and the ingest lock is
// taken and given back at every write; taking back one's own empty key
// is one update on the revision it wrote.)
type Lease struct {
	kv       jetstream.KeyValue
	key      string
	instance string
	ttl      time.Duration
	log      *slog.Logger
	job      string
	onChange func(held bool)
	rev      uint64
	freeRev  uint64 // the revision of the empty key this instance wrote on Release; 0: none
	// releasing is closed when a ReleaseInBackground is done; nil: none under way.
	releasing chan struct{}
	held      atomic.Bool
	renewed   atomic.Int64 // unix nanoseconds of the last take or renewal
}

// NewLease is the lease key of kv (a bucket whose TTL is ttl) for this
// instance; job says in the log what the holder does ("the notifier's
// evaluator"); onChange (may be nil) is told when the lease is taken or
// lost (a metric).
func NewLease(kv jetstream.KeyValue, key, instance string, ttl time.Duration, log *slog.Logger, job string, onChange func(held bool)) *Lease {
	if onChange == nil {
		onChange = func(bool) {}
	}
	return &Lease{kv: kv, key: key, instance: instance, ttl: ttl, log: log, job: job, onChange: onChange}
}

// Held reports whether this instance holds the lease now: taken or renewed
// within the last two thirds of the TTL (a paused process does not act on a
// lease that may have expired).
func (l *Lease) Held() bool {
	return l.held.Load() && time.Since(time.Unix(0, l.renewed.Load())) < l.ttl*2/3
}

// Try takes or renews the lease; it reports whether this instance holds it.
// Call it every TTL/3.
func (l *Lease) Try(ctx context.Context) bool {
	l.WaitReleased() // given back in the background: its revision first
	ctx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	var err error
	if l.held.Load() {
		var rev uint64
		if rev, err = l.kv.Update(ctx, l.key, []byte(l.instance), l.rev); err == nil {
			l.rev = rev
			l.renewed.Store(time.Now().UnixNano())
			return true
		}
		l.held.Store(false)
		l.onChange(false)
		l.log.Warn("lease lost: another instance runs "+l.job, "error", err)
	}
	rev, err := l.take(ctx)
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
			l.log.Warn("lease of "+l.job+": cannot reach the lease bucket", "error", err)
		}
		return false
	}
	l.rev = rev
	l.renewed.Store(time.Now().UnixNano())
	l.held.Store(true)
	l.onChange(true)
	l.log.Info("lease taken: this instance runs "+l.job, "instance", l.instance)
	return true
}

// take writes the key if it is free: absent, deleted, expired, or empty
// (given back); jetstream.ErrKeyExists when another instance holds it.
func (l *Lease) take(ctx context.Context) (uint64, error) {
	if l.freeRev != 0 { // given back by this instance, and nobody took it since?
		rev, err := l.kv.Update(ctx, l.key, []byte(l.instance), l.freeRev)
		l.freeRev = 0
		if err == nil {
			return rev, nil
		}
	}
	rev, err := l.kv.Create(ctx, l.key, []byte(l.instance))
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return rev, err
	}
	e, gerr := l.kv.Get(ctx, l.key)
	if gerr != nil || len(e.Value()) > 0 {
		return 0, err // held by another instance (or gone meanwhile: next time)
	}
	if rev, err := l.kv.Update(ctx, l.key, []byte(l.instance), e.Revision()); err == nil {
		return rev, nil
	}
	return 0, err // another instance took it first
}

// ReleaseInBackground is Release without waiting for the bucket's answer:
// the ingest lock is given back after each write, and the write's next
// step need not wait for it. The next Try waits for it. Call it from the
// goroutine that calls Try.
func (l *Lease) ReleaseInBackground() {
	if !l.held.Load() {
		return
	}
	done := make(chan struct{})
	l.releasing = done
	go func() {
		defer close(done)
		l.Release()
	}()
}

// WaitReleased returns once a ReleaseInBackground is done (at once if none
// is under way): a stopping instance gives the lease back before it goes.
func (l *Lease) WaitReleased() {
	if l.releasing != nil {
		<-l.releasing
		l.releasing = nil
	}
}

// Release gives the lease up if held.
func (l *Lease) Release() {
	if !l.held.Swap(false) {
		return
	}
	l.onChange(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if rev, err := l.kv.Update(ctx, l.key, nil, l.rev); err == nil {
		l.freeRev = rev
	}
}
