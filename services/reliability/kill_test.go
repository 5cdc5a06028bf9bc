package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/natsx/natstest"
)

// loadEvents is the load of the SIGKILL test; ECONDIP_RELIABILITY_EVENTS
// changes it for a run by hand.
func loadEvents() int {
	if n, err := strconv.Atoi(os.Getenv("ECONDIP_RELIABILITY_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// TestIngestKilledAtRandomMomentsLosesAndDoublesNothing runs `econdip ingest`
// as a separate process and kills it with SIGKILL at random moments, 20
// times, while the test publishes a million events; each time it starts
// again. At the end ClickHouse holds exactly the acknowledged events.
func TestIngestKilledAtRandomMomentsLosesAndDoublesNothing(t *testing.T) {
	const kills = 20
	n := loadEvents()
	until := deadline(t, 6*time.Minute)
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("ECONDIP_RELIABILITY_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (ECONDIP_RELIABILITY_SEED repeats a run), %d events, %d kills", seed, n, kills)
	r := rand.New(rand.NewPCG(seed, 1))

	// The publisher and the embedded NATS allocate a great deal: collect
	// less often in this process (the ingest children keep the default).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	ns := natstest.Start(t)
	db, conn := newDatabase(t, "kill")
	dir := t.TempDir()
	logPath := ingestLogIn(t, dir)
	env := ingestEnv(ns.ClientURL(), db, dir)
	migrate(t, env, filepath.Join(dir, "migrate.log"))
	var ingests []*proc
	startIngest := func() *proc {
		p := startProc(t, "econdip ingest", logPath, env, "ingest")
		ingests = append(ingests, p)
		return p
	}
	cpu0 := cpuNow()

	js, err := jetstream.New(ns.NC, jetstream.WithPublishAsyncMaxPending(8192), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(seed)
	pub := newPublisher(t, js, 4096)
	began := time.Now()
	loadDone := make(chan int, 1)
	var publishTime time.Duration
	go func() {
		k := runLoad(context.Background(), g, pub, n)
		pub.close()
		publishTime = time.Since(began)
		loadDone <- k
	}()

	ing := startIngest()
	var killLog []string
	for k := 1; k <= kills; k++ {
		wait := time.Duration(500+r.IntN(4000)) * time.Millisecond
		time.Sleep(wait)
		if ing.exited() {
			t.Fatalf("ingest exited on its own before kill %d: %v\n%s", k, ing.err, logTail(logPath, 30))
		}
		pending, inFlight, _ := consumerState(context.Background(), ns.JS, events.ConsumerIngest)
		ing.kill()
		killLog = append(killLog, fmt.Sprintf("kill %2d at %5.1fs (%4dms after the last start): %7d published, %7d not delivered yet, %5d delivered and not acknowledged",
			k, time.Since(began).Seconds(), wait.Milliseconds(), pub.published.Load(), pending, inFlight))
		ing = startIngest()
	}
	killsOver := time.Since(began)
	published := <-loadDone
	drain := waitDrained(t, ns.JS, events.ConsumerIngest, until, func() error {
		if ing.exited() {
			return fmt.Errorf("ingest exited: %v\n%s", ing.err, logTail(logPath, 30))
		}
		return nil
	})
	total := time.Since(began)
	for _, l := range killLog {
		t.Log(l)
	}
	if err := ing.stop(30 * time.Second); err != nil {
		t.Error(err)
	}
	var children time.Duration
	for _, p := range ingests {
		children += p.cpu()
	}
	use := cpuNow().since(cpu0, children)
	acks := pub.acked()
	res := checkExactlyOnce(t, conn, acks)
	checkStates(t, conn, g)
	starts := strings.Count(readFile(t, logPath), "ingest running")
	t.Logf("%d events published (%d acknowledged, %d publish retries); %d kills over %.1fs; ingest started %d times; "+
		"load published in %.1fs; drained %.1fs after the load; %.1fs in all",
		published, len(acks), pub.retries.Load(), kills, killsOver.Seconds(), starts, publishTime.Seconds(), drain.Seconds(), total.Seconds())
	t.Log(use)
	t.Logf("events table: count() %d, uniqExact(event_id) %d, count() FINAL %d: %d redelivered rows collapsed by ReplacingMergeTree",
		res.rows, res.unique, res.final, res.rows-res.unique)
}

func readFile(tb testing.TB, path string) string {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(raw)
}
