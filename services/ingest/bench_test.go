package ingest

// End-to-end ingest throughput (JetStream to queryable in ClickHouse)
// against two baselines measured in the same run on the same events: the
// raw JetStream fetch-and-ack rate and the raw ClickHouse batch-insert rate
// of the rows ingest writes. Nothing here asserts a time.
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

// TestMain starts ClickHouse only for benchmarks: the package's tests do
// not need it, and go test ./... stays fast.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
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
			var wg sync.WaitGroup
			errs := make(chan error, len(batches))
			for _, list := range batches { // one writer per stream, as ingest
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, rows := range list {
						if err := analytics.Write(ctx, conn, rows); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
			d := time.Since(t0)
			report(b, "clickhouse-insert", total, d)
			cores(b, self0, ch0, d)
		}
	})
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
			run++
			conn := freshDatabase(b, run)
			svc := New(ns.JS, conn, obs.Discard(), Config{BatchSize: batchSize, Consumer: fmt.Sprintf("bench-e2e-%d", run)})
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
			cores(b, self0, ch0, d)
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			var n uint64
			if err := conn.QueryRow(ctx, "SELECT count() FROM events").Scan(&n); err != nil || n != uint64(total) {
				b.Fatalf("events table holds %d rows, want %d (%v)", n, total, err)
			}
			report(b, "end-to-end", total, d)
			for _, base := range []string{"jetstream-fetch-ack", "clickhouse-insert"} {
				if throughput[base] > 0 { // measured in this run
					b.ReportMetric(throughput["end-to-end"]/throughput[base], "x-"+base)
				}
			}
		}
	})
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
