package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/events"
	"econdip/services/platform/freeport"
	"econdip/services/platform/natsx"
	"econdip/services/platform/obs"
	"econdip/services/test/reliability/faultkit"
)

// TestNATSKilledAndRestartedKeepsEveryAcknowledgedEvent runs the embedded
// NATS server as a process of its own (`econdip nats`, JetStream on file
// storage with the server's default fsync interval), kills it with SIGKILL
// three times in the middle of a load and starts it again on the same store
// and port. After each restart every event the publisher got an ack for is
// in the stream at the sequence the ack named; the publisher sends the
// unanswered ones again (same message id), JetStream drops those it had
// stored, and at the end ClickHouse holds each acknowledged event once.
func TestNATSKilledAndRestartedKeepsEveryAcknowledgedEvent(t *testing.T) {
	const (
		n     = 150_000
		kills = 3
	)
	until := faultkit.Deadline(t, 3*time.Minute)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	ctx := context.Background()

	dir := t.TempDir()
	store, natsLog := filepath.Join(dir, "nats"), filepath.Join(dir, "nats.log")
	natsPort := restartablePort(t)
	url := "nats://127.0.0.1:" + strconv.Itoa(natsPort)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nats log (last lines):\n%s", faultkit.LogTail(natsLog, 20))
			t.Logf("ingest log (last lines):\n%s", faultkit.LogTail(filepath.Join(dir, "ingest.log"), 30))
		}
	})
	starts := 0
	startNATS := func() *faultkit.Proc {
		p := faultkit.StartProc(t, "econdip nats", natsLog, faultkit.ProcessEnv(), "nats", "--store", store, "--port", strconv.Itoa(natsPort), "--sync", "default")
		starts++
		for strings.Count(faultkit.ReadFile(t, natsLog), "nats ready") < starts {
			if p.Exited() {
				t.Fatalf("econdip nats exited: %v\n%s", p.Err(), faultkit.LogTail(natsLog, 20))
			}
			time.Sleep(20 * time.Millisecond)
		}
		return p
	}
	srv := startNATS()

	nc, js0, err := natsx.Connect(ctx, url, "reliability-publisher", obs.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := events.EnsureStreams(ctx, js0, events.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	db, conn := faultkit.NewDatabase(t, "natskill")
	env := ingestEnv(url, db, dir)
	faultkit.Migrate(t, env, filepath.Join(dir, "migrate.log"))
	ingestLog := filepath.Join(dir, "ingest.log")
	ing := faultkit.StartProc(t, "econdip ingest", ingestLog, env, "ingest")

	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	g := faultkit.NewGenerator(seed)
	pub := faultkit.NewPublisher(js, 2048)
	began := time.Now()
	loadDone := make(chan struct{})
	go func() { faultkit.RunLoad(ctx, g, pub, n, 5000); pub.Close(); close(loadDone) }()

	var report []string
	for k := 1; k <= kills; k++ {
		// A random moment in the k-th third of the load.
		at := int64(n) * int64((k-1)*100+10+r.IntN(80)) / int64(kills*100)
		for pub.Published() < at {
			if time.Now().After(until) {
				t.Fatalf("the load stalled at %d events before kill %d", pub.Published(), k)
			}
			time.Sleep(10 * time.Millisecond)
		}
		ackedBefore := pub.Published()
		srv.Kill()
		killedAt := time.Since(began)
		time.Sleep(time.Second)
		srv = startNATS()
		back := time.Since(began) - killedAt
		// Every acknowledgement so far names a message the restarted
		// server has, at that sequence.
		acks := pub.Acked()
		checked := checkInStream(t, js0, acks)
		report = append(report, fmt.Sprintf("kill %d at %.1fs: %d events acknowledged before it; NATS serving again %.1fs after the kill (1s down, then the restart); "+
			"all %d events acknowledged so far found in the stream at their acknowledged sequence", k, killedAt.Seconds(), ackedBefore, back.Seconds(), checked))
	}
	<-loadDone
	drain := faultkit.MustWaitDrained(t, js0, events.ConsumerIngest, until, ing.Alive)
	total := time.Since(began)
	if err := ing.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}
	acks := pub.Acked()
	checkInStream(t, js0, acks)
	// Nothing stored twice: the streams hold exactly the acknowledged events.
	var stored uint64
	for _, name := range []string{events.StreamLeads, events.StreamExports} {
		st, err := js0.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		stored += st.CachedInfo().State.Msgs
	}
	if stored != uint64(len(acks)) {
		t.Errorf("the streams hold %d messages, %d events were acknowledged", stored, len(acks))
	}
	res := faultkit.CheckExactlyOnce(t, faultkit.DB(conn), acks)
	faultkit.CheckStates(t, faultkit.DB(conn), g.Totals())
	for _, l := range report {
		t.Log(l)
	}
	t.Logf("%d events; %d publishes sent again after a kill, %d of them answered Duplicate (stored before the kill, its ack lost); "+
		"streams hold %d messages; drained %.1fs after the load; %.1fs in all",
		len(acks), pub.Retries(), pub.Duplicates(), stored, drain.Seconds(), total.Seconds())
	t.Logf("events table: count() %d, uniqExact(event_id) %d, count() FINAL %d", res.Rows, res.Unique, res.Final)
}

// checkInStream reads the streams and checks that each acknowledged event
// is at the sequence its ack named; it returns how many it checked.
func checkInStream(t *testing.T, js jetstream.JetStream, acks []faultkit.Ack) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	want := map[string]map[uint64]uuid.UUID{}
	for _, a := range acks {
		if want[a.Stream] == nil {
			want[a.Stream] = map[uint64]uuid.UUID{}
		}
		want[a.Stream][a.Seq] = a.ID
	}
	checked := 0
	for stream, bySeq := range want {
		last := slices.Max(mapsKeys(bySeq))
		cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(4096))
		if err != nil {
			t.Fatal(err)
		}
		for {
			m, err := it.Next()
			if err != nil {
				t.Fatalf("read %s: %v", stream, err)
			}
			meta, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			seq := meta.Sequence.Stream
			if id, ok := bySeq[seq]; ok {
				env, err := events.DecodeEnvelope(m.Data())
				if err != nil || env.ID != id.String() {
					t.Fatalf("%s seq %d holds %q (%v), the ack named event %s", stream, seq, env.ID, err, id)
				}
				delete(bySeq, seq)
				checked++
			}
			if seq >= last || meta.NumPending == 0 {
				break
			}
		}
		it.Stop()
		if len(bySeq) > 0 {
			t.Fatalf("%d acknowledged events are missing from %s after the restart", len(bySeq), stream)
		}
	}
	return checked
}

func mapsKeys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// restartablePort returns a free port for a server that is stopped and
// started again on it (freeport: outside the ephemeral range, so no
// outgoing connection takes it while the server is down).
func restartablePort(t *testing.T) int {
	t.Helper()
	ports, err := freeport.Loopback(1)
	if err != nil {
		t.Fatal(err)
	}
	return ports[0]
}
