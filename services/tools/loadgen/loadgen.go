// Package loadgen generates realistic load on econdip: investor leads,
// export deals and commission protocols with their decisions, drawn from the
// demo generators and deterministic from a seed, written either through the
// services' authenticated HTTP APIs (APIDriver) or straight to JetStream
// through the services' publish path (NATSDriver), at a given rate or as
// fast as the system takes them, for a number of events or a duration.
//
// The econdip load command and the benchmarks (services/test/bench, ingest's
// bench_test.go) run the same Runner.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"econdip/services/platform/kernel"
	"econdip/services/platform/reference"
)

// Driver writes stories to the system.
type Driver interface {
	// Setup registers what the stories need (exporters, commissions); what
	// exists already is fine. It returns the events it stored.
	Setup(ctx context.Context, s Setup) (int, error)
	// Run writes one story in order. Before each write it calls w.Take with
	// the events the write stores, and stops when Take fails; it reports
	// each write with w.Done.
	Run(ctx context.Context, s Story, w *Writes) error
}

// Options say how much load to make and how fast.
type Options struct {
	Seed        uint64
	Events      int           // write the stories of the seed that hold this many events (the last may add a few more); 0: no limit (Duration must be set)
	Duration    time.Duration // stop after this long; 0: no limit (Events must be set)
	Rate        float64       // events per second; 0: as fast as the system takes them
	Concurrency int           // stories written at once; default 32
	// Progress, when set, is called as events are written: done and total
	// events, or with Duration only, seconds elapsed and the duration's seconds.
	Progress func(done, total int)
	// OnWrite, when set, is called after every successful write (from the
	// worker that made it: keep it short).
	OnWrite func(Write)
}

// Write is one request (API) or publish (NATS) that succeeded.
type Write struct {
	Kind   Kind
	Op     string // create, move, protocol, status
	ID     string // the record written (lead, deal or session id)
	Events int
	Start  time.Time
	End    time.Time
}

// Result sums up a load.
type Result struct {
	Events      int              // events stored by the stories (not counting Setup)
	ByKind      map[Kind]int     // events by kind
	Writes      int              // successful requests or publishes
	SetupEvents int              // events Setup stored
	Stories     int              // stories begun
	Skipped     int              // stories stopped because the record existed already (a rerun of the seed) or changed meanwhile
	Throttled   int              // answers 429 (the per-user write limit), each retried after the wait it gave
	Errors      int              // failed writes; the story stops at its first
	FirstError  error            // the first of them
	Elapsed     time.Duration    // from the first story to the last write
	Latency     map[string]int64 // write latency percentiles in microseconds: p50, p90, p99, max
}

// Rate is the events per second achieved.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Events) / r.Elapsed.Seconds()
}

// ErrStop is returned by Writes.Take once the load is over (events or time spent).
var ErrStop = errors.New("load finished")

// ErrSkip is returned by a driver for a story whose record exists already
// or was changed by someone else: the story is left alone.
var ErrSkip = errors.New("story skipped")

// Writes paces and counts a load's writes; drivers call it around each write.
type Writes struct {
	opts     Options
	start    time.Time
	deadline time.Time

	mu       sync.Mutex
	due      time.Time    // when the next event may be written (with a rate)
	lat      []int64      // latency of every write, µs
	byKind   map[Kind]int // events written
	writes   int
	last     time.Time
	done     atomic.Int64 // events written, for progress
	throttle atomic.Int64
}

// Take paces a write of n events, waiting for the rate if there is one; it
// returns ErrStop once the load's duration is spent, or ctx's error.
func (w *Writes) Take(ctx context.Context, n int) error {
	w.mu.Lock()
	now := time.Now()
	if !w.deadline.IsZero() && !now.Before(w.deadline) {
		w.mu.Unlock()
		return ErrStop
	}
	var wait time.Duration
	if w.opts.Rate > 0 {
		// A steady schedule: a write that falls more than a second behind
		// does not earn a burst to catch up.
		if w.due.Before(now.Add(-time.Second)) {
			w.due = now
		}
		wait = w.due.Sub(now)
		w.due = w.due.Add(time.Duration(float64(n) / w.opts.Rate * float64(time.Second)))
	}
	w.mu.Unlock()
	if wait <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Done records a successful write.
func (w *Writes) Done(wr Write) {
	w.mu.Lock()
	w.lat = append(w.lat, wr.End.Sub(wr.Start).Microseconds())
	w.byKind[wr.Kind] += wr.Events
	w.writes++
	if wr.End.After(w.last) {
		w.last = wr.End
	}
	w.mu.Unlock()
	w.done.Add(int64(wr.Events))
	if w.opts.OnWrite != nil {
		w.opts.OnWrite(wr)
	}
}

// Throttled records a 429 answer.
func (w *Writes) Throttled() { w.throttle.Add(1) }

// Run makes the load: Setup, then the generator's stories on Concurrency
// workers until the events or the duration are spent or ctx ends. It
// returns an error when Setup fails or when nothing could be written at all;
// failed writes otherwise are counted in the result.
func Run(ctx context.Context, d Driver, ref *reference.Data, opts Options) (Result, error) {
	if opts.Events <= 0 && opts.Duration <= 0 {
		return Result{}, errors.New("a load needs a number of events or a duration")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 32
	}
	gen := NewGenerator(opts.Seed, ref)
	res := Result{ByKind: map[Kind]int{}}
	var err error
	if res.SetupEvents, err = d.Setup(ctx, gen.Setup()); err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	w := &Writes{opts: opts, start: time.Now(), byKind: map[Kind]int{}}
	w.due = w.start
	if opts.Duration > 0 {
		w.deadline = w.start.Add(opts.Duration)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		genMu             sync.Mutex
		handed            int // events of the stories handed out
		mu                sync.Mutex
		consecutiveErrors int
		wg                sync.WaitGroup
	)
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if opts.Progress == nil {
			return
		}
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		report := func() {
			if opts.Events > 0 {
				opts.Progress(min(int(w.done.Load()), opts.Events), opts.Events)
			} else {
				opts.Progress(min(int(time.Since(w.start).Seconds()), int(opts.Duration.Seconds())), int(opts.Duration.Seconds()))
			}
		}
		for {
			select {
			case <-stopProgress:
				return
			case <-tick.C:
				report()
			}
		}
	}()
	for range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				// The stories of a load of N events are the shortest prefix
				// of the seed's sequence holding N: the same seed and N write
				// the same records, whatever the concurrency.
				genMu.Lock()
				if opts.Events > 0 && handed >= opts.Events {
					genMu.Unlock()
					return
				}
				s := gen.Next()
				handed += s.Events()
				genMu.Unlock()
				err := d.Run(ctx, s, w)
				mu.Lock()
				res.Stories++
				switch {
				case err == nil:
					consecutiveErrors = 0
				case errors.Is(err, ErrStop), ctx.Err() != nil:
					res.Stories--
					mu.Unlock()
					return
				case errors.Is(err, ErrSkip):
					res.Skipped++
				default:
					res.Errors++
					if res.FirstError == nil {
						res.FirstError = err
					}
					// A system that refuses everything (down, wrong tokens)
					// ends the load instead of spinning.
					if consecutiveErrors++; consecutiveErrors >= 100 {
						cancel()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stopProgress)
	<-progressDone

	w.mu.Lock()
	defer w.mu.Unlock()
	for k, n := range w.byKind {
		res.ByKind[k] = n
		res.Events += n
	}
	res.Writes = w.writes
	res.Throttled = int(w.throttle.Load())
	if !w.last.IsZero() {
		res.Elapsed = w.last.Sub(w.start)
	}
	res.Latency = percentiles(w.lat)
	if opts.Progress != nil {
		if opts.Events > 0 {
			opts.Progress(opts.Events, opts.Events)
		} else {
			opts.Progress(int(opts.Duration.Seconds()), int(opts.Duration.Seconds()))
		}
	}
	if res.Writes == 0 && res.FirstError != nil {
		return res, fmt.Errorf("nothing was written: %w", res.FirstError)
	}
	return res, nil
}

func percentiles(lat []int64) map[string]int64 {
	if len(lat) == 0 {
		return map[string]int64{}
	}
	slices.Sort(lat)
	at := func(p float64) int64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return map[string]int64{"p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": lat[len(lat)-1]}
}

// demoDay is the commissions' day of t (in Astana), as the demo takes it.
func demoDay(t time.Time) kernel.Day { return kernel.Today(t) }
