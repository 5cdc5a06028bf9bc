package bench_test

// Freshness: the time from the API's 2xx for a new lead to the lead being
// visible to a dashboard query (a row in lead_states, what every investment
// figure reads), while the load generator writes a steady mix of leads,
// deals and protocols through the APIs at a given rate. Baseline: the same
// measurement at a trickle of 50 events/s in the same run (ingest's batching
// wait, one insert, one query); the poller's query time is reported too.
//
//	ECONDIP_BENCH_RATES=2000,5000,10000 ECONDIP_BENCH_DURATION=30s go test -run '^$' -bench Freshness -benchtime 1x -timeout 30m ./services/test/bench/
//
// ECONDIP_BENCH_VIA=nats writes straight to JetStream instead (see freshnessRun).

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"econdip/services/platform/reference"
	"econdip/services/test/bench"
	"econdip/services/tools/loadgen"
)

// sampleEvery makes one lead creation in this many a freshness sample.
const sampleEvery = 5

func BenchmarkFreshness(b *testing.B) {
	fmt.Fprintf(os.Stderr, "machine: %s\n", bench.Machine())
	sys := startSystem(b, systemOptions{clickhouse: true, services: []string{"leads", "commissions", "exports"}})
	d := envDuration("ECONDIP_BENCH_DURATION", 30*time.Second)
	conc := envInt("ECONDIP_BENCH_CONCURRENCY", 256)
	// Baseline: the same measurement at a trickle (idleRate events/s), where
	// freshness is ingest's batching wait plus one insert and one query.
	var idle freshness
	for _, rate := range append([]int{idleRate}, envInts("ECONDIP_BENCH_RATES", []int{2000, 5000, 10000})...) {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			for i := range b.N {
				f := freshnessRun(b, sys, rate, conc, d, uint64(rate*100+i))
				if rate == idleRate {
					idle = f
				} else if idle.p50 > 0 {
					b.ReportMetric(f.p50/idle.p50, "x-idle-p50")
					b.ReportMetric(f.p99/idle.p99, "x-idle-p99")
				}
			}
		})
	}
}

// idleRate is the baseline's rate, events per second.
const idleRate = 50

// freshness is one run's percentiles, in milliseconds.
type freshness struct{ p50, p99 float64 }

type sample struct {
	id string
	ok time.Time // the API's 2xx
}

func freshnessRun(b *testing.B, sys *system, rate, conc int, d time.Duration, seed uint64) freshness {
	ctx := context.Background()
	samples := make(chan sample, 100_000)
	var n int
	var nMu sync.Mutex
	// Through the APIs (the freshness users see), or with ECONDIP_BENCH_VIA=nats
	// straight to JetStream, where the clock starts at JetStream's ack (the
	// moment an API answers 2xx) and rates above what the APIs take on this
	// machine can be measured.
	var drv loadgen.Driver = loadgen.NewAPIDriver("http://"+sys.LeadsAddr, "http://"+sys.CommissionsAddr, "http://"+sys.ExportsAddr, sys.Tokens, conc)
	if os.Getenv("ECONDIP_BENCH_VIA") == "nats" {
		drv = loadgen.NewNATSDriver(sys.JS)
	}
	opts := loadgen.Options{Seed: seed, Duration: d, Rate: float64(rate), Concurrency: conc,
		OnWrite: func(w loadgen.Write) {
			if w.Kind != loadgen.Leads || w.Op != "create" {
				return
			}
			nMu.Lock()
			n++
			take := n%sampleEvery == 0
			nMu.Unlock()
			if take {
				samples <- sample{w.ID, w.End}
			}
		}}

	// The poller: every pending sample's lead is looked up until it shows;
	// a sample's freshness ends when the query that found it returned.
	pollDone := make(chan struct{})
	var fresh, queryTimes []time.Duration
	var lost int
	stopPolling := make(chan struct{})
	go func() {
		defer close(pollDone)
		pending := map[string]time.Time{}
		var closing time.Time
		for {
		drain:
			for {
				select {
				case s := <-samples:
					pending[s.id] = s.ok
				default:
					break drain
				}
			}
			select {
			case <-stopPolling:
				if closing.IsZero() {
					closing = time.Now()
				}
			default:
			}
			if !closing.IsZero() && (len(pending) == 0 || time.Since(closing) > time.Minute) {
				lost = len(pending)
				return
			}
			if len(pending) == 0 {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			ids := make([]string, 0, len(pending))
			for id := range pending {
				ids = append(ids, "'"+id+"'")
			}
			t0 := time.Now()
			rows, err := sys.CH.Query(ctx, "SELECT DISTINCT toString(lead_id) FROM lead_states WHERE lead_id IN ("+strings.Join(ids, ",")+")")
			if err != nil {
				b.Error(err)
				return
			}
			var found []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					b.Error(err)
				}
				found = append(found, id)
			}
			rows.Close()
			seen := time.Now()
			queryTimes = append(queryTimes, seen.Sub(t0))
			for _, id := range found {
				if ok, was := pending[id]; was {
					fresh = append(fresh, seen.Sub(ok))
					delete(pending, id)
				}
			}
		}
	}()
	res, err := loadgen.Run(ctx, drv, reference.Default(), opts)
	close(stopPolling)
	<-pollDone
	if err != nil {
		b.Fatal(err)
	}
	if res.Errors > 0 || len(fresh) == 0 {
		b.Fatalf("load: %d errors (first: %v); %d samples", res.Errors, res.FirstError, len(fresh))
	}
	slices.Sort(fresh)
	slices.Sort(queryTimes)
	pct := func(l []time.Duration, p float64) float64 {
		return float64(l[min(len(l)-1, int(p*float64(len(l))))].Microseconds()) / 1000
	}
	b.ReportMetric(res.Rate(), "events/s")
	b.ReportMetric(res.Rate()/float64(rate), "x-target-rate")
	b.ReportMetric(float64(len(fresh)), "samples")
	b.ReportMetric(float64(lost), "samples-not-seen")
	b.ReportMetric(pct(fresh, 0.50), "fresh-p50-ms")
	b.ReportMetric(pct(fresh, 0.99), "fresh-p99-ms")
	b.ReportMetric(pct(queryTimes, 0.50), "query-p50-ms")
	b.ReportMetric(float64(res.Latency["p50"])/1000, "api-p50-ms")
	b.ReportMetric(float64(res.Latency["p99"])/1000, "api-p99-ms")
	b.ReportMetric(float64(res.Throttled), "throttled")
	fmt.Fprintf(os.Stderr, "rate %d: %d events in %s (%v), %d writes; load average %s\n",
		rate, res.Events, res.Elapsed.Round(time.Millisecond), res.ByKind, res.Writes, bench.LoadAverage())
	return freshness{pct(fresh, 0.50), pct(fresh, 0.99)}
}
