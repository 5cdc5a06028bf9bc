package ingest

// End-to-end ingest throughput (JetStream to queryable in ClickHouse)
// against three baselines measured in the same run on the same events: the
// raw JetStream fetch-and-ack rate, the raw ClickHouse batch-insert rate of
// the rows ingest writes, and, paired with each end-to-end run, ingest
// without its check of which events are stored already (the price of that
// check: x-end-to-end-without-stored-check; stored-check times the check
// apart from the inserts). Nothing here asserts a time.
//
//	ECONDIP_BENCH_EVENTS=200000 go test -run '^$' -bench IngestThroughput -benchtime 3x -timeout 30m ./services/ingest/
//
// The streams are filled first (untimed) by the load generator's NATS path:
// realistic leads, deals and protocols, every event through events.Publish.
// ECONDIP_BENCH_CPUPROFILE=file writes a CPU profile of the end-to-end runs;
// ECONDIP_BENCH_BATCH sets the batch size (default 2000, ingest's).

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"

	"econdip/analytics"
	"econdip/analytics/chtest"
	"econdip/events"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
	"econdip/services/test/bench"
	"econdip/services/tools/loadgen"
)

// TestMain starts the package's ClickHouse: the benchmarks and the tests of
// redelivered batches (stored_test.go) write to it.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		chtest.Main(m, "econdip_test_ingest")
	}
	chtest.Main(m, "econdip_bench_ingest")
}

func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("ECONDIP_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

// rawMsg is a fetched message, kept to time decoding and inserts without JetStream.
type rawMsg struct {
	data []byte
	seq  uint64
}

// throughput is one benchmark's events per second, kept for the ratios.
var throughput = map[string]float64{}

func BenchmarkIngestThroughput(b *testing.B) {
	ctx := context.Background()
	ns := natstest.Start(b)
	fmt.Fprintf(os.Stderr, "machine: %s\n", bench.Machine())
	start := time.Now()
	fill, err := loadgen.Run(ctx, loadgen.NewNATSDriver(ns.JS), reference.Default(), loadgen.Options{Seed: 1, Events: benchEvents(), Concurrency: 64})
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, st := range events.IngestStreams() {
		s, err := ns.JS.Stream(ctx, st.Name)
		if err != nil {
			b.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		total += int(info.State.Msgs)
		fmt.Fprintf(os.Stderr, "%s: %d messages, %d bytes\n", st.Name, info.State.Msgs, info.State.Bytes)
	}
	fmt.Fprintf(os.Stderr, "filled %d events (%v) in %s: %.0f events/s through events.Publish, 64 at once\n",
		total, fill.ByKind, time.Since(start).Round(time.Millisecond), float64(fill.Events)/time.Since(start).Seconds())

	chPID := 0
	if _, port, ok := strings.Cut(chtest.Addr(), ":"); ok {
		p, _ := strconv.Atoi(port)
		chPID, _ = bench.PIDListening(p)
	}
	cpu := func() (self, ch time.Duration) {
		self, _ = bench.CPUTime(os.Getpid())
		if chPID > 0 {
			ch, _ = bench.CPUTime(chPID)
		}
		return self, ch
	}
	var raw map[string][]rawMsg
	var batches map[string][]*analytics.Rows
	batchSize := 2000 // ingest's default (ECONDIP_INGEST_BATCH)
	if n, err := strconv.Atoi(os.Getenv("ECONDIP_BENCH_BATCH")); err == nil && n > 0 {
		batchSize = n
	}
	run := 0
	// cores reports the share of the run's wall time this process (embedded
	// NATS, ingest or the baseline, the poller) and ClickHouse spent on CPU.
	cores := func(b *testing.B, self0, ch0 time.Duration, d time.Duration) {
		self1, ch1 := cpu()
		b.ReportMetric((self1-self0).Seconds()/d.Seconds(), "cores-go")
		b.ReportMetric((ch1-ch0).Seconds()/d.Seconds(), "cores-clickhouse")
	}

	b.Run("jetstream-fetch-ack", func(b *testing.B) {
		for range b.N {
			run++
			self0, ch0 := cpu()
			got, d := fetchAll(b, ns.JS, fmt.Sprintf("bench-fetch-%d", run), batchSize, total)
			raw = got
			report(b, "jetstream-fetch-ack", total, d)
			cores(b, self0, ch0, d)
		}
	})
	b.Run("decode-project", func(b *testing.B) {
		for range b.N {
			t0 := time.Now()
			batches = map[string][]*analytics.Rows{}
			for stream, msgs := range raw {
				for i := 0; i < len(msgs); i += batchSize {
					rows := &analytics.Rows{}
					for _, m := range msgs[i:min(i+batchSize, len(msgs))] {
						env, ev, err := events.DecodeInPlace(m.data) // as ingest
						if err == nil {
							err = project(rows, stream, m.seq, env, ev)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					batches[stream] = append(batches[stream], rows)
				}
			}
			report(b, "decode-project", total, time.Since(t0))
		}
	})
	b.Run("clickhouse-insert", func(b *testing.B) {
		for range b.N {
			run++
			conn := freshDatabase(b, run)
			self0, ch0 := cpu()
			t0 := time.Now()
			if err := eachBatch(batches, func(rows *analytics.Rows) error { return analytics.Write(ctx, conn, rows) }); err != nil {
				b.Fatal(err)
			}
			d := time.Since(t0)
			report(b, "clickhouse-insert", total, d)
			cores(b, self0, ch0, d)
		}
	})
	// The check ingest makes before each insert (stored.go), timed apart
	// from the insert that follows it, batch by batch, so both share the
	// machine's load: x-insert is the time checking over the time
	// inserting. Then the check of every batch once all are stored, as a
	// redelivery or a replay meets it (s-check-all-stored).
	b.Run("stored-check", func(b *testing.B) {
		for range b.N {
			run++
			conn := freshDatabase(b, run)
			var checking, inserting atomic.Int64
			n := 0
			for _, list := range batches {
				n += len(list)
			}
			err := eachBatch(batches, func(rows *analytics.Rows) error {
				t0 := time.Now()
				if _, err := analytics.StoredEvents(ctx, conn, rows.Events); err != nil {
					return err
				}
				t1 := time.Now()
				if err := analytics.Write(ctx, conn, rows); err != nil {
					return err
				}
				checking.Add(int64(t1.Sub(t0)))
				inserting.Add(int64(time.Since(t1)))
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			err = eachBatch(batches, func(rows *analytics.Rows) error {
				stored, err := analytics.StoredEvents(ctx, conn, rows.Events)
				if err == nil && len(stored) != len(rows.Events) {
					err = fmt.Errorf("%d of a batch's %d events found stored, want all", len(stored), len(rows.Events))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(t0).Seconds(), "s-check-all-stored")
			b.ReportMetric(float64(checking.Load())/float64(inserting.Load()), "x-insert")
			b.ReportMetric(time.Duration(checking.Load()/int64(n)).Seconds()*1000, "ms/check")
			b.ReportMetric(time.Duration(inserting.Load()/int64(n)).Seconds()*1000, "ms/insert")
		}
	})
	// endToEnd runs ingest over the streams into a fresh database and
	// returns how long it took. Without storedCheck it leaves out the check
	// of which events are stored already (stored.go): the baseline of that
	// check's price. The cores metrics are those of ingest as shipped.
	endToEnd := func(b *testing.B, storedCheck bool, aggregates ...bool) time.Duration {
		run++
		conn := freshDatabase(b, run)
		noAggregates := len(aggregates) > 0 && !aggregates[0]
		svc := New(ns.JS, conn, obs.Discard(), Config{BatchSize: batchSize, Consumer: fmt.Sprintf("bench-e2e-%d", run), NoAggregates: noAggregates})
		svc.noStoredCheck = !storedCheck
		before := ingested(b)
		self0, ch0 := cpu()
		t0 := time.Now()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- svc.Run(rctx) }()
		for ingested(b)-before < float64(total) {
			time.Sleep(5 * time.Millisecond)
		}
		d := time.Since(t0)
		if storedCheck {
			cores(b, self0, ch0, d)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil || n != uint64(total) {
			b.Fatalf("events table holds %d rows, want %d (%v)", n, total, err)
		}
		return d
	}
	// The aggregates' price (AGGREGATES.md): ingest without the ledgers,
	// against ingest as shipped, in turn, so that each pair shares the load.
	b.Run("aggregates-price", func(b *testing.B) {
		for i := range b.N {
			var with, without time.Duration
			if i%2 == 0 {
				without, with = endToEnd(b, true, false), endToEnd(b, true, true)
			} else {
				with, without = endToEnd(b, true, true), endToEnd(b, true, false)
			}
			b.ReportMetric(float64(total)/with.Seconds(), "events/s")
			b.ReportMetric(float64(total)/without.Seconds(), "events/s-without-aggregates")
			b.ReportMetric(with.Seconds()/without.Seconds(), "x-time-without-aggregates")
		}
	})
	pairs := 0
	b.Run("end-to-end", func(b *testing.B) {
		if path := os.Getenv("ECONDIP_BENCH_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				b.Fatal(err)
			}
			defer pprof.StopCPUProfile()
		}
		for range b.N {
			// Each run is paired with one without the stored check, before
			// or after it in turn, so that the pair shares the machine's load.
			var d, without time.Duration
			if pairs++; pairs%2 == 1 {
				without, d = endToEnd(b, false), endToEnd(b, true)
			} else {
				d, without = endToEnd(b, true), endToEnd(b, false)
			}
			report(b, "end-to-end", total, d)
			throughput["end-to-end-without-stored-check"] = float64(total) / without.Seconds()
			b.ReportMetric(throughput["end-to-end-without-stored-check"], "events/s-without-stored-check")
			for _, base := range []string{"jetstream-fetch-ack", "clickhouse-insert", "end-to-end-without-stored-check"} {
				if throughput[base] > 0 { // measured in this run
					b.ReportMetric(throughput["end-to-end"]/throughput[base], "x-"+base)
				}
			}
		}
	})
}

// eachBatch calls write with every batch, one writer per stream as ingest
// has, and returns the first error.
func eachBatch(batches map[string][]*analytics.Rows, write func(*analytics.Rows) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(batches))
	for _, list := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, rows := range list {
				if err := write(rows); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// report records and reports a run's throughput.
func report(b *testing.B, name string, events int, d time.Duration) {
	rate := float64(events) / d.Seconds()
	throughput[name] = rate
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(d.Seconds(), "s/run")
}

// ingested is the events ingest has inserted and acknowledged so far, over every stream.
func ingested(b *testing.B) float64 {
	sum := 0.0
	for _, st := range events.IngestStreams() {
		var m dto.Metric
		if err := obs.EventsIngested.WithLabelValues(st.Name).Write(&m); err != nil {
			b.Fatal(err)
		}
		sum += m.GetCounter().GetValue()
	}
	return sum
}

// fetchAll drains every ingest stream through a new durable consumer set up
// as ingest's, fetching batches and acknowledging each message as ingest
// does, one fetcher per stream; it returns the messages and the time taken.
func fetchAll(b *testing.B, js jetstream.JetStream, name string, batch, total int) (map[string][]rawMsg, time.Duration) {
	ctx := context.Background()
	out := map[string][]rawMsg{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := time.Now()
	for _, st := range events.IngestStreams() {
		s, err := js.Stream(ctx, st.Name)
		if err != nil {
			b.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		// As ingest's consumer; a loop that acknowledges each batch before
		// the next fetch never has more than one batch pending.
		cons, err := js.CreateOrUpdateConsumer(ctx, st.Name, jetstream.ConsumerConfig{Durable: name, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: AckWait, MaxAckPending: 4 * batch, DeliverPolicy: jetstream.DeliverAllPolicy})
		if err != nil {
			b.Fatal(err)
		}
		want := int(info.State.Msgs)
		wg.Add(1)
		go func(stream string) {
			defer wg.Done()
			msgs := make([]rawMsg, 0, want)
			for len(msgs) < want {
				fb, err := cons.Fetch(batch, jetstream.FetchMaxWait(500*time.Millisecond))
				if err != nil {
					b.Error(err)
					return
				}
				for m := range fb.Messages() {
					meta, err := m.Metadata()
					if err != nil {
						b.Error(err)
						return
					}
					msgs = append(msgs, rawMsg{data: m.Data(), seq: meta.Sequence.Stream})
					_ = m.Ack()
				}
			}
			mu.Lock()
			out[stream] = msgs
			mu.Unlock()
		}(st.Name)
	}
	wg.Wait()
	d := time.Since(t0)
	n := 0
	for _, m := range out {
		n += len(m)
	}
	if n != total {
		b.Fatalf("fetched %d messages, want %d", n, total)
	}
	return out, d
}

// freshDatabase is a new, migrated database for one run.
func freshDatabase(b *testing.B, run int) driver.Conn {
	ctx := context.Background()
	cfg := analytics.Config{Addr: chtest.Addr(), Database: "default", Username: "default"}
	boot, err := analytics.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer boot.Close()
	cfg.Database = fmt.Sprintf("%s_%d", chtest.Database(), run)
	if err := analytics.CreateDatabase(ctx, boot, cfg.Database); err != nil {
		b.Fatal(err)
	}
	conn, err := analytics.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = conn.Close()
		if c, err := analytics.Open(ctx, analytics.Config{Addr: chtest.Addr(), Database: "default", Username: "default"}); err == nil {
			_ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+cfg.Database)
			_ = c.Close()
		}
	})
	if err := analytics.Migrate(ctx, conn, obs.Discard()); err != nil {
		b.Fatal(err)
	}
	return conn
}
