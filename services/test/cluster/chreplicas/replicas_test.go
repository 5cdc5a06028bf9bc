package chreplicas

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go/jetstream"

	"econdip/analytics"
	"econdip/analytics/chcluster"
	"econdip/events"
	"econdip/services/platform/natsx/natstest"
	"econdip/services/test/reliability/faultkit"
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
	until := faultkit.Deadline(t, 3*time.Minute)
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
	logClusterStateOnFailure(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ingest log (last lines):\n%s", faultkit.LogTail(ingestLog, 40))
		}
	})
	env := faultkit.Env(ns.ClientURL(), r2.Addr+","+r1.Addr, db, dir,
		"ECONDIP_CLICKHOUSE_CLUSTER="+cluster.Name,
		"ECONDIP_INGEST_ADDR=off",
	)
	faultkit.Migrate(t, env, filepath.Join(dir, "migrate.log"))
	ing := faultkit.StartProc(t, "econdip ingest", ingestLog, env, "ingest")

	js, err := jetstream.New(ns.NC, jetstream.WithPublishAsyncMaxPending(2048), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	g := faultkit.NewGenerator(23)
	pub := faultkit.NewPublisher(js, 1024)
	began := time.Now()
	loadDone := make(chan struct{})
	go func() { faultkit.RunLoad(ctx, g, pub, n, rate); pub.Close(); close(loadDone) }()

	time.Sleep(8 * time.Second)
	onR2BeforeKill := countLocal(t, r2, db, "events")
	if onR2BeforeKill == 0 {
		t.Errorf("replica 2 had no events 8 s into the load: ingest did not write through it, so killing it tests nothing")
	}
	r2.Kill()
	killedAt := time.Since(began)
	ackedAtKill := pub.Published()
	onR1AtKill := countLocal(t, r1, db, "events")
	time.Sleep(down)
	ackedWhileDown := pub.Published() - ackedAtKill
	// Replica 2 is dead, so nothing replicates to replica 1 now: what it
	// gains was inserted by ingest through it (the failover).
	if onR1 := countLocal(t, r1, db, "events"); onR1 <= onR1AtKill {
		t.Errorf("replica 1 held %d events when replica 2 was killed and %d %s later: ingest did not fail over to it", onR1AtKill, onR1, down)
	}
	startCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	err = r2.Start(startCtx)
	cancel()
	if err != nil {
		t.Fatalf("start replica 2 again on its folder and ports: %v", err)
	}
	restartedAt := time.Since(began)

	<-loadDone
	drain := faultkit.MustWaitDrained(t, ns.JS, events.ConsumerIngest, until, ing.Alive)
	if err := ing.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}
	syncCtx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	syncReplicas(t, syncCtx, db)

	acks := pub.Acked()
	figures := map[string]string{}
	for _, r := range cluster.Replicas {
		// Each replica read on its own tables (<t>_local, not the
		// Distributed ones) must hold what JetStream acknowledged.
		conn := open(t, r.Addr, db)
		faultkit.CheckExactlyOnce(t, faultkit.Local(conn, r.Name), acks)
		faultkit.CheckStates(t, faultkit.Local(conn, r.Name), g.Totals())
		figures[r.Name] = replicaFigures(t, conn)
	}
	if figures[r1.Name] != figures[r2.Name] {
		t.Errorf("the figures differ between the replicas:\n  %s: %s\n  %s: %s", r1.Name, figures[r1.Name], r2.Name, figures[r2.Name])
	}
	if ackedWhileDown == 0 {
		t.Errorf("no event was acknowledged while replica 2 was down")
	}
	// Ingest saw replica 2 go: its insert failed (logged once per outage),
	// the batch was naked and inserted again through replica 1.
	outages := strings.Count(faultkit.ReadFile(t, ingestLog), "insert into clickhouse failed")
	t.Logf("%d events at %d/s; replica 2 held %d events when it was killed at %.1fs, was down %.1fs (%d events acknowledged meanwhile), back at %.1fs; "+
		"ingest logged %d insert outages and drained %.1fs after the load ended; %.1fs in all; %d publish retries",
		len(acks), rate, onR2BeforeKill, killedAt.Seconds(), (restartedAt - killedAt).Seconds(), ackedWhileDown, restartedAt.Seconds(),
		outages, drain.Seconds(), time.Since(began).Seconds(), pub.Retries())
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
