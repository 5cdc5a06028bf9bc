package chreplicas

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/analytics/chcluster"
	"econdip/events"
	"econdip/services/platform/natsx/natstest"
)

// TestReplicaKilledDuringIngestLosesNothing runs `econdip ingest` (the real
// binary) in cluster mode against both replicas, replica 2 listed first so
// that ingest writes through it, and kills replica 2 (SIGKILL) in the
// middle of a load: ingest fails over to replica 1 and goes on. Replica 2
// is started again before the load ends. Once ingest has drained the
// streams and replication has caught up, each replica, read on its own
// tables, holds exactly the events JetStream acknowledged, each once, and
// the figures are equal on both.
func TestReplicaKilledDuringIngestLosesNothing(t *testing.T) {
	const (
		n    = 36_000
		rate = 1_500 // events a second: the load runs about 24 s
		down = 10 * time.Second
	)
	until := time.Now().Add(3 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-30*time.Second).Before(until) {
		until = d.Add(-30 * time.Second)
	}
	ctx := context.Background()
	r1, r2 := cluster.Replicas[0], cluster.Replicas[1]
	t.Cleanup(func() { // the next test needs both replicas
		if !r2.Running() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := r2.Start(ctx); err != nil {
				t.Errorf("start replica 2 again: %v", err)
			}
		}
	})
	const db = "econdip_ingest"
	dropDatabaseAtEnd(t, db)
	ns := natstest.Start(t)
	dir := t.TempDir()
	ingestLog := filepath.Join(dir, "ingest.log")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ingest log (last lines):\n%s", logTail(ingestLog, 40))
			for _, r := range cluster.Replicas {
				t.Logf("replica %s error log (last lines):\n%s", r.Name, r.ErrLogTail(15))
			}
		}
	})
	env := processEnv(
		"ECONDIP_NATS_URL="+ns.ClientURL(),
		"ECONDIP_CLICKHOUSE_ADDR="+r2.Addr+","+r1.Addr,
		"ECONDIP_CLICKHOUSE_CLUSTER="+cluster.Name,
		"ECONDIP_CLICKHOUSE_DATABASE="+db,
		"ECONDIP_DATA_DIR="+dir,
		"ECONDIP_LOG_LEVEL=info",
		"ECONDIP_INGEST_ADDR=off",
	)
	runEcondip(t, env, filepath.Join(dir, "migrate.log"), "migrate")
	ing := startProc(t, "econdip ingest", ingestLog, env, "ingest")

	js, err := jetstream.New(ns.NC, jetstream.WithPublishAsyncMaxPending(2048), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(23)
	pub := newPublisher(t, js, 1024)
	began := time.Now()
	loadDone := make(chan struct{})
	go func() { runLoadAt(g, pub, n, rate); pub.close(); close(loadDone) }()

	time.Sleep(8 * time.Second)
	onR2BeforeKill := countLocal(t, r2, db, "events")
	if onR2BeforeKill == 0 {
		t.Errorf("replica 2 had no events 8 s into the load: ingest did not write through it, so killing it tests nothing")
	}
	r2.Kill()
	killedAt := time.Since(began)
	ackedAtKill := pub.published.Load()
	time.Sleep(down)
	ackedWhileDown := pub.published.Load() - ackedAtKill
	startCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	err = r2.Start(startCtx)
	cancel()
	if err != nil {
		t.Fatalf("start replica 2 again on its folder and ports: %v", err)
	}
	restartedAt := time.Since(began)

	<-loadDone
	drain := waitDrained(t, ns.JS, events.ConsumerIngest, until, func() error {
		if ing.exited() {
			return fmt.Errorf("ingest exited: %v", ing.err)
		}
		return nil
	})
	if err := ing.stop(30 * time.Second); err != nil {
		t.Error(err)
	}
	syncCtx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	syncReplicas(t, syncCtx, db)

	acks := pub.acked()
	figures := map[string]string{}
	for _, r := range cluster.Replicas {
		conn := open(t, r.Addr, db)
		checkReplica(t, r.Name, conn, acks, g)
		figures[r.Name] = replicaFigures(t, conn)
	}
	if figures[r1.Name] != figures[r2.Name] {
		t.Errorf("the figures differ between the replicas:\n  %s: %s\n  %s: %s", r1.Name, figures[r1.Name], r2.Name, figures[r2.Name])
	}
	if ackedWhileDown == 0 {
		t.Errorf("no event was acknowledged while replica 2 was down")
	}
	// Ingest saw replica 2 go: its insert failed, the batch was naked and
	// inserted again through replica 1.
	failedInserts := strings.Count(readFile(t, ingestLog), "insert into clickhouse failed")
	t.Logf("%d events at %d/s; replica 2 held %d events when it was killed at %.1fs, was down %.1fs (%d events acknowledged meanwhile), back at %.1fs; "+
		"ingest logged %d failed inserts and drained %.1fs after the load ended; %.1fs in all; %d publish retries",
		len(acks), rate, onR2BeforeKill, killedAt.Seconds(), (restartedAt - killedAt).Seconds(), ackedWhileDown, restartedAt.Seconds(),
		failedInserts, drain.Seconds(), time.Since(began).Seconds(), pub.retries.Load())
}

// countLocal counts the rows of table's replicated table on replica r (0 when it cannot be read yet).
func countLocal(t *testing.T, r *chcluster.Replica, database, table string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := analytics.Open(ctx, analytics.Config{Addr: r.Addr, Database: database, Username: "default"})
	if err != nil {
		t.Logf("replica %s: %v", r.Name, err)
		return 0
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+table+analytics.LocalSuffix).Scan(&n); err != nil {
		t.Logf("replica %s: count %s: %v", r.Name, table, err)
	}
	return n
}

// checkReplica compares one replica's own tables (<t>_local, not the
// Distributed ones) with the events JetStream acknowledged: the events hold
// exactly their ids, each once read with FINAL, no figure table holds an
// event twice, and the state tables add up to what the generator made.
func checkReplica(t *testing.T, replica string, conn driver.Conn, acks []ack, g *generator) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	local := func(table string) string { return table + analytics.LocalSuffix }
	var rows, unique, final uint64
	if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM "+local("events")).Scan(&rows, &unique); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+local("events")+" FINAL").Scan(&final); err != nil {
		t.Fatal(err)
	}
	if unique != uint64(len(acks)) || final != unique {
		t.Errorf("replica %s: events_local has %d rows, %d unique ids, %d rows with FINAL; JetStream acknowledged %d", replica, rows, unique, final, len(acks))
	}
	want := make([]uuid.UUID, len(acks))
	for i, a := range acks {
		want[i] = a.id
	}
	res, err := conn.Query(ctx, "SELECT DISTINCT event_id FROM "+local("events"))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]uuid.UUID, 0, len(acks))
	for res.Next() {
		var id uuid.UUID
		if err := res.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	res.Close()
	cmp := func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }
	slices.SortFunc(want, cmp)
	slices.SortFunc(got, cmp)
	missing, extra := diffSorted(want, got, cmp)
	if len(missing) > 0 {
		t.Errorf("replica %s: %d acknowledged events are missing, e.g. %v", replica, len(missing), missing[:min(3, len(missing))])
	}
	if len(extra) > 0 {
		t.Errorf("replica %s: %d events were never acknowledged, e.g. %v", replica, len(extra), extra[:min(3, len(extra))])
	}
	for _, table := range analytics.ReplicatedTables() {
		var n, u uint64
		if err := conn.QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM "+local(table)+" FINAL").Scan(&n, &u); err != nil {
			t.Fatal(err)
		}
		if n != u {
			t.Errorf("replica %s: %s FINAL has %d rows but %d event ids: an event counts twice", replica, local(table), n, u)
		}
	}
	for _, c := range []struct {
		q    string
		want [2]uint64
	}{
		{"SELECT count(), sum(version) FROM " + local("lead_states") + " FINAL", [2]uint64{uint64(g.leadCount), uint64(g.leadVersions)}},
		{"SELECT count(), sum(version) FROM " + local("deal_states") + " FINAL", [2]uint64{uint64(g.dealCount), uint64(g.dealVersions)}},
		{"SELECT count(), uniqExact(lead_id) FROM " + local("lead_stage_history") + " FINAL", [2]uint64{uint64(g.leadEvents), uint64(g.leadCount)}},
	} {
		var got [2]uint64
		if err := conn.QueryRow(ctx, c.q).Scan(&got[0], &got[1]); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("replica %s: %s = %v, want %v", replica, c.q, got, c.want)
		}
	}
}

// replicaFigures reads dashboard figures through the replica's
// Distributed tables (a query there runs on the replica that receives it)
// and its reference tables (rates by joinGet, the HS classification).
func replicaFigures(t *testing.T, conn driver.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []string
	add := func(name string, v any, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := json.Marshal(v)
		out = append(out, name+"="+string(b))
	}
	p, err := analytics.Pipeline(ctx, conn, analytics.PipelineFilter{})
	add("pipeline", p, err)
	o, err := analytics.OpenPipeline(ctx, conn, analytics.BySector, analytics.KPIFilter{})
	add("open-pipeline", o, err)
	e, err := analytics.ExportsBySector(ctx, conn, analytics.ExportFilter{})
	add("exports-by-sector", e, err)
	s, err := analytics.ExportsByStage(ctx, conn, analytics.ExportFilter{})
	add("exports-by-stage", s, err)
	if len(p) == 0 || len(e) == 0 {
		t.Errorf("empty figures: pipeline %d rows, exports by sector %d rows", len(p), len(e))
	}
	return strings.Join(out, "; ")
}

// waitDrained waits until the ingest consumers have acknowledged everything.
func waitDrained(t *testing.T, js jetstream.JetStream, consumer string, until time.Time, alive func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var last uint64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := backlog(ctx, js, consumer)
		cancel()
		if err == nil && n == 0 {
			return time.Since(start)
		}
		if err == nil {
			last = n
		}
		if err := alive(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(until) {
			t.Fatalf("ingest did not drain in time: %d messages left (last error %v)", last, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// backlog sums, over the ingest streams, the messages the consumer has not
// delivered yet and those delivered but not acknowledged.
func backlog(ctx context.Context, js jetstream.JetStream, consumer string) (uint64, error) {
	var n uint64
	for _, st := range events.IngestStreams() {
		c, err := js.Consumer(ctx, st.Name, consumer)
		if err != nil {
			return 0, fmt.Errorf("consumer %s on %s: %w", consumer, st.Name, err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			return 0, err
		}
		n += info.NumPending + uint64(info.NumAckPending)
	}
	return n, nil
}

func diffSorted[T any](want, got []T, cmp func(a, b T) int) (missing, extra []T) {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && cmp(want[i], got[j]) < 0):
			missing = append(missing, want[i])
			i++
		case i == len(want) || cmp(want[i], got[j]) > 0:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	return missing, extra
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
