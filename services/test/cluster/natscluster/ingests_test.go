package natscluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"econdip/events"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/test/reliability/faultkit"
)

// TestTwoIngestsShareTheConsumerOneKilled runs two `econdip ingest`
// processes on the same durable consumers of a 3-node cluster (R3). First
// both consume a load: each message goes to one of them (when JetStream
// redelivered nothing, the two insert counts add up to the load, and the
// events table holds no row twice even before FINAL). Then, during a
// second load, one is killed with SIGKILL; the other takes over the rest
// and the batches the dead one held. At the end ClickHouse holds every
// acknowledged event once, and each extra raw row is a redelivery.
func TestTwoIngestsShareTheConsumerOneKilled(t *testing.T) {
	const replicas = 3
	n := faultkit.EnvInt("ECONDIP_NATSCLUSTER_EVENTS", 40_000)
	seed := uint64(time.Now().UnixNano())
	t.Logf("%d events in two loads, seed %d", n, seed)

	cl := natstest.StartCluster(t, 3)
	db, conn := faultkit.NewDatabase(t, "ingests")
	dir := t.TempDir()
	// Port 0: each ingest serves /metrics on a port of its own, which it logs.
	env := econdipEnv(cl.URLs(), db, dir, "ECONDIP_NATS_REPLICAS="+strconv.Itoa(replicas), "ECONDIP_INGEST_ADDR=127.0.0.1:0")
	faultkit.Migrate(t, env, filepath.Join(dir, "migrate.log"))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	until := faultkit.Deadline(t, 3*time.Minute)
	_, js := connect(t, ctx, cl, replicas)

	a := startProc(t, "econdip ingest A", filepath.Join(dir, "ingest-a.log"), env, "ingest")
	b := startProc(t, "econdip ingest B", filepath.Join(dir, "ingest-b.log"), env, "ingest")
	aURL, bURL := metricsURL(t, a, until), metricsURL(t, b, until)
	waitConsumers(t, ctx, js, replicas, a)
	bothAlive := func() error {
		if err := a.Alive(); err != nil {
			return err
		}
		return b.Alive()
	}
	g := faultkit.NewGenerator(seed)
	pub := faultkit.NewPublisherUntil(js, 4096, until)

	// 1. Both consume the first load.
	first := faultkit.RunLoad(ctx, g, pub, n/2, 0)
	pub.Close()
	acks := pub.Acked()
	if len(acks) != first {
		t.Fatalf("%d of %d events acknowledged (last error: %v)", len(acks), first, pub.Err())
	}
	totals, err := faultkit.WaitDrained(js, events.ConsumerIngest, until, bothAlive)
	if err != nil {
		t.Fatal(err)
	}
	a1, b1 := mustIngested(t, aURL), mustIngested(t, bURL)
	if a1 == 0 || b1 == 0 {
		t.Errorf("both ingests should have consumed: A inserted %d events, B %d", a1, b1)
	}
	c1 := faultkit.CountEvents(t, faultkit.DB(conn))
	redelivered := totals.Deliveries - totals.StreamSeq
	t.Logf("first load: %d events; A inserted %d, B %d; %d redeliveries; events table %d rows, %d ids, %d with FINAL",
		len(acks), a1, b1, redelivered, c1.Rows, c1.Unique, c1.Final)
	if redelivered == 0 {
		// Each message was delivered once, so to one ingest only.
		if a1+b1 != int64(len(acks)) || c1.Rows != uint64(len(acks)) || c1.Unique != uint64(len(acks)) {
			t.Errorf("no redelivery, yet A and B inserted %d+%d events and the events table holds %d rows (%d ids) for %d events",
				a1, b1, c1.Rows, c1.Unique, len(acks))
		}
	} else if c1.Rows-c1.Unique > redelivered {
		t.Errorf("%d duplicate rows but only %d redeliveries: a message went to two ingests", c1.Rows-c1.Unique, redelivered)
	}

	// 2. A second load; a third of the way through, A is killed.
	pub = faultkit.NewPublisherUntil(js, 4096, until)
	loadDone := make(chan int, 1)
	go func() {
		k := faultkit.RunLoad(ctx, g, pub, n-n/2, 4000)
		pub.Close()
		loadDone <- k
	}()
	for pub.Published() < int64((n-n/2)/3) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	aLast := mustIngested(t, aURL)
	inFlight, _ := faultkit.IngestConsumers(ctx, js, events.ConsumerIngest)
	a.Kill()
	t.Logf("killed A (SIGKILL) after it inserted %d events; %d delivered and not acknowledged then", aLast, inFlight.AckPending)
	second := <-loadDone
	acks = append(acks, pub.Acked()...)
	if got := len(acks) - first; got != second {
		t.Errorf("second load: %d of %d events acknowledged (last error: %v)", got, second, pub.Err())
	}
	totals, err = faultkit.WaitDrained(js, events.ConsumerIngest, until, b.Alive)
	if err != nil {
		t.Fatal(err)
	}
	b2 := mustIngested(t, bURL)
	if b2 <= b1 {
		t.Errorf("B inserted nothing during the second load (%d before, %d after)", b1, b2)
	}
	if err := b.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}
	res := faultkit.CheckExactlyOnce(t, faultkit.DB(conn), acks)
	faultkit.CheckStates(t, faultkit.DB(conn), g.Totals())
	redelivered = totals.Deliveries - totals.StreamSeq
	if res.Rows-res.Unique > redelivered {
		t.Errorf("%d duplicate rows but only %d redeliveries: a message went to two ingests", res.Rows-res.Unique, redelivered)
	}
	t.Logf("in all: %d events acknowledged; B inserted %d during the second load; %d deliveries of %d messages (%d redeliveries)",
		len(acks), b2-b1, totals.Deliveries, totals.StreamSeq, redelivered)
	t.Logf("events table: count() %d, uniqExact(event_id) %d, count() FINAL %d: %d redelivered rows collapsed by ReplacingMergeTree",
		res.Rows, res.Unique, res.Final, res.Rows-res.Unique)
}

func mustIngested(t *testing.T, url string) int64 {
	t.Helper()
	n, err := ingested(url)
	if err != nil {
		t.Fatal(fmt.Errorf("ingest metrics: %w", err))
	}
	return n
}
