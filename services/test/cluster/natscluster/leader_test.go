package natscluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/natsx"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/test/reliability/faultkit"
)

// TestStreamLeaderKilledDuringLoadLosesAndDoublesNothing runs a 3-node
// cluster of embedded NATS servers, sets econdip up on it by configuration
// alone (`econdip migrate` and `econdip ingest` with ECONDIP_NATS_URL
// listing the three servers and ECONDIP_NATS_REPLICAS=3), publishes a load
// and, a third of the way through, kills for good the server that
// leads the LEADS stream. The load goes on through the two survivors. At
// the end ClickHouse holds every event JetStream acknowledged, once.
// The servers run as child processes and the leader dies by SIGKILL.
//
// ECONDIP_NATSCLUSTER_REPLICAS=1 runs it without replication (by hand: it
// must fail), ECONDIP_NATSCLUSTER_EVENTS changes the load.
func TestStreamLeaderKilledDuringLoadLosesAndDoublesNothing(t *testing.T) {
	replicas := faultkit.EnvInt("ECONDIP_NATSCLUSTER_REPLICAS", 3)
	n := faultkit.EnvInt("ECONDIP_NATSCLUSTER_EVENTS", 40_000)
	seed := uint64(time.Now().UnixNano())
	t.Logf("%d events, streams with %d replicas, seed %d", n, replicas, seed)

	// Each server in its own process, so the leader can be killed as a
	// crash kills it: an in-process Shutdown hands its leaderships over first.
	cl := natstest.StartClusterProcesses(t, 3)
	t.Cleanup(func() {
		if t.Failed() {
			for i := range cl.Size() {
				t.Logf("%s log (last lines but route retries):\n%s", cl.Name(i), nodeLogTail(cl.LogFile(i), 15))
			}
		}
	})
	db, conn := faultkit.NewDatabase(t, "leader")
	dir := t.TempDir()
	env := econdipEnv(cl.URLs(), db, dir, "ECONDIP_NATS_REPLICAS="+strconv.Itoa(replicas), "ECONDIP_INGEST_ADDR=off")
	faultkit.Migrate(t, env, filepath.Join(dir, "migrate.log"))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	nc, js := connect(t, ctx, cl, replicas)

	ing := startProc(t, "econdip ingest", filepath.Join(dir, "ingest.log"), env, "ingest")
	waitConsumers(t, ctx, js, replicas, ing)

	// The load runs for about 20 s, or as long as the acknowledgements take.
	began := time.Now()
	g := faultkit.NewGenerator(seed)
	pub := faultkit.NewPublisherUntil(js, 4096, began.Add(2*time.Minute))
	loadDone := make(chan int, 1)
	go func() {
		k := faultkit.RunLoad(ctx, g, pub, n, 2000)
		pub.Close()
		loadDone <- k
	}()

	// A third of the way through, the leader of LEADS goes, for good.
	for pub.Published() < int64(n/3) && time.Since(began) < time.Minute {
		time.Sleep(50 * time.Millisecond)
	}
	before := leaders(ctx, cl, js)
	victim := cl.Index(before[events.StreamLeads])
	if victim < 0 {
		t.Fatalf("no leader for %s: %v", events.StreamLeads, before)
	}
	// The victim leads the ingest consumer of LEADS too, so the deliveries
	// ingest has in hand lose their leader with it.
	if replicas > 1 {
		if err := moveConsumerLeader(ctx, nc, js, events.StreamLeads, events.ConsumerIngest, cl.Name(victim)); err != nil {
			t.Logf("the ingest consumer of %s stays where it is: moving its leader to %s: %v", events.StreamLeads, cl.Name(victim), err)
		}
		before = leaders(ctx, cl, js)
	}
	atKill := pub.Published()
	killedAt := time.Since(began)
	cl.Kill(victim)
	t.Logf("at %.1fs, %d events acknowledged: killed %s (SIGKILL), which led %s", killedAt.Seconds(), atKill, cl.Name(victim), ledBy(before, before[events.StreamLeads]))

	sent := <-loadDone
	loadTime := time.Since(began)
	acks := pub.Acked()
	if a := pub.Abandoned(); a > 0 {
		t.Errorf("%d of %d events were never acknowledged: the survivors did not take over (last error: %v)", a, sent, pub.Err())
	}
	after := leaders(ctx, cl, js)
	t.Logf("after the kill: %v", after)

	totals, err := faultkit.WaitDrained(js, events.ConsumerIngest, began.Add(3*time.Minute), ing.Alive)
	if err != nil {
		t.Error(err)
	}
	drained := time.Since(began)
	if err := ing.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}
	res := faultkit.CheckExactlyOnce(t, faultkit.DB(conn), acks)
	if pub.Abandoned() == 0 {
		faultkit.CheckStates(t, faultkit.DB(conn), g.Totals())
	}
	// A publish retried after the failover names the event id as message
	// id: the new leader drops it when the first attempt was stored.
	stored, perStream, err := storedMessages(ctx, js)
	if err == nil && pub.Abandoned() == 0 && stored != uint64(len(acks)) {
		t.Errorf("the streams hold %d messages for %d acknowledged events: a retried publish was stored twice", stored, len(acks))
	}
	t.Logf("%d events sent, %d acknowledged (%d publish retries, %d acknowledged as duplicates); JetStream holds %s",
		sent, len(acks), pub.Retries(), pub.Duplicates(), perStream)
	t.Logf("load took %.1fs, drained at %.1fs; ingest: %d deliveries of %d messages, %d reconnects",
		loadTime.Seconds(), drained.Seconds(), totals.Deliveries, totals.StreamSeq, countInLog(ing.LogPath(), "nats reconnected"))
	t.Logf("events table: count() %d, uniqExact(event_id) %d, count() FINAL %d", res.Rows, res.Unique, res.Final)
}

// checkReplicas checks that every stream and key-value bucket econdip made
// has the replicas asked for, placed on distinct servers.
func checkReplicas(t *testing.T, ctx context.Context, js jetstream.JetStream, replicas int) {
	t.Helper()
	// The documents' bytes (object store OBJ_DOCUMENTS) replicate as the events do.
	names := []string{"KV_SESSIONS", "KV_SIGNIN_FAILURES", "OBJ_" + natsx.BucketDocuments, "KV_" + natsx.BucketDocumentSettings, "KV_" + natsx.BucketDocumentLease}
	for _, s := range events.Streams {
		names = append(names, s.Name)
	}
	for _, name := range names {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := js.Stream(c, name)
		cancel()
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		info := st.CachedInfo()
		if info.Config.Replicas != replicas || peers(info.Cluster) != replicas {
			t.Errorf("stream %s: %d replicas configured, on %d servers; want %d", name, info.Config.Replicas, peers(info.Cluster), replicas)
		}
	}
}

// waitConsumers waits until ingest has made its durable consumers and checks
// they have the streams' replicas (a durable consumer follows its stream).
func waitConsumers(t *testing.T, ctx context.Context, js jetstream.JetStream, replicas int, ing *faultkit.Proc) {
	t.Helper()
	for _, s := range events.IngestStreams() {
		for {
			// A consumer without a leader yet does not answer: short tries.
			c1, cancel := context.WithTimeout(ctx, 5*time.Second)
			info, err := consumerInfo(c1, js, s.Name, events.ConsumerIngest)
			cancel()
			if err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
				if peers(info.Cluster) != replicas {
					t.Errorf("consumer %s on %s is on %d servers; want %d", events.ConsumerIngest, s.Name, peers(info.Cluster), replicas)
				}
				break
			}
			if err := ing.Alive(); err != nil {
				t.Fatal(err)
			}
			if ctx.Err() != nil {
				t.Fatalf("consumer %s on %s: %v", events.ConsumerIngest, s.Name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func consumerInfo(ctx context.Context, js jetstream.JetStream, stream, consumer string) (*jetstream.ConsumerInfo, error) {
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return nil, err
	}
	return c.CachedInfo(), nil
}

// peers counts the servers a stream or consumer is placed on: its leader
// (once elected) and the other replicas.
func peers(c *jetstream.ClusterInfo) int {
	if c == nil {
		return 1 // a server without clustering
	}
	n := len(c.Replicas)
	if c.Leader != "" {
		n++
	}
	return n
}

// moveConsumerLeader asks the consumer's leader to hand over to server
// (the preferred placement of a leader stepdown) and waits until it has.
func moveConsumerLeader(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, stream, consumer, server string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		c1, cancel1 := context.WithTimeout(ctx, 5*time.Second)
		info, err := consumerInfo(c1, js, stream, consumer)
		cancel1()
		if err == nil && info.Cluster != nil && info.Cluster.Leader == server {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("not moved in time (last error: %v)", err)
		}
		if err != nil {
			continue
		}
		body := fmt.Sprintf(`{"placement":{"preferred":%q}}`, server)
		resp, err := nc.Request("$JS.API.CONSUMER.LEADER.STEPDOWN."+stream+"."+consumer, []byte(body), 5*time.Second)
		if err != nil {
			return err
		}
		var r struct {
			Error *jetstream.APIError `json:"error"`
		}
		if err := json.Unmarshal(resp.Data, &r); err != nil {
			return err
		}
		if r.Error != nil {
			return r.Error
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// leaders maps each ingest stream, its ingest consumer ("LEADS/ingest-clickhouse")
// and the meta group ("meta") to the server leading it.
func leaders(ctx context.Context, cl *natstest.Cluster, js jetstream.JetStream) map[string]string {
	out := map[string]string{}
	for i := range cl.Size() {
		if s := cl.Server(i); s != nil && s.JetStreamIsLeader() {
			out["meta"] = s.Name()
		}
	}
	for _, s := range events.IngestStreams() {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		if st, err := js.Stream(c, s.Name); err == nil && st.CachedInfo().Cluster != nil {
			out[s.Name] = st.CachedInfo().Cluster.Leader
		} else {
			out[s.Name] = fmt.Sprintf("unavailable (%v)", err)
		}
		if cons, err := js.Consumer(c, s.Name, events.ConsumerIngest); err == nil && cons.CachedInfo().Cluster != nil {
			out[s.Name+"/"+events.ConsumerIngest] = cons.CachedInfo().Cluster.Leader
		} else {
			out[s.Name+"/"+events.ConsumerIngest] = fmt.Sprintf("unavailable (%v)", err)
		}
		cancel()
	}
	return out
}

// ledBy lists what server led.
func ledBy(leaders map[string]string, server string) string {
	var led []string
	for what, who := range leaders {
		if who == server {
			led = append(led, what)
		}
	}
	slices.Sort(led)
	return strings.Join(led, ", ")
}

// storedMessages counts the messages the ingest streams hold, and says
// how many each holds.
func storedMessages(ctx context.Context, js jetstream.JetStream) (uint64, string, error) {
	var parts []string
	var total uint64
	var lastErr error
	for _, s := range events.IngestStreams() {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := js.Stream(c, s.Name)
		cancel()
		if err != nil {
			parts, lastErr = append(parts, fmt.Sprintf("%s: %v", s.Name, err)), err
			continue
		}
		total += st.CachedInfo().State.Msgs
		parts = append(parts, fmt.Sprintf("%s %d", s.Name, st.CachedInfo().State.Msgs))
	}
	return total, strings.Join(parts, ", "), lastErr
}

// countInLog counts the lines of a log that contain s.
func countInLog(path, s string) int {
	raw, _ := os.ReadFile(path)
	return strings.Count(string(raw), s)
}

// nodeLogTail is the end of a NATS node's log without its retries of a
// route to a server that is gone.
func nodeLogTail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		if !strings.Contains(l, "Error trying to connect to route") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
