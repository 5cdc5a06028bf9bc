package chcluster_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/analytics/chcluster"
	"econdip/services/platform/obs"
)

// TestClusterMigratesAndReplicates starts a cluster of two replicas,
// migrates a database in cluster mode through replica 1, and checks that
// replica 2 has the tables and the rows inserted through replica 1.
func TestClusterMigratesAndReplicates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := chcluster.Start(ctx, chcluster.Options{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	const db = "econdip_chcluster"
	cfg := analytics.Config{Addr: c.Replicas[0].Addr, Database: "default", Username: "default", Cluster: c.Name}
	boot, err := analytics.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer boot.Close()
	if err := analytics.CreateDatabaseCluster(ctx, boot, db, c.Name); err != nil {
		t.Fatal(err)
	}
	cfg.Database = db
	conn, err := analytics.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := analytics.CheckCluster(ctx, conn, c.Name, c.Addrs()); err != nil {
		t.Fatal(err)
	}
	if err := analytics.CheckCluster(ctx, conn, c.Name, c.Addrs()[:1]); err == nil {
		t.Error("CheckCluster accepted one address for two replicas")
	}
	for range 2 { // the second run finds every migration applied
		if err := analytics.MigrateCluster(ctx, conn, obs.Discard(), c.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.Exec(ctx, "INSERT INTO events (event_id, type, time, ingested_at) SELECT generateUUIDv4(), 'x', now(), now() FROM system.numbers LIMIT 1000"); err != nil {
		t.Fatal(err)
	}
	cfg2 := cfg
	cfg2.Addr = c.Replicas[1].Addr
	conn2, err := analytics.Open(ctx, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	if name, err := analytics.ReplicaName(ctx, conn2); err != nil || name != "r2" {
		t.Errorf("ReplicaName = %q, %v; want r2", name, err)
	}
	if err := conn2.Exec(ctx, "SYSTEM SYNC REPLICA "+db+".events_local"); err != nil {
		t.Fatal(err)
	}
	var n, migrations uint64
	if err := conn2.QueryRow(ctx, "SELECT count() FROM events_local").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1000 {
		t.Errorf("replica 2 holds %d of the 1000 rows inserted through replica 1", n)
	}
	ms, _ := analytics.Migrations()
	if err := conn2.QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&migrations); err != nil {
		t.Fatal(err)
	}
	if migrations != uint64(len(ms)) {
		t.Errorf("replica 2's schema_migrations has %d rows, want %d", migrations, len(ms))
	}
	var stageDay uint64
	if err := conn2.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'lead_states' AND name IN ('stage_day', 'capex_usd')").Scan(&stageDay); err != nil {
		t.Fatal(err)
	}
	if stageDay != 1 {
		t.Errorf("replica 2's Distributed lead_states does not follow 0006 (stage_day added, capex_usd dropped): %d of the two", stageDay)
	}
	if err := analytics.DropDatabaseCluster(ctx, boot, db, c.Name); err != nil {
		t.Fatal(err)
	}
	var left uint64
	if err := conn2.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", db).Scan(&left); err != nil || left != 0 {
		t.Errorf("replica 2 still has database %s after DropDatabaseCluster (%v)", db, err)
	}
}
