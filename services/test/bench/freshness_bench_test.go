package bench_test

// Freshness: the time from the API's 2xx for a new lead to the lead being
// visible to a dashboard query (a row in lead_states, what every investment
// figure reads), while the load generator writes a steady mix of leads,
// deals and protocols through the APIs at a given rate.
//
// One run: first the highest steady rate, on ingest's adaptive wait: the
// rate steps up (ECONDIP_BENCH_STEPS, each for ECONDIP_BENCH_STEP_DURATION)
// until the APIs fall behind (less than 95% of the asked rate achieved) or
// ingest does (more than a second of the rate's events not yet
// acknowledged by ingest when the load ends); the last step that held is
// the top rate. Then, for ingest's fixed wait of before issue 19 (the
// baseline) and for the adaptive wait, each on a system of its own:
// freshness p50/p95/p99 at a trickle of 50 events/s, at half the top rate
// and at the top rate, for ECONDIP_BENCH_DURATION each.
//
//	ECONDIP_BENCH_DURATION=30s go test -run '^$' -bench Freshness -benchtime 1x -timeout 60m ./services/test/bench/
//
// ECONDIP_BENCH_RATES=1000,2000 skips the search and measures those rates;
// ECONDIP_BENCH_WAITS=adaptive measures one wait only, adaptive=250ms the
// adaptive wait with another linger; ECONDIP_BENCH_VIA=nats
// writes straight to JetStream instead (see freshnessRun).

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"econdip/events"
	"econdip/services/platform/reference"
	"econdip/services/test/bench"
	"econdip/services/test/reliability/faultkit"
	"econdip/services/tools/loadgen"
)

// sampleEvery makes one lead creation in this many a freshness sample.
const sampleEvery = 5

func BenchmarkFreshness(b *testing.B) {
	fmt.Fprintf(os.Stderr, "machine: %s\n", bench.Machine())
	d := envDuration("ECONDIP_BENCH_DURATION", 30*time.Second)
	conc := envInt("ECONDIP_BENCH_CONCURRENCY", 256)
	services := []string{"leads", "commissions", "exports"}
	rates := envInts("ECONDIP_BENCH_RATES", nil)
	if len(rates) == 0 {
		// The highest steady rate, on the adaptive wait.
		top := 0
		b.Run("search", func(b *testing.B) {
			sys := startFreshnessSystem(b, systemOptions{clickhouse: true, services: services})
			step := envDuration("ECONDIP_BENCH_STEP_DURATION", 15*time.Second)
			for i, rate := range envInts("ECONDIP_BENCH_STEPS", []int{250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000}) {
				f := freshnessRun(b, sys, rate, conc, step, uint64(900_000+i))
				steady := f.rate >= 0.95*float64(rate) && f.behind <= rate
				fmt.Fprintf(os.Stderr, "step %d/s: achieved %.0f/s, %d events not yet ingested at the end, freshness p99 %.0f ms: steady %v\n", rate, f.rate, f.behind, f.p99, steady)
				if !steady {
					break
				}
				top = rate
			}
			b.ReportMetric(float64(top), "top-steady-events/s")
		})
		if top == 0 {
			b.Fatal("no step held: lower ECONDIP_BENCH_STEPS")
		}
		rates = []int{top / 2, top}
		fmt.Fprintf(os.Stderr, "highest steady rate: %d events/s; measuring at %v\n", top, rates)
	}
	for _, wait := range strings.Split(cmpOr(os.Getenv("ECONDIP_BENCH_WAITS"), "fixed,adaptive"), ",") {
		b.Run("wait="+wait, func(b *testing.B) {
			o := systemOptions{clickhouse: true, services: services, fixedWait: wait == "fixed"}
			if l, ok := strings.CutPrefix(wait, "adaptive="); ok { // adaptive=250ms: another linger
				var err error
				if o.linger, err = time.ParseDuration(l); err != nil {
					b.Fatal(err)
				}
			}
			sys := startFreshnessSystem(b, o)
			var idle freshness
			for _, rate := range append([]int{idleRate}, rates...) {
				b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
					for i := range b.N {
						f := freshnessRun(b, sys, rate, conc, d, uint64(rate*100+i))
						fmt.Fprintf(os.Stderr, "| %s | %d | %.0f | %.0f ms | %.0f ms | %.0f ms | %.1f / %.1f ms |\n", wait, rate, f.rate, f.p50, f.p95, f.p99, f.api50, f.api99)
						if rate == idleRate {
							idle = f
						} else if idle.p50 > 0 {
							b.ReportMetric(f.p50/idle.p50, "x-idle-p50")
							b.ReportMetric(f.p99/idle.p99, "x-idle-p99")
						}
					}
				})
			}
		})
	}
}

// startFreshnessSystem starts a system and warms it up, unmeasured: 10 s
// of the load at a trickle (the services' first requests, ClickHouse's
// first inserts and queries of the fresh database).
func startFreshnessSystem(b *testing.B, o systemOptions) *system {
	sys := startSystem(b, o)
	drv := loadgen.NewAPIDriver("http://"+sys.LeadsAddr, "http://"+sys.CommissionsAddr, "http://"+sys.ExportsAddr, sys.Tokens, 16)
	if _, err := loadgen.Run(context.Background(), drv, reference.Default(), loadgen.Options{Seed: 77, Duration: 10 * time.Second, Rate: idleRate, Concurrency: 16}); err != nil {
		b.Fatal(err)
	}
	return sys
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// idleRate is the baseline's rate, events per second.
const idleRate = 50

// freshness is one run's percentiles, in milliseconds, its achieved rate
// and the events ingest had not acknowledged when the load ended.
type freshness struct {
	p50, p95, p99 float64
	api50, api99  float64
	rate          float64
	behind        int
}

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
	// What ingest has not acknowledged yet as the load ends: more than a
	// second of the rate's events means it falls behind.
	consumers, cerr := faultkit.IngestConsumers(ctx, sys.JS, events.ConsumerIngest)
	if cerr != nil {
		b.Fatal(cerr)
	}
	behind := int(consumers.Backlog())
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
	b.ReportMetric(pct(fresh, 0.95), "fresh-p95-ms")
	b.ReportMetric(pct(fresh, 0.99), "fresh-p99-ms")
	b.ReportMetric(float64(behind), "not-ingested-at-end")
	b.ReportMetric(pct(queryTimes, 0.50), "query-p50-ms")
	b.ReportMetric(float64(res.Latency["p50"])/1000, "api-p50-ms")
	b.ReportMetric(float64(res.Latency["p99"])/1000, "api-p99-ms")
	b.ReportMetric(float64(res.Throttled), "throttled")
	fmt.Fprintf(os.Stderr, "rate %d: %d events in %s (%v), %d writes; load average %s\n",
		rate, res.Events, res.Elapsed.Round(time.Millisecond), res.ByKind, res.Writes, bench.LoadAverage())
	return freshness{p50: pct(fresh, 0.50), p95: pct(fresh, 0.95), p99: pct(fresh, 0.99),
		api50: float64(res.Latency["p50"]) / 1000, api99: float64(res.Latency["p99"]) / 1000, rate: res.Rate(), behind: behind}
}
