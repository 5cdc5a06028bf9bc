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
	"econdip/services/test/reliability/faultkit"
)

// TestIngestKilledAtRandomMomentsLosesAndDoublesNothing runs `econdip ingest`
// as a separate process and kills it with SIGKILL at random moments, 20
// times, while the test publishes a million events; each time it starts
// again. At the end ClickHouse holds exactly the acknowledged events, each
// in one row of the raw events table (ingest leaves out the events of a
// redelivered batch that are stored already; merges could hide a
// duplicate, so this part can pass by luck but not fail by it).
func TestIngestKilledAtRandomMomentsLosesAndDoublesNothing(t *testing.T) {
	const kills = 20
	n := faultkit.EnvInt("ECONDIP_RELIABILITY_EVENTS", 1_000_000) // changes the load for a run by hand
	until := faultkit.Deadline(t, 6*time.Minute)
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
	db, conn := faultkit.NewDatabase(t, "kill")
	dir := t.TempDir()
	logPath := ingestLogIn(t, dir)
	env := ingestEnv(ns.ClientURL(), db, dir)
	faultkit.Migrate(t, env, filepath.Join(dir, "migrate.log"))
	var ingests []*faultkit.Proc
	startIngest := func() *faultkit.Proc {
		p := faultkit.StartProc(t, "econdip ingest", logPath, env, "ingest")
		ingests = append(ingests, p)
		return p
	}
	cpu0 := cpuNow()

	js, err := jetstream.New(ns.NC, jetstream.WithPublishAsyncMaxPending(8192), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	g := faultkit.NewGenerator(seed)
	pub := faultkit.NewPublisher(js, 4096)
	began := time.Now()
	loadDone := make(chan int, 1)
	var publishTime time.Duration
	go func() {
		k := faultkit.RunLoad(context.Background(), g, pub, n, 0)
		pub.Close()
		publishTime = time.Since(began)
		loadDone <- k
	}()

	ing := startIngest()
	var killLog []string
	for k := 1; k <= kills; k++ {
		wait := time.Duration(500+r.IntN(4000)) * time.Millisecond
		time.Sleep(wait)
		if ing.Exited() {
			t.Fatalf("ingest exited on its own before kill %d: %v\n%s", k, ing.Err(), faultkit.LogTail(logPath, 30))
		}
		c, _ := faultkit.IngestConsumers(context.Background(), ns.JS, events.ConsumerIngest)
		ing.Kill()
		killLog = append(killLog, fmt.Sprintf("kill %2d at %5.1fs (%4dms after the last start): %7d published, %7d not delivered yet, %5d delivered and not acknowledged",
			k, time.Since(began).Seconds(), wait.Milliseconds(), pub.Published(), c.Pending, c.AckPending))
		ing = startIngest()
	}
	killsOver := time.Since(began)
	published := <-loadDone
	drain := faultkit.MustWaitDrained(t, ns.JS, events.ConsumerIngest, until, ing.Alive)
	total := time.Since(began)
	for _, l := range killLog {
		t.Log(l)
	}
	if err := ing.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}
	var children time.Duration
	for _, p := range ingests {
		children += p.CPU()
	}
	use := cpuNow().since(cpu0, children)
	acks := pub.Acked()
	res := faultkit.CheckExactlyOnce(t, faultkit.DB(conn), acks)
	faultkit.CheckStates(t, faultkit.DB(conn), g.Totals())
	starts := strings.Count(faultkit.ReadFile(t, logPath), "ingest running")
	t.Logf("%d events published (%d acknowledged, %d publish retries); %d kills over %.1fs; ingest started %d times; "+
		"load published in %.1fs; drained %.1fs after the load; %.1fs in all",
		published, len(acks), pub.Retries(), kills, killsOver.Seconds(), starts, publishTime.Seconds(), drain.Seconds(), total.Seconds())
	t.Log(use)
	t.Logf("events table: count() %d, uniqExact(event_id) %d, count() FINAL %d", res.Rows, res.Unique, res.Final)
	if res.Rows != res.Unique {
		t.Errorf("the raw events table holds %d rows for %d events: ingest inserted events of redelivered batches again", res.Rows, res.Unique)
	}
}
