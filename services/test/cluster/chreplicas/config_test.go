package chreplicas

import (
	"context"
	"strings"
	"testing"
	"time"

	"econdip/analytics"
	"econdip/analytics/chcluster"
	"econdip/services/cmd/econdip/stack"
	"econdip/services/platform/obs"
	"econdip/services/platform/reference"
)

// TestClusterModeSaysWhatIsWrong: a cluster-mode configuration that would
// leave a node without its reference tables is refused, naming what to fix,
// and a reload with a node down names the node and the command to run once
// it is back.
func TestClusterModeSaysWhatIsWrong(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const db = "econdip_config"
	dropDatabaseAtEnd(t, db)
	logClusterStateOnFailure(t)
	r1, r2 := cluster.Replicas[0], cluster.Replicas[1]
	dataDir := t.TempDir()
	newStack := func(addr, clusterName string) *stack.Stack {
		s := stack.New(stack.Config{DataDir: dataDir, CHAddr: addr, CHCluster: clusterName, CHDatabase: db, CHUser: "default"},
			obs.Discard(), reference.Default())
		t.Cleanup(s.Close)
		return s
	}
	for _, c := range []struct {
		name, addr, cluster, want string
	}{
		{"no address", "", cluster.Name, "ECONDIP_CLICKHOUSE_ADDR is not"},
		{"one replica of two", r1.Addr, cluster.Name, "has 2 replicas but ECONDIP_CLICKHOUSE_ADDR lists 1"},
		{"a cluster the servers do not know", r1.Addr + "," + r2.Addr, "nosuchcluster", "nosuchcluster (ECONDIP_CLICKHOUSE_CLUSTER) is not in the servers' remote_servers"},
		{"one replica twice", r1.Addr + "," + r1.Addr, cluster.Name, "ECONDIP_CLICKHOUSE_ADDR must list each replica once"},
	} {
		err := newStack(c.addr, c.cluster).StartClickHouse(ctx, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: StartClickHouse: %v; want an error saying %q", c.name, err, c.want)
		}
		// Refused before any DDL: a wrong list creates nothing.
		if n := countTables(t, r1, db); n != 0 {
			t.Errorf("%s: %d tables in %s after the refusal; want none (checked before migrating)", c.name, n, db)
		}
	}

	s := newStack(r1.Addr+","+r2.Addr, cluster.Name)
	if err := s.StartClickHouse(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := r2.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err := s.LoadReferenceFiles(ctx)
	startCtx, cancelStart := context.WithTimeout(ctx, 90*time.Second)
	defer cancelStart()
	if err := r2.Start(startCtx); err != nil {
		t.Fatalf("start replica 2 again: %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "ClickHouse node "+r2.Addr) || !strings.Contains(err.Error(), "run `econdip reload` once the node answers again") ||
		strings.Contains(err.Error(), "ClickHouse node "+r1.Addr) {
		t.Errorf("reload with replica 2 down: %v; want an error naming %s (only) and `econdip reload`", err, r2.Addr)
	}
}

// countTables counts the tables of database on replica r.
func countTables(t *testing.T, r *chcluster.Replica, database string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := analytics.Open(ctx, analytics.Config{Addr: r.Addr, Database: "default", Username: "default"})
	if err != nil {
		t.Fatalf("replica %s: %v", r.Name, err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ?", database).Scan(&n); err != nil {
		t.Fatalf("replica %s: count the tables of %s: %v", r.Name, database, err)
	}
	return n
}
